package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// objectSource reads one object and watches it from a resource version.
type objectSource[T client.Object] interface {
	get(ctx context.Context) (T, error)
	watch(ctx context.Context, resourceVersion string) (watch.Interface, error)
}

// watcher prints an object's status, then again on every change of what
// the print shows, until done says it is over or ctx ends. On a TTY each
// print redraws the screen; otherwise each is a new block headed by the
// time. `kurator rollout status -w` and `kurator app status -w` use it.
type watcher[T client.Object] struct {
	kind  string // "Rollout", "Application"
	src   objectSource[T]
	print func(io.Writer, T, time.Time)
	// same: nothing the print shows differs.
	same func(a, b T) bool
	// done says (and prints) whether the object reached a state where
	// nothing moves any more.
	done func(T, io.Writer) bool
	// copyOf returns a deep copy (to keep the last object with another
	// resource version).
	copyOf func(T) T
}

func (w watcher[T]) run(ctx context.Context, out io.Writer, tty bool, now func() time.Time) error {
	obj, err := w.src.get(ctx)
	if err != nil {
		return err
	}
	show := func(obj T) {
		var b bytes.Buffer
		w.print(&b, obj, now())
		if tty {
			fmt.Fprintf(out, "\x1b[H\x1b[2J%s  watching %s %s/%s (Ctrl-C to stop)\n\n", now().Format(time.TimeOnly), w.kind, obj.GetNamespace(), obj.GetName())
		} else {
			fmt.Fprintf(out, "--- %s ---\n", now().Format(time.TimeOnly))
		}
		_, _ = out.Write(b.Bytes())
	}
	show(obj)
	if w.done(obj, out) {
		return nil
	}
	last := obj
	for {
		wi, err := w.src.watch(ctx, last.GetResourceVersion())
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("watch %s %s/%s: %w", w.kind, last.GetNamespace(), last.GetName(), err)
		}
		next, over, err := w.follow(ctx, wi, last, show, out)
		wi.Stop()
		switch {
		case err != nil:
			return err
		case over:
			return nil
		}
		last = next
		if last.GetResourceVersion() == "" {
			// The watch expired: read the object again and go on from it.
			if last, err = w.src.get(ctx); err != nil {
				return err
			}
			if !w.same(next, last) {
				show(last)
			}
			if w.done(last, out) {
				return nil
			}
		}
	}
}

// follow reads one watch until it ends: over when the object is done, or
// the last object seen when the watch closed (with no resource version
// when it must be read again), or an error.
func (w watcher[T]) follow(ctx context.Context, wi watch.Interface, last T, show func(T), out io.Writer) (T, bool, error) {
	for {
		select {
		case <-ctx.Done():
			return last, false, ctx.Err()
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return last, false, nil
			}
			switch ev.Type {
			case watch.Error:
				if st, ok := ev.Object.(*metav1.Status); ok && st.Code == 410 {
					expired := w.copyOf(last)
					expired.SetResourceVersion("")
					return expired, false, nil
				}
				return last, false, fmt.Errorf("watch %s %s/%s: %v", w.kind, last.GetNamespace(), last.GetName(), apierrors.FromObject(ev.Object))
			case watch.Deleted:
				return last, false, fmt.Errorf("%s %s/%s was deleted while watching it", w.kind, last.GetNamespace(), last.GetName())
			case watch.Added, watch.Modified, watch.Bookmark:
				obj, ok := ev.Object.(T)
				if !ok {
					continue
				}
				if ev.Type == watch.Bookmark {
					next := w.copyOf(last)
					next.SetResourceVersion(obj.GetResourceVersion())
					last = next
					continue
				}
				if !w.same(last, obj) {
					show(obj)
				}
				last = obj
				if w.done(obj, out) {
					return last, true, nil
				}
			}
		}
	}
}

// checkStatusOutput refuses an -o other than table, yaml and json, and
// yaml or json with --watch (which prints tables).
func checkStatusOutput(output string, follow bool) error {
	switch output {
	case "table", "yaml", "json":
	default:
		return fmt.Errorf("-o %q: use table, yaml or json", output)
	}
	if follow && output != "table" {
		return fmt.Errorf("--watch prints tables: drop -o %s, or drop --watch", output)
	}
	return nil
}

// untilInterrupted runs a watch until it ends or the user stops it
// (Ctrl-C or SIGTERM, which is not an error).
func untilInterrupted(ctx context.Context, watch func(context.Context) error) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := watch(ctx); !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// printStatusDoc prints a status alone, as YAML or JSON.
func printStatusDoc(w io.Writer, status any, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(status)
	}
	data, err := yaml.Marshal(status)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

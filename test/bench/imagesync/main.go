// Command imagesync measures image sync between two loopback CNCF
// distribution registries (internal/registry) with internal/imagesync: a
// test image of -size MiB in -layers filler layers (internal/testimage) is
// pushed to the source, then copied to the destination, each run into a
// repository of its own:
//
//	cold     nothing in the destination: every blob is sent;
//	warm     the same copy again: the digest is there, nothing is sent;
//	resumed  half the filler layers already in the destination (as a copy
//	         stopped half way leaves them): only the rest is sent.
//
// MB/s is bytes sent (request bodies to the destination) per second of
// wall time, MB = 10^6 bytes; seconds are the Copy call's wall time.
//
//	go run ./test/bench/imagesync [-runs 3] [-size 64] [-layers 8]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kurator-go/kurator/internal/imagesync"
	"github.com/kurator-go/kurator/internal/registry"
	"github.com/kurator-go/kurator/internal/testimage"
)

func main() {
	runs := flag.Int("runs", 3, "runs of each scenario")
	size := flag.Int("size", 64, "MiB of filler in the test image")
	layers := flag.Int("layers", 8, "filler layers (the resumed scenario pre-loads half of them)")
	jobs := flag.Int("jobs", 4, "blobs sent at once")
	bin := flag.String("registry-bin", registry.DefaultBin(), "the registry binary (make registry builds it)")
	flag.Parse()
	if err := run(*runs, *size, *layers, *jobs, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// sample is one copy.
type sample struct {
	scenario string
	run      int
	seconds  float64
	bytes    int64
	skipped  bool
}

func (s sample) mbps() float64 {
	if s.seconds == 0 {
		return 0
	}
	return float64(s.bytes) / 1e6 / s.seconds
}

var scenarios = []string{"cold", "warm", "resumed"}

func run(runs, sizeMiB, layers, jobs int, bin string) error {
	if layers < 2 {
		return fmt.Errorf("-layers %d: give at least 2 (the resumed copy pre-loads half of them)", layers)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	src, err := registry.Start(ctx, registry.Options{Bin: bin, StopWithParent: true})
	if err != nil {
		return err
	}
	defer src.Stop()
	dst, err := registry.Start(ctx, registry.Options{Bin: bin, StopWithParent: true})
	if err != nil {
		return err
	}
	defer dst.Stop()
	fmt.Printf("registries: source %s, destination %s (loopback, filesystem storage in %s and %s)\n", src.Host(), dst.Host(), src.Dir(), dst.Dir())

	opts := testimage.Options{FillerMiB: sizeMiB, FillerLayers: layers}
	begin := time.Now()
	img, err := testimage.Build(opts)
	if err != nil {
		return err
	}
	pushed, err := testimage.PushImage(ctx, img, testimage.Ref(src.Host(), opts), true)
	if err != nil {
		return err
	}
	var blobBytes int64
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	blobBytes += m.Config.Size
	for _, l := range m.Layers {
		blobBytes += l.Size
	}
	fmt.Printf("test image %s (%s): %d layers, %.1f MB of blobs, built and pushed to the source in %.1fs\n",
		pushed.Ref, pushed.Digest[:19], len(m.Layers), float64(blobBytes)/1e6, time.Since(begin).Seconds())

	copyOpts := imagesync.Options{InsecureSrc: true, InsecureDst: true, Jobs: jobs}
	var samples []sample
	for r := 1; r <= runs; r++ {
		repo := fmt.Sprintf("%s/run-%d", dst.Host(), r)
		// cold, then warm into the same repository.
		for _, sc := range scenarios[:2] {
			s, err := measure(ctx, sc, r, pushed.Ref, repo+"/mes-system:v1.2", copyOpts)
			if err != nil {
				return err
			}
			samples = append(samples, s)
		}
		// resumed: half the filler layers are there already.
		to := repo + "/resumed/mes-system:v1.2"
		if err := preload(ctx, img, to, layers/2); err != nil {
			return err
		}
		s, err := measure(ctx, "resumed", r, pushed.Ref, to, copyOpts)
		if err != nil {
			return err
		}
		samples = append(samples, s)
	}

	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\truns\tMB sent\tseconds (min-max)\tMB/s (min-max)\tskipped\t")
	for _, sc := range scenarios {
		var secs, rates, sent []float64
		skipped := 0
		for _, s := range samples {
			if s.scenario != sc {
				continue
			}
			secs = append(secs, s.seconds)
			if s.bytes > 0 {
				rates = append(rates, s.mbps())
			}
			sent = append(sent, float64(s.bytes)/1e6)
			if s.skipped {
				skipped++
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d/%d\t\n", sc, len(secs), span(sent, "%.1f"), span(secs, "%.3f"), span(rates, "%.0f"), skipped, len(secs))
	}
	return tw.Flush()
}

// measure copies src to dst once and prints the result.
func measure(ctx context.Context, scenario string, run int, src, dst string, opts imagesync.Options) (sample, error) {
	begin := time.Now()
	res, err := imagesync.Copy(ctx, src, dst, opts)
	if err != nil {
		return sample{}, fmt.Errorf("%s run %d: %w", scenario, run, err)
	}
	s := sample{scenario: scenario, run: run, seconds: time.Since(begin).Seconds(), bytes: res.Bytes, skipped: res.Skipped}
	rate := "-"
	if s.bytes > 0 {
		rate = fmt.Sprintf("%.0f", s.mbps())
	}
	fmt.Printf("run %d %-8s %8.1f MB sent in %6.3fs = %6s MB/s (skipped: %v)\n", run, scenario, float64(s.bytes)/1e6, s.seconds, rate, s.skipped)
	return s, nil
}

// preload uploads the first n filler layers of img (layer 0 holds the
// image's files) to dst's repository, as a copy stopped half way would
// have left them.
func preload(ctx context.Context, img v1.Image, dst string, n int) error {
	ref, err := name.ParseReference(dst, name.Insecure)
	if err != nil {
		return err
	}
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range ls[1 : 1+n] {
		if err := remote.WriteLayer(ref.Context(), l, remote.WithContext(ctx)); err != nil {
			return fmt.Errorf("preload a layer into %s: %w", ref.Context(), err)
		}
	}
	return nil
}

// span formats the smallest and largest of vs ("a" when they are equal).
func span(vs []float64, format string) string {
	if len(vs) == 0 {
		return "-"
	}
	lo, hi := slices.Min(vs), slices.Max(vs)
	a, b := fmt.Sprintf(format, lo), fmt.Sprintf(format, hi)
	if a == b {
		return a
	}
	return a + "-" + b
}

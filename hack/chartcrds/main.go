// Command chartcrds copies the generated CRDs (config/crd/*.yaml) into the
// Helm chart (charts/kurator/files/crds), adding the annotation
// helm.sh/resource-policy: keep so that `helm uninstall` leaves them (and
// every object of theirs) in place. `make generate` runs it from the
// repository root; hack/verify-generated.sh runs it into a temporary folder
// and compares.
//
// The chart renders these files from a template (templates/crds.yaml), not
// from Helm's crds/ folder: Helm installs crds/ once and never upgrades it,
// while a template is applied again on every `helm upgrade`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// keep is the line added under metadata.annotations of every CRD.
const keep = "    helm.sh/resource-policy: keep\n"

// labels are added to metadata, so `kubectl delete crd -l
// app.kubernetes.io/part-of=kurator` finds every Kurator CRD.
const labels = "  labels:\n    app.kubernetes.io/part-of: kurator\n"

// nameLine starts metadata.name, which controller-gen writes after the
// annotations.
const nameLine = "\n  name: "

// anchor is where controller-gen writes a CRD's annotations; the copy adds
// keep right after it.
const anchor = "\nmetadata:\n  annotations:\n"

func main() {
	in := flag.String("in", filepath.Join("config", "crd"), "folder of the generated CRDs")
	out := flag.String("out", filepath.Join("charts", "kurator", "files", "crds"), "folder of the chart's copy (replaced)")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "chartcrds:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	names, err := filepath.Glob(filepath.Join(in, "*.yaml"))
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("no CRDs in %s: run it from the repository root after controller-gen (make generate)", in)
	}
	sort.Strings(names)
	copies := map[string][]byte{}
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		data, err := annotate(src)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		copies[filepath.Base(name)] = data
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	// Remove copies of CRDs that are no longer generated.
	old, err := filepath.Glob(filepath.Join(out, "*.yaml"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if _, ok := copies[filepath.Base(f)]; !ok {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	for base, data := range copies {
		if err := os.WriteFile(filepath.Join(out, base), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// annotate returns src with keep added to the CRD's annotations. src is one
// controller-gen CRD document.
func annotate(src []byte) ([]byte, error) {
	if n := bytes.Count(src, []byte(anchor)); n != 1 {
		return nil, fmt.Errorf("expected one %q block (controller-gen's layout), found %d: update hack/chartcrds for the new layout", strings.TrimSpace(anchor), n)
	}
	if bytes.Contains(src, []byte(strings.TrimSpace(keep))) {
		return src, nil
	}
	i := bytes.Index(src, []byte(anchor)) + len(anchor)
	j := bytes.Index(src[i:], []byte(nameLine))
	if j < 0 {
		return nil, fmt.Errorf("no metadata.name after the annotations (controller-gen's layout): update hack/chartcrds for the new layout")
	}
	j += i + 1 // after the newline, at "  name: "
	out := make([]byte, 0, len(src)+len(keep)+len(labels))
	out = append(out, src[:i]...)
	out = append(out, keep...)
	out = append(out, src[i:j]...)
	out = append(out, labels...)
	out = append(out, src[j:]...)
	return out, nil
}

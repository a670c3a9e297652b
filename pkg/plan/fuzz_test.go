package plan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzPlan feeds arbitrary bytes through Parse, Plan with rendering, and JSON
// encoding: whatever the input, plan must answer with an error or a result,
// never a panic. `go test` runs the seed corpus only; explore with
//
//	go test ./pkg/plan -run '^$' -fuzz FuzzPlan -fuzztime 60s
func FuzzPlan(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no example files in %s: %v", examplesDir, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(stream(seedFleet, nginx, nginxPropagation))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- apiVersion: batch/v1\n  kind: Job\n  metadata: {name: j}\n  spec: {parallelism: 3, completions: 1}\n"))
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {overhead: {cpu: 1}, initContainers: [{name: i, resources: {limits: {memory: 1Gi}}}]}\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		out, err := Plan(in, Options{Render: true})
		if err != nil {
			return
		}
		if len(out.Workloads) != len(in.Resources) {
			t.Fatalf("%d workloads for %d resources", len(out.Workloads), len(in.Resources))
		}
		_, _ = json.Marshal(out)
	})
}

package apphub

import (
	"fmt"
	"strings"
	"testing"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

// bigPackage is a 200-object package as a plant's application might be:
// 50 Deployments (half without a selector), 50 Services, 50 ConfigMaps
// and 50 PersistentVolumeClaims, in 10 files of 20 objects.
func bigPackage() Package {
	p := Package{Format: appsv1alpha1.FormatManifests, Files: map[string][]byte{}}
	var b strings.Builder
	for i := 0; i < 50; i++ {
		selector := ""
		if i%2 == 0 {
			selector = fmt.Sprintf("  selector:\n    matchLabels: {app: svc-%d}\n", i)
		}
		fmt.Fprintf(&b, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-%[1]d
  labels: {app: svc-%[1]d, plant: north}
spec:
  replicas: 3
%[2]s  template:
    metadata:
      labels: {app: svc-%[1]d}
    spec:
      containers:
      - name: main
        image: registry.plant.example/mes/svc-%[1]d:v1.2
        ports: [{containerPort: 8080}]
        env: [{name: MODE, value: production}, {name: LINE, value: "%[1]d"}]
        resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: "1", memory: 512Mi}}
        volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: data-%[1]d}}]
---
apiVersion: v1
kind: Service
metadata: {name: svc-%[1]d}
spec:
  selector: {app: svc-%[1]d}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: svc-%[1]d-config}
data:
  application.properties: |
    line=%[1]d
    plant=north
    log.level=info
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-%[1]d}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: standard
  resources: {requests: {storage: 10Gi}}
---
`, i, selector)
		if i%5 == 4 {
			p.Files[fmt.Sprintf("mes/part-%02d.yaml", i/5)] = []byte(b.String())
			b.Reset()
		}
	}
	return p
}

func TestBigPackageHas200Objects(t *testing.T) {
	objs, warnings, err := bigPackage().Render(RenderOptions{DefaultNamespace: "mes"})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 200 || len(warnings) != 25 {
		t.Fatalf("%d objects and %d warnings, want 200 and 25", len(objs), len(warnings))
	}
}

func BenchmarkRender200Objects(b *testing.B) {
	p := bigPackage()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.Render(RenderOptions{DefaultNamespace: "mes", Labels: map[string]string{"apps.kurator.dev/app": "mes"}}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBundle200Objects(b *testing.B) {
	p := bigPackage()
	data, _, _ := p.Bundle()
	b.ReportMetric(float64(len(data)), "gz-bytes")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.Bundle(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnbundle200Objects(b *testing.B) {
	data, _, err := bigPackage().Bundle()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Unbundle(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDiff200ObjectsOneImageChanged(b *testing.B) {
	p := bigPackage()
	a, _, err := p.Render(RenderOptions{DefaultNamespace: "mes"})
	if err != nil {
		b.Fatal(err)
	}
	name := "mes/part-03.yaml"
	p.Files[name] = []byte(strings.Replace(string(p.Files[name]), "svc-17:v1.2", "svc-17:v1.3", 1))
	c, _, err := p.Render(RenderOptions{DefaultNamespace: "mes"})
	if err != nil {
		b.Fatal(err)
	}
	if Diff(a, c) == "" {
		b.Fatal("no diff")
	}
	b.ReportAllocs()
	for b.Loop() {
		Diff(a, c)
	}
}

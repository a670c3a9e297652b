package apphubstore

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/internal/apphub"
	pkgapphub "github.com/kurator-go/kurator/pkg/apphub"
	"github.com/kurator-go/kurator/test/e2e/fleettest"
)

// mesYAML is seed 000's mes-app.yaml, indented as the seed means it.
const mesYAML = `# mes-app.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: mes-deployment
spec:
  replicas: 5
  template:
    spec:
      containers:
      - name: mes-container
        image: mes-system:v1.2
        ports:
        - containerPort: 8080
`

func mesPackage(image string) pkgapphub.Package {
	return pkgapphub.Package{Format: appsv1alpha1.FormatManifests, Files: map[string][]byte{
		"mes-app.yaml": []byte(strings.Replace(mesYAML, "mes-system:v1.2", image, 1)),
	}}
}

// hub returns a store on the fleet's hub and a fresh namespace for one test.
func hub(t *testing.T) (apphub.Store, client.Client, string) {
	t.Helper()
	c, err := fleettest.HubClient(fleet)
	if err != nil {
		t.Fatal(err)
	}
	ns := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(ns) > 63 {
		ns = ns[:63]
	}
	ns = strings.Trim(ns, "-")
	if err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}) })
	return apphub.Store{Client: c}, c, ns
}

// meta is what a push records, from the package's own render.
func meta(t *testing.T, p pkgapphub.Package, name string) apphub.PushMeta {
	t.Helper()
	objs, warnings, err := p.Render(pkgapphub.RenderOptions{DefaultNamespace: "default", Package: name})
	if err != nil {
		t.Fatal(err)
	}
	m := apphub.PushMeta{Source: "upload", Objects: pkgapphub.Objects(objs), Warnings: warnings}
	for _, img := range pkgapphub.Images(objs) {
		m.Images = append(m.Images, appsv1alpha1.AppImage{Ref: img})
	}
	return m
}

func blobCount(t *testing.T, c client.Client, ns string) int {
	t.Helper()
	var list corev1.ConfigMapList
	if err := c.List(context.Background(), &list, client.InNamespace(ns), client.HasLabels{apphub.BlobLabel}); err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}

func TestPushStoresTheMESPackageAndGetReadsItBack(t *testing.T) {
	store, c, ns := hub(t)
	ctx := context.Background()
	p := mesPackage("mes-system:v1.2")
	_, digest, err := p.Bundle()
	if err != nil {
		t.Fatal(err)
	}

	v, created, err := store.Push(ctx, ns, "mes", "v1.2", p, meta(t, p, "mes:v1.2"))
	if err != nil || !created {
		t.Fatalf("push: created=%v err=%v, want a new version", created, err)
	}
	if v.Name != "mes-v1.2" || v.Spec.Digest != digest || v.Spec.Format != appsv1alpha1.FormatManifests || len(v.Spec.Blobs) != 1 {
		t.Fatalf("AppVersion %s: digest %s format %s blobs %v; want mes-v1.2, %s, Manifests, one blob", v.Name, v.Spec.Digest, v.Spec.Format, v.Spec.Blobs, digest)
	}
	if v.Labels[appsv1alpha1.AppLabel] != "mes" || v.Labels[appsv1alpha1.VersionLabel] != "v1.2" {
		t.Errorf("labels %v, want app=mes and version=v1.2", v.Labels)
	}
	if want := []string{"Deployment/default/mes-deployment"}; !reflect.DeepEqual(v.Spec.Objects, want) {
		t.Errorf("objects %v, want %v", v.Spec.Objects, want)
	}
	if len(v.Spec.Warnings) != 1 || !strings.Contains(v.Spec.Warnings[0], "spec.selector was missing; defaulted to app=mes-deployment") {
		t.Errorf("warnings %q, want the defaulted selector", v.Spec.Warnings)
	}

	var blob corev1.ConfigMap
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: v.Spec.Blobs[0]}, &blob); err != nil {
		t.Fatal(err)
	}
	hex := strings.TrimPrefix(digest, "sha256:")[:20]
	if blob.Name != "apphub-blob-"+hex+"-0" || blob.Labels[apphub.BlobLabel] != hex || blob.Immutable == nil || !*blob.Immutable || len(blob.BinaryData["content"]) == 0 {
		t.Fatalf("blob %s: labels %v immutable %v content %d bytes; want apphub-blob-%s-0, immutable, with content", blob.Name, blob.Labels, blob.Immutable, len(blob.BinaryData["content"]), hex)
	}
	blob.BinaryData["content"] = []byte("tampered")
	if err := c.Update(ctx, &blob); err == nil {
		t.Fatal("the hub let a blob ConfigMap change; it must be immutable")
	}

	got, gp, err := store.Get(ctx, ns, "mes", "v1.2")
	if err != nil {
		t.Fatal(err)
	}
	if got.UID != v.UID || gp.Format != appsv1alpha1.FormatManifests || !reflect.DeepEqual(gp.Files, p.Files) {
		t.Fatalf("Get returned %s with files %v, want the pushed %s", got.UID, gp.Files, v.UID)
	}
	objs, _, err := gp.Render(pkgapphub.RenderOptions{DefaultNamespace: "plant"})
	if err != nil || len(objs) != 1 || objs[0].GetName() != "mes-deployment" {
		t.Fatalf("rendering what Get returned: %v, %v", pkgapphub.Objects(objs), err)
	}
}

func TestPushAgain(t *testing.T) {
	store, c, ns := hub(t)
	ctx := context.Background()
	v12 := mesPackage("mes-system:v1.2")
	first, _, err := store.Push(ctx, ns, "mes", "v1.2", v12, meta(t, v12, "mes:v1.2"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("same version, same content: a no-op returning the stored version", func(t *testing.T) {
		again, created, err := store.Push(ctx, ns, "mes", "v1.2", mesPackage("mes-system:v1.2"), apphub.PushMeta{Source: "another upload"})
		if err != nil || created {
			t.Fatalf("created=%v err=%v, want a no-op", created, err)
		}
		if again.UID != first.UID || again.ResourceVersion != first.ResourceVersion || again.Spec.Source != "upload" {
			t.Fatalf("the stored version changed: %s/%s source %q", again.UID, again.ResourceVersion, again.Spec.Source)
		}
	})

	t.Run("same version, other content: refused naming both digests and the fix", func(t *testing.T) {
		changed := mesPackage("mes-system:v1.3")
		_, changedDigest, _ := changed.Bundle()
		_, created, err := store.Push(ctx, ns, "mes", "v1.2", changed, apphub.PushMeta{})
		if !errors.Is(err, apphub.ErrVersionExists) || created {
			t.Fatalf("created=%v err=%v, want ErrVersionExists", created, err)
		}
		for _, part := range []string{"mes:v1.2", first.Spec.Digest, changedDigest, "push it as a new version"} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("error %q does not say %q", err, part)
			}
		}
		if _, p, err := store.Get(ctx, ns, "mes", "v1.2"); err != nil || !reflect.DeepEqual(p.Files, v12.Files) {
			t.Fatalf("the stored version is not the first content any more (%v)", err)
		}
	})

	t.Run("equal content under another app and version: stored once", func(t *testing.T) {
		before := blobCount(t, c, ns)
		copyV, created, err := store.Push(ctx, ns, "mes-copy", "1.0.0+plant.7", mesPackage("mes-system:v1.2"), apphub.PushMeta{})
		if err != nil || !created {
			t.Fatalf("created=%v err=%v", created, err)
		}
		if after := blobCount(t, c, ns); after != before {
			t.Fatalf("%d blob ConfigMaps after, %d before: equal content must be stored once", after, before)
		}
		if !reflect.DeepEqual(copyV.Spec.Blobs, first.Spec.Blobs) {
			t.Fatalf("blobs %v, want the same as %v", copyV.Spec.Blobs, first.Spec.Blobs)
		}
		if _, ok := copyV.Labels[appsv1alpha1.VersionLabel]; ok || copyV.Name == "mes-copy-1.0.0+plant.7" {
			t.Fatalf("version 1.0.0+plant.7 (not a label value) got name %s, labels %v", copyV.Name, copyV.Labels)
		}
		if _, p, err := store.Get(ctx, ns, "mes-copy", "1.0.0+plant.7"); err != nil || !reflect.DeepEqual(p.Files, v12.Files) {
			t.Fatalf("Get of the copy: %v", err)
		}
	})
}

func TestListOldestFirst(t *testing.T) {
	store, _, ns := hub(t)
	ctx := context.Background()
	// Pushed within the same second: not in lexical order (v1.10 < v1.2).
	order := []string{"v1.2", "v1.3", "v1.10"}
	for _, version := range order {
		p := mesPackage("mes-system:" + version)
		if _, _, err := store.Push(ctx, ns, "mes", version, p, apphub.PushMeta{}); err != nil {
			t.Fatal(err)
		}
	}
	other := mesPackage("other:1")
	if _, _, err := store.Push(ctx, ns, "other", "v1", other, apphub.PushMeta{}); err != nil {
		t.Fatal(err)
	}
	versions, err := store.List(ctx, ns, "mes")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range versions {
		got = append(got, v.Spec.Version)
	}
	if !reflect.DeepEqual(got, order) {
		t.Fatalf("List = %v, want %v (oldest first, other apps left out)", got, order)
	}
}

func TestLargeContentIsChunked(t *testing.T) {
	store, c, ns := hub(t)
	ctx := context.Background()
	// 2 MiB that does not compress: three chunks of at most 900 KiB.
	noise := make([]byte, 2<<20)
	r := rand.NewChaCha8([32]byte{7})
	_, _ = r.Read(noise)
	p := mesPackage("mes-system:v1.2")
	p.Files["data/firmware.bin"] = noise
	v, _, err := store.Push(ctx, ns, "mes", "v2", p, apphub.PushMeta{})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Spec.Blobs) != 3 {
		t.Fatalf("blobs %v, want 3 chunks for %d bytes", v.Spec.Blobs, v.Spec.Size)
	}
	for _, name := range v.Spec.Blobs {
		var cm corev1.ConfigMap
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &cm); err != nil {
			t.Fatal(err)
		}
		if n := len(cm.BinaryData["content"]); n == 0 || n > apphub.ChunkSize {
			t.Errorf("%s holds %d bytes, want 1..%d", name, n, apphub.ChunkSize)
		}
	}
	_, got, err := store.Get(ctx, ns, "mes", "v2")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Files["data/firmware.bin"], noise) {
		t.Fatal("the reassembled content differs")
	}
}

func TestPushAdoptsContentStoredByAnotherCompressor(t *testing.T) {
	store, c, ns := hub(t)
	ctx := context.Background()
	p := mesPackage("mes-system:v1.2")
	data, digest, err := p.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	// The same tar, gzipped at another level: other bytes, same digest.
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var other bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&other, gzip.NoCompression)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	if bytes.Equal(other.Bytes(), data) {
		t.Fatal("the test needs other bytes")
	}
	hex := strings.TrimPrefix(digest, "sha256:")[:20]
	immutable := true
	if err := c.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "apphub-blob-" + hex + "-0", Labels: map[string]string{apphub.BlobLabel: hex},
			Annotations: map[string]string{apphub.DigestAnnotation: digest, apphub.ChunksAnnotation: "1"}},
		Immutable: &immutable, BinaryData: map[string][]byte{"content": other.Bytes()},
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Push(ctx, ns, "mes", "v1.2", p, apphub.PushMeta{}); err != nil {
		t.Fatalf("push over content stored by another compressor: %v", err)
	}
	if _, got, err := store.Get(ctx, ns, "mes", "v1.2"); err != nil || !reflect.DeepEqual(got.Files, p.Files) {
		t.Fatalf("Get: %v", err)
	}
}

func TestGetRefusals(t *testing.T) {
	store, c, ns := hub(t)
	ctx := context.Background()
	p := mesPackage("mes-system:v1.2")
	good, _, err := store.Push(ctx, ns, "mes", "v1.2", p, apphub.PushMeta{})
	if err != nil {
		t.Fatal(err)
	}
	forged := func(name, digest string, blobs []string) {
		t.Helper()
		v := &appsv1alpha1.AppVersion{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{appsv1alpha1.AppLabel: "mes"}},
			Spec: appsv1alpha1.AppVersionSpec{App: "mes", Version: strings.TrimPrefix(name, "mes-"), Digest: digest,
				Format: appsv1alpha1.FormatManifests, Blobs: blobs, Size: 1},
		}
		if err := c.Create(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	forged("mes-wrong-digest", "sha256:"+strings.Repeat("0", 64), good.Spec.Blobs)
	forged("mes-lost-blob", good.Spec.Digest, []string{"apphub-blob-00000000000000000000-0"})

	tests := []struct {
		name, version string
		notFound      bool
		wantErr       []string
	}{
		{name: "a version never pushed is NotFound", version: "v9", notFound: true, wantErr: []string{"mes:v9"}},
		{name: "content that does not match the digest", version: "wrong-digest", wantErr: []string{"content has digest " + good.Spec.Digest, "the version says sha256:0000", "delete the AppVersion and push the version again"}},
		{name: "a missing blob ConfigMap", version: "lost-blob", wantErr: []string{"apphub-blob-00000000000000000000-0", "not found", "delete the AppVersion and push the version again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := store.Get(ctx, ns, "mes", tt.version)
			if err == nil {
				t.Fatal("Get succeeded")
			}
			if apierrors.IsNotFound(err) != tt.notFound {
				t.Errorf("IsNotFound = %v, want %v (%v)", apierrors.IsNotFound(err), tt.notFound, err)
			}
			for _, part := range tt.wantErr {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
		})
	}
}

func TestPushRefusesBadNames(t *testing.T) {
	store, _, ns := hub(t)
	p := mesPackage("mes-system:v1.2")
	// "mes-a" + "b" and "mes" + "a-b" both read mes-a-b: the second push
	// finds the first one's AppVersion under that name.
	if _, _, err := store.Push(context.Background(), ns, "mes-a", "b", p, apphub.PushMeta{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, app, version, wantErr string
	}{
		{name: "an empty version", app: "mes", version: "", wantErr: "the version is empty: push NAME:VERSION"},
		{name: "a version with a space", app: "mes", version: "v1 2", wantErr: "has a space or control character"},
		{name: "an app name that is not a label value", app: "mes/app", version: "v1", wantErr: `application name "mes/app"`},
		{name: "another app:version mapping to a stored version's name", app: "mes", version: "a-b", wantErr: "AppVersion " + ns + "/mes-a-b already holds mes-a:b (both map to that name): push under another version string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := store.Push(context.Background(), ns, tt.app, tt.version, p, apphub.PushMeta{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

// bigPackage is 200 objects in 10 files: 50 each of Deployments,
// Services, ConfigMaps and PersistentVolumeClaims (as pkg/apphub's
// benchmark package).
func bigPackage() pkgapphub.Package {
	p := pkgapphub.Package{Format: appsv1alpha1.FormatManifests, Files: map[string][]byte{}}
	var b strings.Builder
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, `apiVersion: apps/v1
kind: Deployment
metadata: {name: svc-%[1]d, labels: {app: svc-%[1]d, plant: north}}
spec:
  replicas: 3
  selector: {matchLabels: {app: svc-%[1]d}}
  template:
    metadata: {labels: {app: svc-%[1]d}}
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
spec: {selector: {app: svc-%[1]d}, ports: [{port: 80, targetPort: 8080}]}
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
spec: {accessModes: [ReadWriteOnce], storageClassName: standard, resources: {requests: {storage: 10Gi}}}
---
`, i)
		if i%5 == 4 {
			p.Files[fmt.Sprintf("mes/part-%02d.yaml", i/5)] = []byte(b.String())
			b.Reset()
		}
	}
	return p
}

// TestHubStoragePerVersion measures the bytes a version takes in the
// hub's etcd: its blob ConfigMaps and its AppVersion, as stored (the
// values under the hub's etcd prefix), for the MES package and a
// 200-object package, and for a second version with equal content.
func TestHubStoragePerVersion(t *testing.T) {
	store, _, ns := hub(t)
	ctx := context.Background()
	etcd := newEtcdReader(t)
	tests := []struct {
		name string
		app  string
		pkg  pkgapphub.Package
	}{
		{name: "MES package (seed 000, 1 object)", app: "mes", pkg: mesPackage("mes-system:v1.2")},
		{name: "200-object package", app: "plant", pkg: bigPackage()},
	}
	var report strings.Builder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _, err := store.Push(ctx, ns, tt.app, "v1", tt.pkg, meta(t, tt.pkg, tt.app+":v1"))
			if err != nil {
				t.Fatal(err)
			}
			var files int
			for _, content := range tt.pkg.Files {
				files += len(content)
			}
			blobs := 0
			for _, name := range v.Spec.Blobs {
				blobs += etcd.size(t, "configmaps/"+ns+"/"+name)
			}
			version := etcd.size(t, "apps.kurator.dev/appversions/"+ns+"/"+v.Name)
			// A second version with equal content adds its AppVersion only.
			v2, _, err := store.Push(ctx, ns, tt.app, "v1-again", tt.pkg, meta(t, tt.pkg, tt.app+":v1-again"))
			if err != nil {
				t.Fatal(err)
			}
			again := etcd.size(t, "apps.kurator.dev/appversions/"+ns+"/"+v2.Name)
			if blobs < int(v.Spec.Size) || version == 0 || again == 0 {
				t.Fatalf("etcd holds %d bytes of blobs for %d bytes of content, AppVersion %d and %d bytes", blobs, v.Spec.Size, version, again)
			}
			line := fmt.Sprintf("%s: %d objects, %d bytes of YAML, %d bytes gzipped; in etcd %d bytes of blob ConfigMaps (%d) + %d bytes of AppVersion = %d bytes; the same content again as another version: +%d bytes",
				tt.name, len(v.Spec.Objects), files, v.Spec.Size, blobs, len(v.Spec.Blobs), version, blobs+version, again)
			t.Log(line)
			report.WriteString(line + "\n")
		})
	}
	if out := os.Getenv("APPHUB_STORAGE_REPORT"); out != "" {
		if err := os.WriteFile(out, []byte(report.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

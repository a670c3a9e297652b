package storageadapt

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/overrides"
)

// The plants of seed 000: three storage plugins, a cluster that does not
// say which it has, and one with a plugin no template knows.
var plants = []overrides.ClusterInfo{
	{Name: "plant-ceph", Labels: map[string]string{appsv1alpha1.DefaultStorageTraitLabel: "ceph"}},
	{Name: "plant-nfs", Labels: map[string]string{appsv1alpha1.DefaultStorageTraitLabel: "nfs"}},
	{Name: "plant-ebs", Labels: map[string]string{appsv1alpha1.DefaultStorageTraitLabel: "ebs"}},
	{Name: "plant-bare", Labels: map[string]string{"region": "north"}},
	{Name: "plant-odd", Labels: map[string]string{appsv1alpha1.DefaultStorageTraitLabel: "local-path"}},
}

const plantsTemplate = `
apiVersion: apps.kurator.dev/v1alpha1
kind: StorageAdaptation
metadata: {name: plants}
spec:
  classes:
  - {trait: ceph, storageClassName: rook-ceph-block}
  - {trait: nfs, storageClassName: nfs-client, accessModes: [ReadWriteMany]}
  - {trait: ebs, storageClassName: gp3, volumeMode: Block}
`

const pvc = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: mes}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Gi}}
`

const pvcStandard = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: mes}
spec:
  storageClassName: standard
  accessModes: [ReadWriteOnce]
  volumeMode: Filesystem
  resources: {requests: {storage: 10Gi}}
`

const statefulSet = `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: mes-db, namespace: mes}
spec:
  replicas: 3
  selector: {matchLabels: {app: mes-db}}
  serviceName: mes-db
  template:
    metadata: {labels: {app: mes-db}}
    spec: {containers: [{name: db, image: postgres:16}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      storageClassName: standard
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 50Gi}}
  - metadata: {name: wal}
    spec:
      storageClassName: fast
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 5Gi}}
`

// TestSelect renders each object for the plants through the override
// engine and reads its claims back.
func TestSelect(t *testing.T) {
	cases := []struct {
		name string
		sas  []string
		obj  string
		// want is, per cluster, each claim as "class modes volumeMode"
		// after the adaptations.
		want map[string][]string
		// wantNames are the adaptations Select returns, in order.
		wantNames []string
	}{
		{
			name: "a PVC without a class gets rook-ceph-block on ceph, nfs-client on nfs, gp3 on ebs; unlabelled and unknown plants keep it as is",
			sas:  []string{plantsTemplate},
			obj:  pvc,
			want: map[string][]string{
				"plant-ceph": {"rook-ceph-block [ReadWriteOnce] -"},
				"plant-nfs":  {"nfs-client [ReadWriteMany] -"},
				"plant-ebs":  {"gp3 [ReadWriteOnce] Block"},
				"plant-bare": {"- [ReadWriteOnce] -"},
				"plant-odd":  {"- [ReadWriteOnce] -"},
			},
			wantNames: []string{"plants"},
		},
		{
			name: "a PVC that names a class and a volume mode has both replaced",
			sas:  []string{plantsTemplate},
			obj:  pvcStandard,
			want: map[string][]string{
				"plant-ceph": {"rook-ceph-block [ReadWriteOnce] Filesystem"},
				"plant-nfs":  {"nfs-client [ReadWriteMany] Filesystem"},
				"plant-ebs":  {"gp3 [ReadWriteOnce] Block"},
				"plant-bare": {"standard [ReadWriteOnce] Filesystem"},
				"plant-odd":  {"standard [ReadWriteOnce] Filesystem"},
			},
			wantNames: []string{"plants"},
		},
		{
			name: "a StatefulSet's two claim templates both get the plant's class",
			sas:  []string{plantsTemplate},
			obj:  statefulSet,
			want: map[string][]string{
				"plant-ceph": {"rook-ceph-block [ReadWriteOnce] -", "rook-ceph-block [ReadWriteOnce] -"},
				"plant-nfs":  {"nfs-client [ReadWriteMany] -", "nfs-client [ReadWriteMany] -"},
				"plant-ebs":  {"gp3 [ReadWriteOnce] Block", "gp3 [ReadWriteOnce] Block"},
				"plant-bare": {"standard [ReadWriteOnce] -", "fast [ReadWriteOnce] -"},
			},
			wantNames: []string{"plants"},
		},
		{
			name: "fromStorageClassName standard adapts the data template and leaves the fast wal template",
			sas: []string{`
metadata: {name: standard-only}
spec:
  fromStorageClassName: standard
  classes: [{trait: ceph, storageClassName: rook-ceph-block}, {trait: ebs, storageClassName: gp3}]
`},
			obj: statefulSet,
			want: map[string][]string{
				"plant-ceph": {"rook-ceph-block [ReadWriteOnce] -", "fast [ReadWriteOnce] -"},
				"plant-ebs":  {"gp3 [ReadWriteOnce] -", "fast [ReadWriteOnce] -"},
				"plant-nfs":  {"standard [ReadWriteOnce] -", "fast [ReadWriteOnce] -"},
			},
			wantNames: []string{"standard-only"},
		},
		{
			name: "fromStorageClassName no claim asks for selects nothing",
			sas: []string{`
metadata: {name: premium-only}
spec:
  fromStorageClassName: premium
  classes: [{trait: ceph, storageClassName: rook-ceph-block}]
`},
			obj:  statefulSet,
			want: map[string][]string{"plant-ceph": {"standard [ReadWriteOnce] -", "fast [ReadWriteOnce] -"}},
		},
		{
			name: "fromStorageClassName does not match a PVC without a class",
			sas: []string{`
metadata: {name: standard-only}
spec:
  fromStorageClassName: standard
  classes: [{trait: ceph, storageClassName: rook-ceph-block}]
`},
			obj:  pvc,
			want: map[string][]string{"plant-ceph": {"- [ReadWriteOnce] -"}},
		},
		{
			name: "an adaptation limited to other namespaces leaves the claim alone",
			sas: []string{`
metadata: {name: erp-only}
spec:
  namespaces: [erp, finance]
  classes: [{trait: ceph, storageClassName: rook-ceph-block}]
`},
			obj:  pvc,
			want: map[string][]string{"plant-ceph": {"- [ReadWriteOnce] -"}},
		},
		{
			name: "an adaptation listing the claim's namespace applies",
			sas: []string{`
metadata: {name: mes-only}
spec:
  namespaces: [erp, mes]
  classes: [{trait: ceph, storageClassName: rook-ceph-block}]
`},
			obj:       pvc,
			want:      map[string][]string{"plant-ceph": {"rook-ceph-block [ReadWriteOnce] -"}, "plant-nfs": {"- [ReadWriteOnce] -"}},
			wantNames: []string{"mes-only"},
		},
		{
			name: "a custom cluster label is read instead of storage.kurator.dev/type",
			sas: []string{`
metadata: {name: by-csi}
spec:
  clusterLabel: example.com/csi
  classes: [{trait: ceph, storageClassName: rook-ceph-block}]
`},
			obj:       pvc,
			want:      map[string][]string{"plant-ceph": {"- [ReadWriteOnce] -"}, "plant-csi": {"rook-ceph-block [ReadWriteOnce] -"}},
			wantNames: []string{"by-csi"},
		},
		{
			name: "two adaptations apply in name order, so the later name wins a plant both list",
			sas: []string{`
metadata: {name: zz-override}
spec:
  classes: [{trait: ceph, storageClassName: ceph-fast}]
`, plantsTemplate},
			obj: pvc,
			want: map[string][]string{
				"plant-ceph": {"ceph-fast [ReadWriteOnce] -"},
				"plant-nfs":  {"nfs-client [ReadWriteMany] -"},
			},
			wantNames: []string{"plants", "zz-override"},
		},
		{
			name: "a claim naming its class by the beta annotation has the annotation changed too",
			sas:  []string{plantsTemplate},
			obj: `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: old
  namespace: mes
  annotations: {volume.beta.kubernetes.io/storage-class: standard}
spec: {accessModes: [ReadWriteOnce]}
`,
			want: map[string][]string{
				"plant-ceph": {"rook-ceph-block(annotation rook-ceph-block) [ReadWriteOnce] -"},
				"plant-bare": {"-(annotation standard) [ReadWriteOnce] -"},
			},
			wantNames: []string{"plants"},
		},
		{
			name: "a claim template without a spec gets one",
			sas:  []string{plantsTemplate},
			obj: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: bare, namespace: mes}
spec:
  volumeClaimTemplates: [{metadata: {name: data}}]
`,
			want: map[string][]string{
				"plant-nfs":  {"nfs-client [ReadWriteMany] -"},
				"plant-bare": {"<no spec>"},
			},
			wantNames: []string{"plants"},
		},
		{
			name: "a Deployment is not a claim: nothing selected",
			sas:  []string{plantsTemplate},
			obj: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: mes, namespace: mes}
spec: {template: {spec: {containers: [{name: mes, image: mes-system:v1.2}]}}}
`,
		},
		{
			name: "a StatefulSet without claim templates: nothing selected",
			sas:  []string{plantsTemplate},
			obj: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: mes}
spec: {serviceName: cache}
`,
		},
	}
	clusters := append(plants, overrides.ClusterInfo{Name: "plant-csi", Labels: map[string]string{"example.com/csi": "ceph"}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sas := make([]appsv1alpha1.StorageAdaptation, len(tc.sas))
			for i, doc := range tc.sas {
				sas[i] = mustAdaptation(t, doc)
			}
			obj := mustObject(t, tc.obj)
			orig := obj.DeepCopy()
			selected := Select(sas, obj)
			var names []string
			for _, s := range selected {
				if s.Kind != Kind {
					t.Errorf("Selected %s has Kind %q, want %q", s.Name, s.Kind, Kind)
				}
				names = append(names, s.Name)
			}
			if !reflect.DeepEqual(names, tc.wantNames) {
				t.Fatalf("Select names = %v, want %v", names, tc.wantNames)
			}
			if again := Select(sas, obj); !reflect.DeepEqual(again, selected) {
				t.Errorf("Select is not deterministic: %+v then %+v", selected, again)
			}
			for _, c := range clusters {
				want, ok := tc.want[c.Name]
				if !ok {
					continue
				}
				out, _, err := overrides.ApplySelected(obj, c, selected)
				if err != nil {
					t.Fatalf("%s: %v", c.Name, err)
				}
				if got := claimsView(out); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: claims = %q, want %q", c.Name, got, want)
				}
			}
			if !reflect.DeepEqual(obj, orig) {
				t.Errorf("the object was modified")
			}
		})
	}
}

func TestSelectRecordsAppliedAdaptation(t *testing.T) {
	sas := []appsv1alpha1.StorageAdaptation{mustAdaptation(t, plantsTemplate)}
	selected := Select(sas, mustObject(t, pvc))
	for _, tc := range []struct {
		name    string
		cluster overrides.ClusterInfo
		want    []overrides.AppliedOverride
	}{
		{"the nfs plant records rule 1 of plants", plants[1], []overrides.AppliedOverride{{Kind: Kind, Name: "plants", Rules: []int{1}}}},
		{"the unlabelled plant records nothing", plants[3], nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, applied, err := overrides.ApplySelected(mustObject(t, pvc), tc.cluster, selected)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(applied, tc.want) {
				t.Errorf("applied = %+v, want %+v", applied, tc.want)
			}
		})
	}
}

func TestConcerns(t *testing.T) {
	for _, tc := range []struct {
		apiVersion, kind string
		want             bool
	}{
		{"v1", "PersistentVolumeClaim", true},
		{"apps/v1", "StatefulSet", true},
		{"apps/v1", "Deployment", false},
		{"example.com/v1", "PersistentVolumeClaim", false},
		{"v1", "ConfigMap", false},
	} {
		t.Run(fmt.Sprintf("%s %s concerned=%v", tc.apiVersion, tc.kind, tc.want), func(t *testing.T) {
			if got := Concerns(tc.apiVersion, tc.kind); got != tc.want {
				t.Errorf("Concerns = %v, want %v", got, tc.want)
			}
		})
	}
}

// claimsView prints each claim of a PVC or StatefulSet as "class modes
// volumeMode" ("-" for an absent field), with the beta class annotation
// in brackets when set.
func claimsView(obj *unstructured.Unstructured) []string {
	var claims []map[string]any
	if obj.GetKind() == "PersistentVolumeClaim" {
		claims = []map[string]any{obj.Object}
	} else {
		list, _, _ := unstructured.NestedSlice(obj.Object, "spec", "volumeClaimTemplates")
		for _, c := range list {
			claims = append(claims, c.(map[string]any))
		}
	}
	var out []string
	for _, c := range claims {
		spec, ok := c["spec"].(map[string]any)
		if !ok {
			out = append(out, "<no spec>")
			continue
		}
		class := orDash(spec["storageClassName"])
		if ann, ok, _ := unstructured.NestedString(c, "metadata", "annotations", legacyClassAnnotation); ok {
			class += "(annotation " + ann + ")"
		}
		var modes []string
		if list, ok := spec["accessModes"].([]any); ok {
			for _, m := range list {
				modes = append(modes, m.(string))
			}
		}
		out = append(out, fmt.Sprintf("%s [%s] %s", class, strings.Join(modes, ","), orDash(spec["volumeMode"])))
	}
	return out
}

func orDash(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return "-"
}

func mustAdaptation(t testing.TB, doc string) appsv1alpha1.StorageAdaptation {
	t.Helper()
	var sa appsv1alpha1.StorageAdaptation
	if err := yaml.UnmarshalStrict([]byte(doc), &sa); err != nil {
		t.Fatal(err)
	}
	return sa
}

// mustObject decodes a manifest as the hub does (integers as int64).
func mustObject(t testing.TB, doc string) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatal(err)
	}
	return u
}

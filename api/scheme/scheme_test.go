package scheme

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

const seedDir = "../testdata/seeds"

var ourGroups = map[string]bool{
	policyv1alpha1.GroupVersion.Group:  true,
	clusterv1alpha1.GroupVersion.Group: true,
	fleetv1alpha1.GroupVersion.Group:   true,
	workv1alpha1.GroupVersion.Group:    true,
}

// decodeStrict decodes one YAML document into the scheme's Go type for its
// kind, failing on unknown or duplicate fields.
func decodeStrict(doc []byte) (runtime.Object, schema.GroupVersionKind, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, schema.GroupVersionKind{}, err
	}
	gvk := tm.GroupVersionKind()
	if !ourGroups[gvk.Group] {
		return nil, gvk, nil
	}
	obj, err := Scheme.New(gvk)
	if err != nil {
		return nil, gvk, err
	}
	return obj, gvk, yaml.UnmarshalStrict(doc, obj)
}

func seedObjects(t *testing.T) map[string]runtime.Object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(seedDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed files in %s: %v", seedDir, err)
	}
	out := map[string]runtime.Object{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for i := 0; ; i++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			obj, gvk, err := decodeStrict(doc)
			if err != nil {
				t.Errorf("%s document %d (%s): %v", filepath.Base(f), i, gvk.Kind, err)
				continue
			}
			if obj == nil {
				continue
			}
			name := obj.(metav1.Object).GetName()
			out[gvk.Kind+"/"+name] = obj
		}
	}
	return out
}

func TestSeedDocumentsDecodeStrictly(t *testing.T) {
	objs := seedObjects(t)
	checks := []struct {
		key   string
		check func(t *testing.T, obj runtime.Object)
	}{
		{"Fleet/global-production", func(t *testing.T, obj runtime.Object) {
			f := obj.(*fleetv1alpha1.Fleet)
			if got := f.ClusterNames(); !reflect.DeepEqual(got, []string{"cluster-hangzhou", "cluster-shanghai", "cluster-frankfurt"}) {
				t.Errorf("clusters %v", got)
			}
			if got := f.Member("cluster-frankfurt").Labels["region"]; got != "eu-central" {
				t.Errorf("frankfurt region label %q", got)
			}
			if got := f.Spec.Clusters[0].ClusterKind(); got != "AttachedCluster" {
				t.Errorf("default kind %q", got)
			}
			sc := f.Spec.Placement.SpreadConstraints
			if len(sc) != 1 || sc[0].MaxGroups != 2 || sc[0].MinGroups != 1 {
				t.Errorf("spreadConstraints %+v", sc)
			}
			pref := f.Spec.Placement.ClusterAffinity.PreferredDuringSchedulingIgnoredDuringExecution
			want := corev1.NodeSelectorRequirement{Key: "region", Operator: corev1.NodeSelectorOpIn, Values: []string{"asia-east"}}
			if len(pref) != 1 || pref[0].Weight != 60 || !reflect.DeepEqual(pref[0].Preference.MatchExpressions, []corev1.NodeSelectorRequirement{want}) {
				t.Errorf("preferred terms %+v", pref)
			}
		}},
		{"AttachedCluster/production-cluster-01", func(t *testing.T, obj runtime.Object) {
			c := obj.(*clusterv1alpha1.AttachedCluster)
			if got := c.KubeconfigSecretRef(); got != (clusterv1alpha1.SecretKeyReference{Name: "cluster-01-kubeconfig", Key: "kubeconfig"}) {
				t.Errorf("kubeconfig ref %+v", got)
			}
			if c.ProviderName() != "alibaba" || c.RegionName() != "asia-east" || c.SchedulingLabels()["env"] != "production" {
				t.Errorf("provider %q region %q labels %v", c.ProviderName(), c.RegionName(), c.SchedulingLabels())
			}
		}},
		{"PropagationPolicy/inference-workload", func(t *testing.T, obj runtime.Object) {
			weights := staticWeights(obj.(*policyv1alpha1.PropagationPolicy))
			if !reflect.DeepEqual(weights, map[string]int64{"cluster-hangzhou": 70, "cluster-shanghai": 30}) {
				t.Errorf("weights %v", weights)
			}
		}},
		{"PropagationPolicy/nginx-propagation", func(t *testing.T, obj runtime.Object) {
			p := obj.(*policyv1alpha1.PropagationPolicy)
			if got := staticWeights(p); !reflect.DeepEqual(got, map[string]int64{"cluster-hangzhou": 60, "cluster-shanghai": 40}) {
				t.Errorf("weights %v", got)
			}
			if p.Spec.Placement.ReplicaScheduling.ReplicaSchedulingType != "" {
				t.Errorf("the seed sets no replicaSchedulingType; got %q", p.Spec.Placement.ReplicaScheduling.ReplicaSchedulingType)
			}
		}},
		{"PropagationPolicy/reviews-canary", func(t *testing.T, obj runtime.Object) {
			p := obj.(*policyv1alpha1.PropagationPolicy)
			if !reflect.DeepEqual(p.Spec.Placement.ClusterAffinity.ClusterNames, []string{"cluster-shanghai"}) {
				t.Errorf("clusterNames %v", p.Spec.Placement.ClusterAffinity.ClusterNames)
			}
		}},
		{"PropagationPolicy/hierarchical-scheduling", func(t *testing.T, obj runtime.Object) {
			p := obj.(*policyv1alpha1.PropagationPolicy)
			sc := p.Spec.Placement.SpreadConstraints
			if len(sc) != 2 || sc[0].SpreadByField != policyv1alpha1.SpreadByFieldRegion || *sc[0].MaxSkew != 2 || sc[1].SpreadByField != policyv1alpha1.SpreadByFieldZone || *sc[1].MaxSkew != 1 {
				t.Errorf("spreadConstraints %+v", sc)
			}
			tol := p.Spec.Placement.AllTolerations()
			if len(tol) != 1 || tol[0].Key != "dedicated" || tol[0].Value != "special" || tol[0].Effect != corev1.TaintEffectNoSchedule {
				t.Errorf("tolerations %+v", tol)
			}
		}},
		{"PropagationPolicy/cost-optimization", func(t *testing.T, obj runtime.Object) {
			p := obj.(*policyv1alpha1.PropagationPolicy)
			if got := staticWeights(p); !reflect.DeepEqual(got, map[string]int64{"spot-cluster": 80, "ondemand-cluster": 20}) {
				t.Errorf("weights %v", got)
			}
			if p.Annotations["scheduling.karmada.io/cost-weight"] != "true" {
				t.Errorf("annotations %v", p.Annotations)
			}
		}},
		{"OverridePolicy/cross-cloud-config", func(t *testing.T, obj runtime.Object) {
			o := obj.(*policyv1alpha1.OverridePolicy)
			rules := o.Spec.Rules()
			if len(rules) != 2 {
				t.Fatalf("rules %d", len(rules))
			}
			fr := rules[1]
			if fr.TargetCluster.ClusterNames[0] != "cluster-frankfurt" || fr.Overriders.ImageOverrider[0].Value != "registry.eu-central.example.com/company" ||
				!reflect.DeepEqual(fr.Overriders.CommandOverrider[0].Value, []string{"--region=eu-central", "--compliance=gdpr"}) {
				t.Errorf("frankfurt rule %+v", fr)
			}
		}},
	}
	if len(objs) != len(checks) {
		keys := make([]string, 0, len(objs))
		for k := range objs {
			keys = append(keys, k)
		}
		t.Errorf("decoded %d seed objects of our groups %v, want %d", len(objs), keys, len(checks))
	}
	for _, c := range checks {
		t.Run(c.key, func(t *testing.T) {
			obj, ok := objs[c.key]
			if !ok {
				t.Fatalf("seed object %s not found", c.key)
			}
			c.check(t, obj)
		})
	}
}

func staticWeights(p *policyv1alpha1.PropagationPolicy) map[string]int64 {
	out := map[string]int64{}
	for _, w := range p.Spec.Placement.ReplicaScheduling.WeightPreference.StaticWeightList {
		for _, n := range w.TargetCluster.ClusterNames {
			out[n] = w.Weight
		}
	}
	return out
}

func TestDecodeStrictRejectsUnknownFields(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want string
	}{
		{"misspelt placement field",
			"apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: p}\nspec:\n  resourceSelectors: [{apiVersion: v1, kind: ConfigMap}]\n  placement: {clusterAfinity: {}}\n",
			"clusterAfinity"},
		{"fleet cluster field that does not exist",
			"apiVersion: fleet.kurator.dev/v1alpha1\nkind: Fleet\nmetadata: {name: f}\nspec:\n  clusters: [{name: a, region: x}]\n",
			"region"},
		{"attached cluster kubeconfig namespace",
			"apiVersion: cluster.kurator.dev/v1alpha1\nkind: AttachedCluster\nmetadata: {name: c}\nspec:\n  kubeconfig: {secretRef: {name: s, namespace: other}}\n",
			"namespace"},
		{"work manifests take anything",
			"apiVersion: work.kurator.dev/v1alpha1\nkind: Work\nmetadata: {name: w}\nspec:\n  workload: {manifests: [{apiVersion: v1, kind: ConfigMap, whatever: {a: 1}}]}\n",
			""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := decodeStrict([]byte(tc.doc))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("want no error, got %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("want an error naming %q, got %v", tc.want, err)
			}
		})
	}
}

func TestSchemeKnowsEveryKind(t *testing.T) {
	kinds := []schema.GroupVersionKind{
		policyv1alpha1.GroupVersion.WithKind("PropagationPolicy"),
		policyv1alpha1.GroupVersion.WithKind("ClusterPropagationPolicy"),
		policyv1alpha1.GroupVersion.WithKind("OverridePolicy"),
		policyv1alpha1.GroupVersion.WithKind("ClusterOverridePolicy"),
		clusterv1alpha1.GroupVersion.WithKind("AttachedCluster"),
		fleetv1alpha1.GroupVersion.WithKind("Fleet"),
		workv1alpha1.GroupVersion.WithKind("ResourceBinding"),
		workv1alpha1.GroupVersion.WithKind("ClusterResourceBinding"),
		workv1alpha1.GroupVersion.WithKind("Work"),
		{Group: "apps", Version: "v1", Kind: "Deployment"},
		{Version: "v1", Kind: "Secret"},
	}
	for _, gvk := range kinds {
		if !Scheme.Recognizes(gvk) {
			t.Errorf("scheme does not recognise %s", gvk)
		}
	}
}

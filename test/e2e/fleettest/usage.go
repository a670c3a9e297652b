package fleettest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	"github.com/kurator-go/kurator/internal/localfleet"
)

// Emulated usage: every member's kwok reports, for each pod, the usage its
// member's ClusterResourceUsage objects give. kwok takes, for a pod, the
// first such object that selects it, in an order of its own; two objects
// selecting overlapping pods therefore cannot each own a prefix. So each
// member holds ONE object, UsageObject, selecting every pod, whose CEL
// expressions test the rules (namespace and pod name prefix) the tests set,
// longest prefix first; the rules themselves are kept in its annotation
// UsageRulesAnnotation, and every SetPodUsage rewrites the expressions from
// them. Pods no rule covers use DefaultCPUUsage and DefaultMemoryUsage.
const (
	UsageObject          = "kurator-e2e-usage"
	UsageRulesAnnotation = "kurator.dev/usage-rules"
	DefaultCPUUsage      = "1m"
	DefaultMemoryUsage   = "1Mi"
)

var clusterResourceUsages = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "clusterresourceusages"}

// UsageRule is the emulated usage of the pods of one namespace whose names
// start with Prefix ("" is every pod of the namespace).
type UsageRule struct {
	Namespace string `json:"namespace"`
	Prefix    string `json:"prefix"`
	CPU       string `json:"cpu"`
	Memory    string `json:"memory"`
}

// SetPodUsage makes the member cluster's kwok report cpu (e.g. "80m") and
// memory (e.g. "200Mi"; "" keeps DefaultMemoryUsage) for every pod of
// namespace whose name starts with podNamePrefix, from its next scrape on.
// Rules of other prefixes stay; a pod two rules cover follows the longer
// prefix.
func SetPodUsage(t testing.TB, fleet *localfleet.State, cluster, namespace, podNamePrefix, cpu, memory string) {
	t.Helper()
	if memory == "" {
		memory = DefaultMemoryUsage
	}
	for field, q := range map[string]string{"cpu": cpu, "memory": memory} {
		if _, err := resource.ParseQuantity(q); err != nil {
			t.Fatalf("SetPodUsage %s/%s* in %s: %s %q is not a quantity (give e.g. 80m or 200Mi): %v", namespace, podNamePrefix, cluster, field, q, err)
		}
	}
	if namespace == "" {
		t.Fatalf("SetPodUsage in %s: the namespace is empty: give the pods' namespace", cluster)
	}
	rule := UsageRule{Namespace: namespace, Prefix: podNamePrefix, CPU: cpu, Memory: memory}
	if err := updateUsageRules(fleet, cluster, func(rules []UsageRule) []UsageRule {
		rules = slices.DeleteFunc(rules, func(r UsageRule) bool { return r.Namespace == namespace && r.Prefix == podNamePrefix })
		return append(rules, rule)
	}); err != nil {
		t.Fatalf("SetPodUsage %s/%s* in %s: %v", namespace, podNamePrefix, cluster, err)
	}
}

// ClearPodUsage removes the rule SetPodUsage set for namespace and
// podNamePrefix in the member; its pods go back to the defaults (or to a
// shorter prefix's rule).
func ClearPodUsage(t testing.TB, fleet *localfleet.State, cluster, namespace, podNamePrefix string) {
	t.Helper()
	if err := updateUsageRules(fleet, cluster, func(rules []UsageRule) []UsageRule {
		return slices.DeleteFunc(rules, func(r UsageRule) bool { return r.Namespace == namespace && r.Prefix == podNamePrefix })
	}); err != nil {
		t.Fatalf("ClearPodUsage %s/%s* in %s: %v", namespace, podNamePrefix, cluster, err)
	}
}

// updateUsageRules applies change to the member's rules and writes the
// object back, retrying on conflicts (tests may set usage concurrently).
func updateUsageRules(fleet *localfleet.State, cluster string, change func([]UsageRule) []UsageRule) error {
	rc, err := fleet.RESTConfig(cluster)
	if err != nil {
		return err
	}
	dc, err := dynamic.NewForConfig(rc)
	if err != nil {
		return err
	}
	api := dc.Resource(clusterResourceUsages)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		obj, err := api.Get(ctx, UsageObject, metav1.GetOptions{})
		create := apierrors.IsNotFound(err)
		if err != nil && !create {
			return fmt.Errorf("read ClusterResourceUsage %s (are kwok's CRDs installed? the local fleet installs them): %w", UsageObject, err)
		}
		var rules []UsageRule
		if create {
			obj = &unstructured.Unstructured{}
			obj.SetAPIVersion("kwok.x-k8s.io/v1alpha1")
			obj.SetKind("ClusterResourceUsage")
			obj.SetName(UsageObject)
		} else if raw := obj.GetAnnotations()[UsageRulesAnnotation]; raw != "" {
			if err := json.Unmarshal([]byte(raw), &rules); err != nil {
				return fmt.Errorf("annotation %s of ClusterResourceUsage %s: %w (delete the object to start over)", UsageRulesAnnotation, UsageObject, err)
			}
		}
		rules = change(rules)
		raw, err := json.Marshal(rules)
		if err != nil {
			return err
		}
		ann := obj.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[UsageRulesAnnotation] = string(raw)
		obj.SetAnnotations(ann)
		obj.Object["spec"] = map[string]any{
			"usages": []any{map[string]any{"usage": map[string]any{
				"cpu":    map[string]any{"expression": UsageExpression(rules, func(r UsageRule) string { return r.CPU }, DefaultCPUUsage)},
				"memory": map[string]any{"expression": UsageExpression(rules, func(r UsageRule) string { return r.Memory }, DefaultMemoryUsage)},
			}}},
		}
		if create {
			_, err = api.Create(ctx, obj, metav1.CreateOptions{})
		} else {
			_, err = api.Update(ctx, obj, metav1.UpdateOptions{})
		}
		return err
	})
}

// UsageExpression is the CEL expression kwok evaluates per container: the
// quantity of the first rule (longest prefix first) covering the pod, else
// def.
func UsageExpression(rules []UsageRule, quantity func(UsageRule) string, def string) string {
	ordered := slices.Clone(rules)
	slices.SortStableFunc(ordered, func(a, b UsageRule) int {
		if d := len(b.Prefix) - len(a.Prefix); d != 0 {
			return d
		}
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Prefix, b.Prefix)
	})
	var b strings.Builder
	for _, r := range ordered {
		fmt.Fprintf(&b, "pod.metadata.namespace == %s && pod.metadata.name.startsWith(%s) ? Quantity(%s) : ",
			strconv.Quote(r.Namespace), strconv.Quote(r.Prefix), strconv.Quote(quantity(r)))
	}
	fmt.Fprintf(&b, "Quantity(%s)", strconv.Quote(def))
	return b.String()
}

package works

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

// bindingIndex indexes the hub cache's Works by the binding their labels
// name: "namespace/name", "/name" for a ClusterResourceBinding.
const bindingIndex = "work.kurator.dev/binding"

// indexed holds, per cache, the outcome of registering bindingIndex: the
// binding and status controllers both need it, and a cache refuses an
// index registered twice.
var indexed sync.Map // client.FieldIndexer -> *indexOnce

type indexOnce struct {
	once sync.Once
	err  error
}

// IndexByBinding registers the index OfBinding reads with a manager's
// cache (mgr.GetFieldIndexer()), once however often it is called. Call it
// from SetupWithManager, before the manager starts.
func IndexByBinding(ctx context.Context, idx client.FieldIndexer) error {
	v, _ := indexed.LoadOrStore(idx, &indexOnce{})
	o := v.(*indexOnce)
	o.once.Do(func() {
		o.err = idx.IndexField(ctx, &workv1alpha1.Work{}, bindingIndex, func(obj client.Object) []string {
			if key, ok := BindingOf(obj.GetLabels()); ok {
				return []string{key.String()}
			}
			return nil
		})
	})
	return o.err
}

// OfBinding selects a binding's Works through the index IndexByBinding
// registers. A label selector alone makes the cache match the labels of
// every Work on the hub for each call: at 1,000 clusters, the largest cost
// of aggregating a binding's status.
func OfBinding(binding types.NamespacedName) client.MatchingFields {
	return client.MatchingFields{bindingIndex: binding.String()}
}

// BindingOf is the binding a Work's labels name.
func BindingOf(labels map[string]string) (types.NamespacedName, bool) {
	if name := labels[workv1alpha1.ClusterResourceBindingLabel]; name != "" {
		return types.NamespacedName{Name: name}, true
	}
	if ns, name := labels[workv1alpha1.BindingNamespaceLabel], labels[workv1alpha1.BindingNameLabel]; ns != "" && name != "" {
		return types.NamespacedName{Namespace: ns, Name: name}, true
	}
	return types.NamespacedName{}, false
}

package status

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
	"github.com/kurator-go/kurator/internal/objectstatus"
)

// Health judges a member object (objectstatus.Health, shared with the pull
// agent).
func Health(obj *unstructured.Unstructured) workv1alpha1.ResourceHealth {
	return objectstatus.Health(obj)
}

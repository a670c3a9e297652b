package selector

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// NodeRequirement converts a node-selector style requirement (the form of
// fieldSelector matchExpressions and Fleet preferred terms) to a label
// requirement, so the scheduler and the override engine read cluster
// fields the same way.
func NodeRequirement(e corev1.NodeSelectorRequirement) (*labels.Requirement, error) {
	var op selection.Operator
	switch e.Operator {
	case corev1.NodeSelectorOpIn:
		op = selection.In
	case corev1.NodeSelectorOpNotIn:
		op = selection.NotIn
	case corev1.NodeSelectorOpExists:
		op = selection.Exists
	case corev1.NodeSelectorOpDoesNotExist:
		op = selection.DoesNotExist
	case corev1.NodeSelectorOpGt:
		op = selection.GreaterThan
	case corev1.NodeSelectorOpLt:
		op = selection.LessThan
	default:
		return nil, fmt.Errorf("operator %q is not supported; use In, NotIn, Exists, DoesNotExist, Gt or Lt", e.Operator)
	}
	return labels.NewRequirement(e.Key, op, e.Values)
}

package v1alpha1

// ConditionValid is True when the hub uses the Fleet as written; False
// names what it leaves out (a member claimed by another Fleet, a preferred
// term that does not parse, a member kind it does not support) and how to
// fix it. A bad Fleet never stops scheduling elsewhere: the hub drops only
// the part it cannot use.
const (
	ConditionValid = "Valid"

	ReasonValid = "Valid"
)

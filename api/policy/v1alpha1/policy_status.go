package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Condition types and reasons on the status of policies. Karmada's policies
// have no status; ours say what they claim and what is wrong with them, so
// `kubectl get pp` shows a broken policy without reading bindings.
const (
	// PolicyConditionReady is True when the policy is valid and every
	// resource it claims could be bound; False names what to fix.
	PolicyConditionReady = "Ready"

	PolicyReasonClaiming      = "Claiming"      // valid, claims at least one resource
	PolicyReasonNoMatch       = "NoMatch"       // valid, claims nothing (yet)
	PolicyReasonInvalid       = "InvalidPolicy" // a field the hub cannot act on
	PolicyReasonBindingFailed = "BindingFailed" // a claimed resource could not be bound
)

// MaxListedResources is how many claimed resources a policy status lists;
// ClaimedResources always has the full count.
const MaxListedResources = 20

// PolicyStatus is what the hub observed of a propagation or override policy.
type PolicyStatus struct {
	// ObservedGeneration is the policy generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready, with a reason and a message that names the field
	// to fix.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ClaimedResources is how many resource templates the policy claims
	// (propagation) or applies to (override).
	// +optional
	ClaimedResources int32 `json:"claimedResources,omitempty"`

	// Resources lists the first MaxListedResources of them, sorted.
	// +optional
	Resources []PolicyResource `json:"resources,omitempty"`
}

// PolicyResource names one resource template a policy claims.
type PolicyResource struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

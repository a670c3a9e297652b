package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=op,categories=kurator
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Resources",type=integer,JSONPath=`.status.claimedResources`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// OverridePolicy customises namespaced resources per member cluster before they
// are sent there.
type OverridePolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec OverrideSpec `json:"spec"`
	// +optional
	Status PolicyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// OverridePolicyList is a list of OverridePolicy.
type OverridePolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []OverridePolicy `json:"items"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=cop,categories=kurator
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Resources",type=integer,JSONPath=`.status.claimedResources`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ClusterOverridePolicy is the cluster-scoped OverridePolicy. It is applied
// before any OverridePolicy, so a namespaced policy has the last word.
type ClusterOverridePolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec OverrideSpec `json:"spec"`
	// +optional
	Status PolicyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterOverridePolicyList is a list of ClusterOverridePolicy.
type ClusterOverridePolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterOverridePolicy `json:"items"`
}

// OverrideSpec is the shared spec of OverridePolicy and ClusterOverridePolicy.
type OverrideSpec struct {
	// ResourceSelectors select the resources to override; empty selects all
	// resources the policy can see.
	// +optional
	ResourceSelectors []ResourceSelector `json:"resourceSelectors,omitempty"`

	// OverrideRules are applied in order, each to the clusters its
	// TargetCluster selects.
	// +optional
	OverrideRules []RuleWithCluster `json:"overrideRules,omitempty"`

	// TargetCluster is the deprecated single-rule form; use OverrideRules.
	// +optional
	TargetCluster *ClusterAffinity `json:"targetCluster,omitempty"`

	// Overriders is the deprecated single-rule form; use OverrideRules.
	// +optional
	Overriders Overriders `json:"overriders,omitempty"`
}

// Rules returns the policy's rules: the deprecated single rule (when it has any
// overrider) followed by OverrideRules.
func (s *OverrideSpec) Rules() []RuleWithCluster {
	if s.Overriders.IsEmpty() {
		return s.OverrideRules
	}
	out := make([]RuleWithCluster, 0, len(s.OverrideRules)+1)
	out = append(out, RuleWithCluster{TargetCluster: s.TargetCluster, Overriders: s.Overriders})
	return append(out, s.OverrideRules...)
}

// RuleWithCluster applies overriders to the clusters TargetCluster selects
// (every cluster when nil).
type RuleWithCluster struct {
	// +optional
	TargetCluster *ClusterAffinity `json:"targetCluster,omitempty"`
	Overriders    Overriders       `json:"overriders"`
}

// Overriders are the changes one rule makes. Inside a rule they apply in this
// order: image, command, args, labels, annotations, field, plaintext.
type Overriders struct {
	// +optional
	Plaintext []PlaintextOverrider `json:"plaintext,omitempty"`
	// +optional
	ImageOverrider []ImageOverrider `json:"imageOverrider,omitempty"`
	// +optional
	CommandOverrider []CommandArgsOverrider `json:"commandOverrider,omitempty"`
	// +optional
	ArgsOverrider []CommandArgsOverrider `json:"argsOverrider,omitempty"`
	// +optional
	LabelsOverrider []LabelAnnotationOverrider `json:"labelsOverrider,omitempty"`
	// +optional
	AnnotationsOverrider []LabelAnnotationOverrider `json:"annotationsOverrider,omitempty"`
	// +optional
	FieldOverrider []FieldOverrider `json:"fieldOverrider,omitempty"`
}

// IsEmpty reports whether no overrider is set.
func (o *Overriders) IsEmpty() bool {
	return len(o.Plaintext) == 0 && len(o.ImageOverrider) == 0 && len(o.CommandOverrider) == 0 &&
		len(o.ArgsOverrider) == 0 && len(o.LabelsOverrider) == 0 && len(o.AnnotationsOverrider) == 0 &&
		len(o.FieldOverrider) == 0
}

// OverriderOperator is what an overrider does.
// +kubebuilder:validation:Enum=add;remove;replace
type OverriderOperator string

// Overrider operators.
const (
	OverriderOpAdd     OverriderOperator = "add"
	OverriderOpRemove  OverriderOperator = "remove"
	OverriderOpReplace OverriderOperator = "replace"
)

// PlaintextOverrider is one RFC 6902 JSON patch operation.
type PlaintextOverrider struct {
	// Path is a JSON pointer, e.g. /spec/replicas.
	// +kubebuilder:validation:MinLength=1
	Path string `json:"path"`
	// Operator: add, remove or replace.
	Operator OverriderOperator `json:"operator"`
	// Value for add and replace.
	// +optional
	Value apiextensionsv1.JSON `json:"value,omitempty"`
}

// ImageComponent is a part of an image reference.
// +kubebuilder:validation:Enum=Registry;Repository;Tag
type ImageComponent string

// Image components.
const (
	ImageRegistry   ImageComponent = "Registry"
	ImageRepository ImageComponent = "Repository"
	ImageTag        ImageComponent = "Tag"
)

// ImageOverrider changes one component of container images.
type ImageOverrider struct {
	// Predicate limits the change to the image at one path; without it every
	// container image of a pod template is changed.
	// +optional
	Predicate *ImagePredicate `json:"predicate,omitempty"`
	// Component to change.
	Component ImageComponent `json:"component"`
	// Operator: add appends to the component, replace sets it, remove clears it.
	Operator OverriderOperator `json:"operator"`
	// Value to add or set.
	// +optional
	Value string `json:"value,omitempty"`
}

// ImagePredicate names the image field to change.
type ImagePredicate struct {
	// Path is a JSON pointer to an image string, e.g.
	// /spec/template/spec/containers/0/image.
	// +kubebuilder:validation:MinLength=1
	Path string `json:"path"`
}

// CommandArgsOverrider adds or removes command or args entries of one container.
type CommandArgsOverrider struct {
	// ContainerName selects the container.
	// +kubebuilder:validation:MinLength=1
	ContainerName string `json:"containerName"`
	// Operator: add appends, remove deletes every equal entry.
	// +kubebuilder:validation:Enum=add;remove
	Operator OverriderOperator `json:"operator"`
	// Value lists the entries.
	// +optional
	Value []string `json:"value,omitempty"`
}

// LabelAnnotationOverrider changes labels or annotations.
type LabelAnnotationOverrider struct {
	// Operator: add creates or overwrites; replace and remove only touch keys
	// that exist.
	Operator OverriderOperator `json:"operator"`
	// Value maps keys to values (values are ignored for remove).
	// +optional
	Value map[string]string `json:"value,omitempty"`
}

// FieldOverrider patches a JSON or YAML document held in a string field, such as
// a ConfigMap's data entry.
type FieldOverrider struct {
	// FieldPath is a JSON pointer to the string field, e.g. /data/config.yaml.
	// +kubebuilder:validation:MinLength=1
	FieldPath string `json:"fieldPath"`
	// JSON patches applied when the field holds JSON.
	// +optional
	JSON []JSONPatchOperation `json:"json,omitempty"`
	// YAML patches applied when the field holds YAML.
	// +optional
	YAML []YAMLPatchOperation `json:"yaml,omitempty"`
}

// JSONPatchOperation is one patch inside a JSON document.
type JSONPatchOperation struct {
	// SubPath is a JSON pointer inside the document.
	SubPath string `json:"subPath"`
	// Operator: add, remove or replace.
	Operator OverriderOperator `json:"operator"`
	// Value for add and replace.
	// +optional
	Value apiextensionsv1.JSON `json:"value,omitempty"`
}

// YAMLPatchOperation is one patch inside a YAML document.
type YAMLPatchOperation struct {
	// SubPath is a JSON pointer inside the document.
	SubPath string `json:"subPath"`
	// Operator: add, remove or replace.
	Operator OverriderOperator `json:"operator"`
	// Value for add and replace.
	// +optional
	Value apiextensionsv1.JSON `json:"value,omitempty"`
}

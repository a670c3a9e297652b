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
// As in Karmada, the deprecated single-rule form (targetCluster, overriders)
// and overrideRules are exclusive.
// +kubebuilder:validation:XValidation:rule="!has(self.targetCluster) || !has(self.overrideRules) || self.overrideRules.size() == 0",fieldPath=".targetCluster",message="targetCluster (the deprecated single-rule form) cannot be used with overrideRules; move it into an overrideRules entry"
// +kubebuilder:validation:XValidation:rule="!has(self.overrideRules) || self.overrideRules.size() == 0 || !has(self.overriders) || !(has(self.overriders.plaintext) || has(self.overriders.imageOverrider) || has(self.overriders.commandOverrider) || has(self.overriders.argsOverrider) || has(self.overriders.labelsOverrider) || has(self.overriders.annotationsOverrider) || has(self.overriders.fieldOverrider))",fieldPath=".overriders",message="overriders (the deprecated single-rule form) cannot be used with overrideRules; move them into an overrideRules entry"
type OverrideSpec struct {
	// ResourceSelectors select the resources to override; empty selects all
	// resources the policy can see.
	// +kubebuilder:validation:MaxItems=256
	// +optional
	ResourceSelectors []ResourceSelector `json:"resourceSelectors,omitempty"`

	// OverrideRules are applied in order, each to the clusters its
	// TargetCluster selects.
	// +kubebuilder:validation:MaxItems=128
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
// order: image, command, args, labels, annotations, field, plaintext. Each
// list holds at most 64 entries.
type Overriders struct {
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Plaintext []PlaintextOverrider `json:"plaintext,omitempty"`
	// +kubebuilder:validation:MaxItems=64
	// +optional
	ImageOverrider []ImageOverrider `json:"imageOverrider,omitempty"`
	// +kubebuilder:validation:MaxItems=64
	// +optional
	CommandOverrider []CommandArgsOverrider `json:"commandOverrider,omitempty"`
	// +kubebuilder:validation:MaxItems=64
	// +optional
	ArgsOverrider []CommandArgsOverrider `json:"argsOverrider,omitempty"`
	// LabelsOverrider values are labels: keys of at most 317 characters,
	// values of at most 63.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:XValidation:rule="!has(self.value) || self.value.all(k, k.size() <= 317 && self.value[k].size() <= 63)",fieldPath=".value",message="a label key has at most 317 characters and a label value at most 63; shorten them"
	// +optional
	LabelsOverrider []LabelAnnotationOverrider `json:"labelsOverrider,omitempty"`
	// +kubebuilder:validation:MaxItems=64
	// +optional
	AnnotationsOverrider []LabelAnnotationOverrider `json:"annotationsOverrider,omitempty"`
	// +kubebuilder:validation:MaxItems=64
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
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="path must be a JSON pointer starting with /, e.g. /spec/replicas"
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
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="predicate.path must be a JSON pointer starting with /, e.g. /spec/template/spec/containers/0/image"
	Path string `json:"path"`
}

// CommandArgsOverrider adds or removes command or args entries of one container.
type CommandArgsOverrider struct {
	// ContainerName selects the container.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self != ''",message="containerName must name the container whose command or args change"
	// +kubebuilder:validation:XValidation:rule="self == '' || !format.dns1123Label().validate(self).hasValue()",message="containerName must be a container name: lower-case letters, digits and '-', at most 63 characters"
	ContainerName string `json:"containerName"`
	// Operator: add appends, remove deletes every equal entry. (The enum of
	// OverriderOperator also allows replace; this rule narrows it.)
	// +kubebuilder:validation:XValidation:rule="self in ['add', 'remove']",message="operator must be add or remove; command and args entries are added or removed, not replaced"
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
	// Value maps keys to values (values are ignored for remove); at most 64
	// entries.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="!('' in self)",message="a key must not be empty"
	// +optional
	Value map[string]string `json:"value,omitempty"`
}

// FieldOverrider patches a JSON or YAML document held in a string field, such as
// a ConfigMap's data entry. One field holds one format: json or yaml, not both.
// +kubebuilder:validation:XValidation:rule="!has(self.json) || self.json.size() == 0 || !has(self.yaml) || self.yaml.size() == 0",message="set json or yaml, not both: the field holds one format"
type FieldOverrider struct {
	// FieldPath is a JSON pointer to the string field, e.g. /data/config.yaml.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="fieldPath must be a JSON pointer starting with /, e.g. /data/config.yaml (write ~1 for a / inside a key)"
	FieldPath string `json:"fieldPath"`
	// JSON patches applied when the field holds JSON.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	JSON []JSONPatchOperation `json:"json,omitempty"`
	// YAML patches applied when the field holds YAML.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	YAML []YAMLPatchOperation `json:"yaml,omitempty"`
}

// JSONPatchOperation is one patch inside a JSON document.
type JSONPatchOperation struct {
	// SubPath is a JSON pointer inside the document ("" is the whole document).
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self == '' || self.startsWith('/')",message="subPath must be a JSON pointer starting with /, e.g. /server/port, or empty for the whole document"
	SubPath string `json:"subPath"`
	// Operator: add, remove or replace.
	Operator OverriderOperator `json:"operator"`
	// Value for add and replace.
	// +optional
	Value apiextensionsv1.JSON `json:"value,omitempty"`
}

// YAMLPatchOperation is one patch inside a YAML document.
type YAMLPatchOperation struct {
	// SubPath is a JSON pointer inside the document ("" is the whole document).
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self == '' || self.startsWith('/')",message="subPath must be a JSON pointer starting with /, e.g. /server/port, or empty for the whole document"
	SubPath string `json:"subPath"`
	// Operator: add, remove or replace.
	Operator OverriderOperator `json:"operator"`
	// Value for add and replace.
	// +optional
	Value apiextensionsv1.JSON `json:"value,omitempty"`
}

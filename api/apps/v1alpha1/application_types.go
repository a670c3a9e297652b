package v1alpha1

import (
	"encoding/json"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=app,categories=kurator
// +kubebuilder:printcolumn:name="Revision",type=string,JSONPath=`.status.revision`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.delivery.phase`
// +kubebuilder:printcolumn:name="Stage",type=string,JSONPath=`.status.delivery.currentStage`
// +kubebuilder:printcolumn:name="Consistent",type=string,JSONPath=`.status.conditions[?(@.type=="Consistent")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Application delivers one versioned set of Kubernetes objects (a package
// pushed to AppHub, a Git path, a Helm chart or an OCI artifact) to the
// clusters of fleets. Every revision of the source is kept in AppHub as an
// AppVersion; a new revision is released stage by stage (spec.delivery),
// each cluster's images are copied to its own registry first, the objects
// are adapted to each cluster (overrides, storage classes), and a failing
// gate rolls every updated cluster back to the previous revision. The
// field names of source and syncPolicies follow Kurator's Application.
type Application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ApplicationSpec   `json:"spec"`
	Status ApplicationStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ApplicationList is a list of Applications.
type ApplicationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Application `json:"items"`
}

// ApplicationSpec says what to deliver, where, and how carefully.
type ApplicationSpec struct {
	// Source is where the application's objects come from.
	Source ApplicationSource `json:"source"`

	// SyncPolicies say where the objects go (a fleet, optionally narrowed
	// by cluster labels) and how they are built for it (kustomization path
	// and target namespace, or Helm release options). A cluster selected by
	// several policies takes the first.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	SyncPolicies []ApplicationSyncPolicy `json:"syncPolicies"`

	// Delivery stages a new revision over the clusters with gates between
	// the stages. Without it every cluster is updated at once (one stage
	// "all"), still judged healthy and rolled back as a whole.
	// +optional
	Delivery *Delivery `json:"delivery,omitempty"`
}

// ApplicationSource names exactly one source.
// +kubebuilder:validation:XValidation:rule="[has(self.gitRepository), has(self.helmRepository), has(self.ociRepository), has(self.package)].filter(x, x).size() == 1",message="spec.source takes exactly one of gitRepository, helmRepository, ociRepository and package"
type ApplicationSource struct {
	// GitRepository: a path of a Git repository (Flux's GitRepository
	// fields), read with go-git.
	// +optional
	GitRepository *GitRepositorySource `json:"gitRepository,omitempty"`

	// HelmRepository: a chart repository; the chart, its version and
	// values are in the syncPolicies' helm options.
	// +optional
	HelmRepository *HelmRepositorySource `json:"helmRepository,omitempty"`

	// OCIRepository: an OCI artifact whose layer is a tarball of YAML.
	// +optional
	OCIRepository *OCIRepositorySource `json:"ociRepository,omitempty"`

	// Package: a version pushed to AppHub with kurator app push.
	// +optional
	Package *PackageSource `json:"package,omitempty"`
}

// GitRepositorySource is a Git repository (Flux's GitRepository spec).
type GitRepositorySource struct {
	// URL of the repository: https://, http://, git://, ssh:// or file://
	// (a local path works too).
	// +kubebuilder:validation:MinLength=1
	URL string `json:"url"`

	// Reference to check out (default: the branch master).
	// +optional
	Reference *GitRepositoryRef `json:"ref,omitempty"`

	// Interval between checks for a new commit (default 1m).
	// +optional
	Interval metav1.Duration `json:"interval,omitempty"`

	// Timeout of one fetch (default 60s).
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// SecretRef names a Secret with username/password (or bearerToken).
	// +optional
	SecretRef *LocalObjectReference `json:"secretRef,omitempty"`

	// Suspend stops checking for new commits.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// GitRepositoryRef is a Git reference; the first set of commit, tag,
// branch wins.
type GitRepositoryRef struct {
	// +optional
	Branch string `json:"branch,omitempty"`
	// +optional
	Tag string `json:"tag,omitempty"`
	// +optional
	Commit string `json:"commit,omitempty"`
}

// HelmRepositorySource is a Helm chart repository (Flux's HelmRepository).
type HelmRepositorySource struct {
	// URL of the repository's index (http:// or https://), or oci:// for
	// charts in an OCI registry.
	// +kubebuilder:validation:MinLength=1
	URL string `json:"url"`

	// Type is "default" (an index.yaml repository) or "oci".
	// +kubebuilder:validation:Enum=default;oci
	// +optional
	Type string `json:"type,omitempty"`

	// Interval between checks for a new chart version (default 1m).
	// +optional
	Interval metav1.Duration `json:"interval,omitempty"`

	// Timeout of one fetch (default 60s).
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// SecretRef names a Secret with username/password.
	// +optional
	SecretRef *LocalObjectReference `json:"secretRef,omitempty"`

	// Insecure allows plain HTTP to an OCI registry.
	// +optional
	Insecure bool `json:"insecure,omitempty"`

	// PassCredentials sends the credentials to chart URLs on other hosts.
	// +optional
	PassCredentials bool `json:"passCredentials,omitempty"`

	// Provider of the credentials (only "generic" here).
	// +optional
	Provider string `json:"provider,omitempty"`

	// Suspend stops checking for new chart versions.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// OCIRepositorySource is an OCI artifact (Flux's OCIRepository).
type OCIRepositorySource struct {
	// URL: oci://<registry>/<repository>.
	// +kubebuilder:validation:Pattern=`^oci://.+$`
	URL string `json:"url"`

	// Reference: a digest, else a tag (default latest).
	// +optional
	Reference *OCIRepositoryRef `json:"ref,omitempty"`

	// Interval between checks for a new artifact (default 1m).
	// +optional
	Interval metav1.Duration `json:"interval,omitempty"`

	// Timeout of one fetch (default 60s).
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Insecure allows plain HTTP.
	// +optional
	Insecure bool `json:"insecure,omitempty"`

	// SecretRef names a Secret with username/password.
	// +optional
	SecretRef *LocalObjectReference `json:"secretRef,omitempty"`

	// Suspend stops checking for new artifacts.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// OCIRepositoryRef picks an artifact.
type OCIRepositoryRef struct {
	// +optional
	Digest string `json:"digest,omitempty"`
	// +optional
	Tag string `json:"tag,omitempty"`
}

// PackageSource is a version pushed to AppHub.
type PackageSource struct {
	// Name of the application in AppHub (default: the Application's name).
	// +optional
	Name string `json:"name,omitempty"`

	// Version to deliver, as pushed (kurator app push NAME:VERSION).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Version string `json:"version"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// ApplicationSyncPolicy is one destination and how to build for it.
// +kubebuilder:validation:XValidation:rule="!(has(self.kustomization) && has(self.helm))",message="a sync policy takes kustomization or helm options, not both"
type ApplicationSyncPolicy struct {
	// Name of the policy, shown in status (default policy-<index>).
	// +optional
	Name string `json:"name,omitempty"`

	// Destination: the fleet and which of its clusters.
	Destination ApplicationDestination `json:"destination"`

	// Kustomization options for YAML sources (path, target namespace).
	// +optional
	Kustomization *Kustomization `json:"kustomization,omitempty"`

	// Helm options for chart sources (chart, version, values).
	// +optional
	Helm *HelmRelease `json:"helm,omitempty"`

	// Rollout is Kurator's per-cluster canary of one workload. It is
	// accepted so Kurator's examples apply, and not run: the condition
	// RolloutSupported says so. Releases are staged by spec.delivery; a
	// canary of one propagated Deployment is a Rollout object.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +optional
	Rollout *apiextensionsv1.JSON `json:"rollout,omitempty"`
}

// ApplicationDestination is a fleet, optionally narrowed by labels.
type ApplicationDestination struct {
	// Fleet names a Fleet in the Application's namespace or in
	// kurator-system.
	// +kubebuilder:validation:MinLength=1
	Fleet string `json:"fleet"`

	// ClusterSelector narrows the fleet to clusters with these labels.
	// +optional
	ClusterSelector *ClusterSelector `json:"clusterSelector,omitempty"`
}

// ClusterSelector selects clusters by label.
type ClusterSelector struct {
	// +optional
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

// Kustomization is how YAML is taken from the source.
type Kustomization struct {
	// Path within the source (default: its root). Every .yaml, .yml and
	// .json file below it is read, in lexical order.
	// +optional
	Path string `json:"path,omitempty"`

	// TargetNamespace sets the namespace of every namespaced object
	// (default: the object's own, else the Application's namespace).
	// +optional
	TargetNamespace string `json:"targetNamespace,omitempty"`

	// Prune deletes from members the objects a new revision no longer has
	// (default true here: a Work holds the whole revision).
	// +optional
	Prune *bool `json:"prune,omitempty"`

	// Interval and Timeout are accepted for Kurator compatibility; the
	// source's interval decides when a new revision is seen.
	// +optional
	Interval metav1.Duration `json:"interval,omitempty"`
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// +optional
	RetryInterval *metav1.Duration `json:"retryInterval,omitempty"`

	// CommonMetadata is added to every object.
	// +optional
	CommonMetadata *CommonMetadata `json:"commonMetadata,omitempty"`

	// Force, DependsOn, Patches, Images and Components are accepted for
	// Kurator compatibility and not used (overrides and storage
	// adaptations adapt objects per cluster here).
	// +optional
	Force bool `json:"force,omitempty"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +optional
	DependsOn *apiextensionsv1.JSON `json:"dependsOn,omitempty"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +optional
	Patches *apiextensionsv1.JSON `json:"patches,omitempty"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +optional
	Images *apiextensionsv1.JSON `json:"images,omitempty"`
	// +optional
	Components []string `json:"components,omitempty"`
}

// CommonMetadata is added to every object of a sync policy.
type CommonMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// HelmRelease is how a chart is rendered.
type HelmRelease struct {
	// ReleaseName (default: the Application's name).
	// +optional
	ReleaseName string `json:"releaseName,omitempty"`

	// Chart name in the repository (for a package or Git source holding a
	// chart, its path there; default the source's root). Kurator's (and
	// Flux's) object form {spec: {chart, version}} is accepted too.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Chart string `json:"chart,omitempty"`

	// Version of the chart (a version or semver range; default the latest).
	// +optional
	Version string `json:"version,omitempty"`

	// TargetNamespace of the release (default: the Application's).
	// +optional
	TargetNamespace string `json:"targetNamespace,omitempty"`

	// Values override the chart's values.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +optional
	Values *apiextensionsv1.JSON `json:"values,omitempty"`

	// Interval and Timeout are accepted for Kurator compatibility.
	// +optional
	Interval metav1.Duration `json:"interval,omitempty"`
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// StorageNamespace, MaxHistory, ServiceAccountName and the Helm action
	// options (install, upgrade, test, rollback, uninstall) are accepted
	// for Kurator compatibility and not used: charts are rendered on the
	// hub and applied as objects, so no Helm release is stored anywhere.
	// +optional
	StorageNamespace string `json:"storageNamespace,omitempty"`
	// +optional
	MaxHistory *int `json:"maxHistory,omitempty"`
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +optional
	Install *apiextensionsv1.JSON `json:"install,omitempty"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +optional
	Upgrade *apiextensionsv1.JSON `json:"upgrade,omitempty"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +optional
	Test *apiextensionsv1.JSON `json:"test,omitempty"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +optional
	Rollback *apiextensionsv1.JSON `json:"rollback,omitempty"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +optional
	Uninstall *apiextensionsv1.JSON `json:"uninstall,omitempty"`
}

// UnmarshalJSON reads chart as a name, or in Kurator's object form
// {spec: {chart, version}} (whose version fills Version when unset).
func (h *HelmRelease) UnmarshalJSON(b []byte) error {
	type plain HelmRelease
	var aux struct {
		*plain
		Chart json.RawMessage `json:"chart,omitempty"`
	}
	aux.plain = (*plain)(h)
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	h.Chart = ""
	if len(aux.Chart) == 0 || string(aux.Chart) == "null" {
		return nil
	}
	if aux.Chart[0] == '"' {
		return json.Unmarshal(aux.Chart, &h.Chart)
	}
	var obj struct {
		Spec struct {
			Chart   string `json:"chart"`
			Version string `json:"version"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(aux.Chart, &obj); err != nil {
		return fmt.Errorf("helm.chart: want a chart name or {spec: {chart, version}}: %w", err)
	}
	h.Chart = obj.Spec.Chart
	if h.Version == "" {
		h.Version = obj.Spec.Version
	}
	return nil
}

// Delivery is the staged release of a new revision.
type Delivery struct {
	// Stages are waves of clusters, in order; clusters no stage selects
	// go last, together. A stage opens when the one before succeeded and
	// baked (and, with requireApproval, when kurator app promote approved
	// it).
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Stages []RolloutStage `json:"stages,omitempty"`

	// TimeoutSeconds is how long a cluster may take to run every workload
	// of the new revision healthy (default 600).
	// +kubebuilder:validation:Minimum=1
	// +optional
	TimeoutSeconds *int32 `json:"timeoutSeconds,omitempty"`

	// Analysis judges each updated cluster with metric checks and webhooks
	// (the rollout engine's) before it counts as succeeded.
	// +optional
	Analysis *TrafficAnalysis `json:"analysis,omitempty"`

	// AnalysisTimes is how many passing checks a cluster needs (default 1
	// when Analysis is set).
	// +kubebuilder:validation:Minimum=1
	// +optional
	AnalysisTimes int `json:"analysisTimes,omitempty"`

	// Target is the workload metric queries name as {{ target }} (default:
	// the first Deployment of the revision).
	// +optional
	Target string `json:"target,omitempty"`

	// Suspend pauses the release where it is (kurator app pause/resume).
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// ApplicationStatus is what AppHub and the members report.
type ApplicationStatus struct {
	// ObservedGeneration is the generation last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Revision is the source's current revision: the AppVersion it is
	// stored as (a package version, a chart version, git-<commit>, ...).
	// +optional
	Revision string `json:"revision,omitempty"`

	// Digest of that revision's content.
	// +optional
	Digest string `json:"digest,omitempty"`

	// Delivery is the rollout engine's state: phase, stages, each
	// cluster's target revision, gate verdicts and past releases.
	// +optional
	Delivery RolloutStatus `json:"delivery,omitempty"`

	// Clusters say what each selected cluster runs now and how its images
	// were synced.
	// +listType=map
	// +listMapKey=name
	// +optional
	Clusters []ApplicationClusterStatus `json:"clusters,omitempty"`

	// Conditions: Ready (source read and rendered), SourceReady,
	// ImagesSynced, Consistent (every cluster runs status.revision,
	// healthy), StagesSelectClusters.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ApplicationClusterStatus is one cluster's state.
type ApplicationClusterStatus struct {
	Name string `json:"name"`

	// SyncPolicy that selected the cluster.
	// +optional
	SyncPolicy string `json:"syncPolicy,omitempty"`

	// Revision the cluster runs: its Work's revision once every object is
	// applied and healthy ("" while none is).
	// +optional
	Revision string `json:"revision,omitempty"`

	// Healthy: every object of the cluster's Work is applied and healthy.
	// +optional
	Healthy bool `json:"healthy,omitempty"`

	// Registry the cluster pulls from ("" when it names none).
	// +optional
	Registry string `json:"registry,omitempty"`

	// Images copied (or being copied) to the cluster's registry.
	// +optional
	Images []ImageSyncStatus `json:"images,omitempty"`

	// Message says what the cluster waits for.
	// +optional
	Message string `json:"message,omitempty"`
}

// ImageSyncStatus is one image's copy to one cluster's registry.
type ImageSyncStatus struct {
	// Source reference as the package names it, resolved.
	Source string `json:"source"`
	// Target reference in the cluster's registry, by digest.
	// +optional
	Target string `json:"target,omitempty"`
	// Digest of the image (the same in every registry).
	// +optional
	Digest string `json:"digest,omitempty"`
	// Phase: Pending, Copying, Synced (copied or already present),
	// Skipped (not in AppHub's registry: left as the objects name it),
	// Failed.
	// +optional
	Phase string `json:"phase,omitempty"`
	// Bytes copied of TotalBytes (blobs already present count as copied).
	// +optional
	Bytes int64 `json:"bytes,omitempty"`
	// +optional
	TotalBytes int64 `json:"totalBytes,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
}

// Image sync phases.
const (
	ImagePending = "Pending"
	ImageCopying = "Copying"
	ImageSynced  = "Synced"
	ImageSkipped = "Skipped"
	ImageFailed  = "Failed"
)

// Application condition types.
const (
	ConditionSourceReady  = "SourceReady"
	ConditionImagesSynced = "ImagesSynced"
	ConditionConsistent   = "Consistent"
	// ConditionRolloutSupported is False when a sync policy carries
	// Kurator's per-cluster rollout, which an Application does not run.
	ConditionRolloutSupported = "RolloutSupported"
)

// AppLabel names the application on AppVersions, blobs and Works;
// VersionLabel the version on AppVersions.
const (
	AppLabel     = "apps.kurator.dev/app"
	VersionLabel = "apps.kurator.dev/version"
)

// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=appver,categories=kurator
// +kubebuilder:printcolumn:name="App",type=string,JSONPath=`.spec.app`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.version`
// +kubebuilder:printcolumn:name="Format",type=string,JSONPath=`.spec.format`
// +kubebuilder:printcolumn:name="Digest",type=string,JSONPath=`.spec.digest`,priority=1
// +kubebuilder:printcolumn:name="Size",type=integer,JSONPath=`.spec.size`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// AppVersion is one immutable version of an application in AppHub: its
// content's digest and where the content is stored on the hub (immutable
// ConfigMaps named by the digest, so equal content is stored once).
type AppVersion struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AppVersionSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// AppVersionList is a list of AppVersions.
type AppVersionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AppVersion `json:"items"`
}

// AppVersionSpec describes a version; it never changes once pushed.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="an AppVersion is immutable once pushed; push the changed content as a new version"
type AppVersionSpec struct {
	// App is the application's name in AppHub.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	App string `json:"app"`

	// Version as pushed.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Version string `json:"version"`

	// Digest of the canonical content ("sha256:<hex>").
	// +kubebuilder:validation:Pattern=`^sha256:[0-9a-f]{64}$`
	Digest string `json:"digest"`

	// Format: Manifests (YAML) or HelmChart.
	// +kubebuilder:validation:Enum=Manifests;HelmChart
	Format string `json:"format"`

	// Source says where the content came from (upload, or the
	// Application source and revision it was imported from).
	// +optional
	Source string `json:"source,omitempty"`

	// Blobs are the ConfigMaps (in this namespace) holding the gzipped
	// content, in order.
	// +kubebuilder:validation:MinItems=1
	Blobs []string `json:"blobs"`

	// Size of the gzipped content in bytes.
	Size int64 `json:"size"`

	// Objects are the package's objects ("Kind/name" or
	// "Kind/namespace/name"); empty for a chart.
	// +optional
	Objects []string `json:"objects,omitempty"`

	// Images referenced by the objects, with the digest AppHub's registry
	// held at push time when it held them.
	// +optional
	Images []AppImage `json:"images,omitempty"`

	// Warnings found at push (a defaulted Deployment selector, ...).
	// +optional
	Warnings []string `json:"warnings,omitempty"`
}

// AppImage is an image a version references.
type AppImage struct {
	// Ref as the objects name it.
	Ref string `json:"ref"`
	// Digest in AppHub's registry at push time ("" when not there).
	// +optional
	Digest string `json:"digest,omitempty"`
}

// AppVersion formats.
const (
	FormatManifests = "Manifests"
	FormatHelmChart = "HelmChart"
)

// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=stad,categories=kurator

// StorageAdaptation maps storage to each cluster's storage plugin: every
// PersistentVolumeClaim, and every volumeClaimTemplate of a StatefulSet,
// delivered to a cluster whose trait label has a value listed here gets
// that value's storage class (and, when given, access modes and volume
// mode). It is applied through the override engine after the override
// policies, to propagated objects and Applications alike, and shown by
// kurator plan --render.
type StorageAdaptation struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec StorageAdaptationSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// StorageAdaptationList is a list of StorageAdaptations.
type StorageAdaptationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []StorageAdaptation `json:"items"`
}

// StorageAdaptationSpec is a storage adaptation template.
// +kubebuilder:validation:XValidation:rule="!has(self.classes) || self.classes.map(c, c.trait).distinct().size() == self.classes.size()",message="spec.classes[].trait must be unique; merge the entries of the same trait",fieldPath=".classes"
type StorageAdaptationSpec struct {
	// ClusterLabel is the cluster label naming its storage plugin
	// (default storage.kurator.dev/type).
	// +optional
	ClusterLabel string `json:"clusterLabel,omitempty"`

	// Namespaces limits the adaptation to objects in these namespaces
	// (default: all).
	// +optional
	Namespaces []string `json:"namespaces,omitempty"`

	// FromStorageClassName limits it to claims asking for this class
	// ("" = every claim, with or without a class).
	// +optional
	FromStorageClassName string `json:"fromStorageClassName,omitempty"`

	// Classes map a trait value (ceph, nfs, ebs, ...) to claim fields.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	Classes []StorageClassMapping `json:"classes"`
}

// StorageClassMapping is what a claim becomes on clusters of one trait.
type StorageClassMapping struct {
	// Trait is the cluster label's value.
	// +kubebuilder:validation:MinLength=1
	Trait string `json:"trait"`

	// StorageClassName the claims get.
	// +kubebuilder:validation:MinLength=1
	StorageClassName string `json:"storageClassName"`

	// AccessModes replace the claims' access modes when set.
	// +optional
	AccessModes []string `json:"accessModes,omitempty"`

	// VolumeMode replaces the claims' volume mode when set.
	// +kubebuilder:validation:Enum=Filesystem;Block
	// +optional
	VolumeMode string `json:"volumeMode,omitempty"`
}

// DefaultStorageTraitLabel is the cluster label a StorageAdaptation reads
// by default.
const DefaultStorageTraitLabel = "storage.kurator.dev/type"

func init() {
	SchemeBuilder.Register(&Application{}, &ApplicationList{}, &AppVersion{}, &AppVersionList{}, &StorageAdaptation{}, &StorageAdaptationList{})
}

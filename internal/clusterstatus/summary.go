package clusterstatus

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
)

// summarizeNodes counts the nodes and the Ready ones.
func summarizeNodes(nodes []corev1.Node) *clusterv1alpha1.NodeSummary {
	s := &clusterv1alpha1.NodeSummary{TotalNum: int32(len(nodes))}
	for i := range nodes {
		if nodeReady(&nodes[i]) {
			s.ReadyNum++
		}
	}
	return s
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// summarizeResources sums the nodes' allocatable resources, the requests of
// bound, non-terminal pods (allocated) and of pending, unbound pods
// (allocating). Both pod sums always hold a "pods" count.
func summarizeResources(nodes []corev1.Node, pods []corev1.Pod) *clusterv1alpha1.ResourceSummary {
	t := newPodTally()
	t.add(pods)
	return t.resources(nodes)
}

// podTally sums pods page by page: what the resource and pod summaries
// need, and at most twice MaxListedPodIssues issues at any time.
type podTally struct {
	allocated, allocating corev1.ResourceList
	pods                  clusterv1alpha1.PodSummary
	issues                []clusterv1alpha1.PodIssue
}

func newPodTally() *podTally {
	return &podTally{
		allocated:  corev1.ResourceList{corev1.ResourcePods: *resource.NewQuantity(0, resource.DecimalSI)},
		allocating: corev1.ResourceList{corev1.ResourcePods: *resource.NewQuantity(0, resource.DecimalSI)},
	}
}

func (t *podTally) add(pods []corev1.Pod) {
	one := corev1.ResourceList{corev1.ResourcePods: *resource.NewQuantity(1, resource.DecimalSI)}
	for i := range pods {
		p := &pods[i]
		if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			switch {
			case p.Spec.NodeName != "":
				addTo(t.allocated, podRequests(p))
				addTo(t.allocated, one)
			case p.Status.Phase == corev1.PodPending || p.Status.Phase == "":
				addTo(t.allocating, podRequests(p))
				addTo(t.allocating, one)
			}
		}
		if p.Status.Phase == corev1.PodSucceeded {
			continue
		}
		t.pods.Total++
		switch p.Status.Phase {
		case corev1.PodRunning:
			t.pods.Running++
		case corev1.PodPending, "":
			t.pods.Pending++
		}
		if issue, failed := podIssue(p); failed {
			t.pods.Failed++
			t.issues = append(t.issues, issue)
			if len(t.issues) > 2*clusterv1alpha1.MaxListedPodIssues {
				t.trimIssues()
			}
		}
	}
}

// trimIssues keeps the first MaxListedPodIssues issues by namespace and name.
func (t *podTally) trimIssues() {
	sort.Slice(t.issues, func(i, j int) bool {
		if t.issues[i].Namespace != t.issues[j].Namespace {
			return t.issues[i].Namespace < t.issues[j].Namespace
		}
		return t.issues[i].Name < t.issues[j].Name
	})
	if len(t.issues) > clusterv1alpha1.MaxListedPodIssues {
		t.issues = t.issues[:clusterv1alpha1.MaxListedPodIssues]
	}
}

func (t *podTally) resources(nodes []corev1.Node) *clusterv1alpha1.ResourceSummary {
	s := &clusterv1alpha1.ResourceSummary{Allocatable: corev1.ResourceList{}, Allocated: t.allocated, Allocating: t.allocating}
	for i := range nodes {
		addTo(s.Allocatable, nodes[i].Status.Allocatable)
	}
	return s
}

// summary counts pods by state and names the failed ones, sorted by
// namespace and name.
func (t *podTally) summary() *clusterv1alpha1.PodSummary {
	t.trimIssues()
	s := t.pods
	s.Issues = t.issues
	return &s
}

// podRequests is what the pod asks the scheduler for: the larger of the app
// containers (plus sidecars) and each init container (plus the sidecars
// started before it), plus the pod overhead. Pod-level requests, when set,
// replace the container sum for the resources they name.
func podRequests(p *corev1.Pod) corev1.ResourceList {
	app := corev1.ResourceList{}
	for i := range p.Spec.Containers {
		addTo(app, p.Spec.Containers[i].Resources.Requests)
	}
	sidecars := corev1.ResourceList{}
	initMax := corev1.ResourceList{}
	for i := range p.Spec.InitContainers {
		c := &p.Spec.InitContainers[i]
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			addTo(sidecars, c.Resources.Requests)
			maxInto(initMax, sidecars)
			continue
		}
		step := corev1.ResourceList{}
		addTo(step, sidecars)
		addTo(step, c.Resources.Requests)
		maxInto(initMax, step)
	}
	addTo(app, sidecars)
	maxInto(app, initMax)
	if p.Spec.Resources != nil {
		for name, q := range p.Spec.Resources.Requests {
			app[name] = q.DeepCopy()
		}
	}
	addTo(app, p.Spec.Overhead)
	return app
}

func addTo(dst, src corev1.ResourceList) {
	for name, q := range src {
		cur := dst[name]
		cur.Add(q)
		dst[name] = cur
	}
}

func maxInto(dst, src corev1.ResourceList) {
	for name, q := range src {
		if cur, ok := dst[name]; !ok || q.Cmp(cur) > 0 {
			dst[name] = q.DeepCopy()
		}
	}
}

// apiEnablements lists the served resources by group/version, subresources
// left out, both levels sorted.
func apiEnablements(lists []*metav1.APIResourceList) []clusterv1alpha1.APIEnablement {
	byGV := map[string][]clusterv1alpha1.APIResource{}
	for _, l := range lists {
		if l == nil {
			continue
		}
		if _, ok := byGV[l.GroupVersion]; !ok {
			byGV[l.GroupVersion] = nil
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") {
				continue
			}
			byGV[l.GroupVersion] = append(byGV[l.GroupVersion], clusterv1alpha1.APIResource{Name: r.Name, Kind: r.Kind})
		}
	}
	out := make([]clusterv1alpha1.APIEnablement, 0, len(byGV))
	for gv, rs := range byGV {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Name < rs[j].Name })
		out = append(out, clusterv1alpha1.APIEnablement{GroupVersion: gv, Resources: rs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GroupVersion < out[j].GroupVersion })
	return out
}

// listNodes lists the nodes, those not Ready first, then by name, at most
// MaxListedNodes of them.
func listNodes(nodes []corev1.Node) []clusterv1alpha1.NodeStatus {
	all := make([]clusterv1alpha1.NodeStatus, 0, len(nodes))
	for i := range nodes {
		n := &nodes[i]
		s := clusterv1alpha1.NodeStatus{Name: n.Name, Unschedulable: n.Spec.Unschedulable, Allocatable: corev1.ResourceList{}}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourcePods} {
			if q, ok := n.Status.Allocatable[r]; ok {
				s.Allocatable[r] = q
			}
		}
		s.Ready = nodeReady(n)
		if !s.Ready {
			s.Reason = "no Ready condition reported"
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady {
					s.Reason = strings.TrimSpace(c.Reason + ": " + c.Message)
				}
			}
		}
		all = append(all, s)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Ready != all[j].Ready {
			return !all[i].Ready
		}
		return all[i].Name < all[j].Name
	})
	return all[:min(len(all), clusterv1alpha1.MaxListedNodes):min(len(all), clusterv1alpha1.MaxListedNodes)]
}

// waitingReasons are container states that mean a pod cannot start by itself.
var waitingReasons = map[string]bool{
	"CrashLoopBackOff": true, "ImagePullBackOff": true, "ErrImagePull": true, "InvalidImageName": true,
	"CreateContainerConfigError": true, "CreateContainerError": true, "RunContainerError": true,
}

// summarizePods counts pods by state and names the failed ones, sorted by
// namespace and name.
func summarizePods(pods []corev1.Pod) *clusterv1alpha1.PodSummary {
	t := newPodTally()
	t.add(pods)
	return t.summary()
}

// podIssue says whether p failed or cannot start, and why.
func podIssue(p *corev1.Pod) (clusterv1alpha1.PodIssue, bool) {
	issue := clusterv1alpha1.PodIssue{Namespace: p.Namespace, Name: p.Name}
	if p.Status.Phase == corev1.PodFailed {
		issue.Reason, issue.Message = p.Status.Reason, p.Status.Message
		if issue.Reason == "" {
			issue.Reason = string(corev1.PodFailed)
		}
		return issue, true
	}
	for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil && waitingReasons[w.Reason] {
			issue.Reason = w.Reason
			issue.Message = strings.TrimSpace(cs.Name + ": " + w.Message)
			return issue, true
		}
	}
	return issue, false
}

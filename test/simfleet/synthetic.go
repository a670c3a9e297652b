package simfleet

import (
	"encoding/json"
	"fmt"
	"iter"
	"sort"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/labels"
)

// seed stores the namespaces every cluster starts with.
func (f *Fleet) seed(c *cluster) {
	now := f.start.UTC().Format(time.RFC3339)
	for _, ns := range []string{"default", "kube-node-lease", "kube-public", "kube-system"} {
		o := &object{name: ns, uid: newUID(), created: now, system: true, labels: labels.Set{"kubernetes.io/metadata.name": ns}}
		o.rv = c.nextRV()
		o.raw = mustJSON(map[string]any{
			"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{
				"name": ns, "uid": o.uid, "resourceVersion": strconv.FormatUint(o.rv, 10), "creationTimestamp": now,
				"labels": map[string]any{"kubernetes.io/metadata.name": ns},
			},
			"spec":   map[string]any{"finalizers": []any{"kubernetes"}},
			"status": map[string]any{"phase": "Active"},
		})
		c.put(namespacesRes, nil, o)
	}
}

// nodeItems builds the nodes every cluster reports: the same objects for
// all of them, encoded once.
func nodeItems(n int, start time.Time) []*object {
	now := start.UTC().Format(time.RFC3339)
	out := make([]*object, 0, n)
	for i := range n {
		name := fmt.Sprintf("sim-node-%d", i)
		l := labels.Set{
			"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
			"node.kubernetes.io/instance-type": "simfleet",
		}
		res := map[string]any{"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"}
		raw := mustJSON(map[string]any{
			"apiVersion": "v1", "kind": "Node",
			"metadata": map[string]any{
				"name": name, "uid": fmt.Sprintf("00000000-0000-0000-0000-%012d", i), "resourceVersion": "1",
				"creationTimestamp": now, "labels": l,
			},
			"spec": map[string]any{},
			"status": map[string]any{
				"capacity": res, "allocatable": res,
				"conditions": []any{map[string]any{
					"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "simfleet node is ready",
					"lastHeartbeatTime": now, "lastTransitionTime": now,
				}},
				"addresses": []any{map[string]any{"type": "InternalIP", "address": fmt.Sprintf("10.0.0.%d", i+1)}},
				"nodeInfo": map[string]any{
					"kubeletVersion": "v1.37.2", "containerRuntimeVersion": "simfleet://1", "operatingSystem": "linux",
					"architecture": "amd64", "osImage": "simfleet", "kernelVersion": "simfleet",
				},
			},
		})
		out = append(out, &object{name: name, rv: 1, labels: l, raw: raw})
	}
	return out
}

// syntheticItems yields the nodes or pods the filter selects, by key.
// Callers hold c.mu (the pods follow the stored workloads).
func (f *Fleet) syntheticItems(c *cluster, res *resource, flt filter) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		if res == nodesRes {
			for _, n := range f.nodes {
				if flt.matches(n) && !yield(n.key(), n.raw) {
					return
				}
			}
			return
		}
		var pods []*object
		for _, r := range resources {
			if r.workload == notWorkload {
				continue
			}
			for _, o := range c.objects[r.idx] {
				if o.work == nil || (flt.namespace != "" && o.namespace != flt.namespace) {
					continue
				}
				if o.work.podCache == nil && o.work.pods > 0 {
					o.work.podCache = make([][]byte, o.work.pods)
				}
				for i := range o.work.pods {
					p := &object{namespace: o.namespace, name: podName(r, o.name, i), labels: o.work.templateLabels}
					if !flt.matches(p) {
						continue
					}
					if o.work.podCache[i] == nil {
						o.work.podCache[i] = f.podJSON(r, o, p.name, i)
					}
					p.raw = o.work.podCache[i]
					pods = append(pods, p)
				}
			}
		}
		sort.Slice(pods, func(i, j int) bool { return pods[i].key() < pods[j].key() })
		for _, p := range pods {
			if !yield(p.key(), p.raw) {
				return
			}
		}
	}
}

func podName(r *resource, owner string, i int64) string {
	if r.workload == statefulSetKind {
		return fmt.Sprintf("%s-%d", owner, i)
	}
	return fmt.Sprintf("%s-sim-%d", owner, i)
}

type simPod struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   simPodMeta  `json:"metadata"`
	Spec       simPodSpec  `json:"spec"`
	Status     simPodState `json:"status"`
}

type simPodMeta struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	UID               string            `json:"uid"`
	ResourceVersion   string            `json:"resourceVersion"`
	CreationTimestamp string            `json:"creationTimestamp"`
	Labels            map[string]string `json:"labels,omitempty"`
	OwnerReferences   []map[string]any  `json:"ownerReferences"`
}

type simPodSpec struct {
	NodeName   string          `json:"nodeName"`
	Containers json.RawMessage `json:"containers"`
}

type simPodState struct {
	Phase      string           `json:"phase"`
	Conditions []map[string]any `json:"conditions,omitempty"`
	HostIP     string           `json:"hostIP,omitempty"`
	PodIP      string           `json:"podIP,omitempty"`
}

// podJSON is the i-th pod of workload o: bound to a node, Pending until
// the workload's status turned ready, then Running (a Job's: Succeeded).
func (f *Fleet) podJSON(r *resource, o *object, name string, i int64) []byte {
	nodes := int64(f.opts.NodesPerCluster)
	p := simPod{APIVersion: "v1", Kind: "Pod"}
	p.Metadata = simPodMeta{
		Name: name, Namespace: o.namespace, UID: fmt.Sprintf("%s-%d", o.uid, i), ResourceVersion: strconv.FormatUint(o.rv, 10),
		CreationTimestamp: o.created, Labels: o.work.templateLabels,
		OwnerReferences: []map[string]any{{"apiVersion": r.gv(), "kind": r.kind, "name": o.name, "uid": o.uid, "controller": true}},
	}
	p.Spec = simPodSpec{NodeName: fmt.Sprintf("sim-node-%d", i%nodes), Containers: o.work.containers}
	p.Status.Phase = "Pending"
	if o.work.ready {
		p.Status.Phase = "Running"
		if r.workload == jobKind {
			p.Status.Phase = "Succeeded"
		}
		p.Status.Conditions = []map[string]any{{"type": "Ready", "status": "True"}}
		p.Status.HostIP = fmt.Sprintf("10.0.0.%d", i%nodes+1)
		p.Status.PodIP = fmt.Sprintf("10.244.%d.%d", (i/250)%250, i%250+1)
	}
	return mustJSON(p)
}

package fleetmetrics

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// The series the members' kwok serves per node (kubelet's /metrics/resource
// names, and kube-state-metrics' names for requests and allocatable), each
// with the labels Prometheus adds: cluster and node.
const (
	PodCPUSeconds        = "pod_cpu_usage_seconds_total"        // counter, core-seconds; namespace, pod
	PodMemoryBytes       = "pod_memory_working_set_bytes"       // gauge, bytes; namespace, pod
	ContainerCPUSeconds  = "container_cpu_usage_seconds_total"  // counter; namespace, pod, container
	ContainerMemoryBytes = "container_memory_working_set_bytes" // gauge; namespace, pod, container
	NodeCPUSeconds       = "node_cpu_usage_seconds_total"       // counter, the node's pods together
	NodeMemoryBytes      = "node_memory_working_set_bytes"      // gauge
	// PodRequests is each container's request: resource="cpu" (cores) or
	// resource="memory" (bytes); namespace, pod, container.
	PodRequests = "kube_pod_container_resource_requests"
	// NodeAllocatable is what a node offers to pods, resource="cpu"|"memory".
	NodeAllocatable = "kube_node_status_allocatable"
)

// Resource is the resource a usage query measures.
type Resource string

// The resources usage is read for.
const (
	CPU    Resource = "cpu"    // in cores
	Memory Resource = "memory" // in bytes
)

func (r Resource) valid() error {
	if r != CPU && r != Memory {
		return fmt.Errorf("resource %q: give cpu or memory", r)
	}
	return nil
}

// PodUsage returns the current usage of the given pods, per cluster and
// pod name: cores (the rate over the client's RateWindow) for cpu, working
// set bytes for memory. pods maps each member cluster to its pods' names in
// namespace. A pod Prometheus has no data for (not scraped yet, or younger
// than two scrapes for cpu) is absent from the answer; a cluster with none
// is absent too. All clusters cost one query.
func (c *Client) PodUsage(ctx context.Context, resource Resource, namespace string, pods map[string][]string) (map[string]map[string]float64, error) {
	if err := resource.valid(); err != nil {
		return nil, fmt.Errorf("pod usage on prometheus %s: %w", c.address, err)
	}
	if namespace == "" {
		return nil, fmt.Errorf("pod usage on prometheus %s: the namespace is empty: give the workload's namespace", c.address)
	}
	want := map[string]map[string]bool{}
	for cluster, names := range pods {
		for _, n := range names {
			if want[cluster] == nil {
				want[cluster] = map[string]bool{}
			}
			want[cluster][n] = true
		}
	}
	out := map[string]map[string]float64{}
	if len(want) == 0 {
		return out, nil
	}
	query := PodUsageQuery(resource, namespace, pods, c.window)
	vector, err := c.vector(ctx, query, time.Time{})
	if err != nil {
		return nil, err
	}
	for _, s := range vector {
		cluster, pod := string(s.Metric[ClusterLabel]), string(s.Metric[model.LabelName("pod")])
		// The regular expressions select a superset (every pod name in
		// every cluster); keep the pairs asked for.
		if !want[cluster][pod] {
			continue
		}
		if out[cluster] == nil {
			out[cluster] = map[string]float64{}
		}
		out[cluster][pod] = float64(s.Value)
	}
	return out, nil
}

// PodUsageQuery is the instant query PodUsage sends: usage per cluster and
// pod of the named pods in namespace, cpu as a rate over window.
func PodUsageQuery(resource Resource, namespace string, pods map[string][]string, window time.Duration) string {
	clusters := make([]string, 0, len(pods))
	var names []string
	for cluster, ns := range pods {
		if len(ns) == 0 {
			continue
		}
		clusters = append(clusters, cluster)
		names = append(names, ns...)
	}
	slices.Sort(clusters)
	slices.Sort(names)
	names = slices.Compact(names)
	sel := Selector(Equal("namespace", namespace), OneOf(ClusterLabel, clusters), OneOf("pod", names))
	if resource == Memory {
		return "sum by (cluster, pod) (" + PodMemoryBytes + sel + ")"
	}
	return "sum by (cluster, pod) (rate(" + PodCPUSeconds + sel + "[" + Duration(window) + "]))"
}

// Matcher is one label matcher of a series selector.
type Matcher string

// Equal matches label = value exactly.
func Equal(label, value string) Matcher {
	return Matcher(label + "=" + strconv.Quote(value))
}

// OneOf matches label against any of values exactly (a regular expression
// of the quoted values).
func OneOf(label string, values []string) Matcher {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = regexp.QuoteMeta(v)
	}
	return Matcher(label + "=~" + strconv.Quote(strings.Join(quoted, "|")))
}

// Prefix matches label values starting with prefix, e.g. a Deployment's
// pods by its name and "-".
func Prefix(label, prefix string) Matcher {
	return Matcher(label + "=~" + strconv.Quote(regexp.QuoteMeta(prefix)+".*"))
}

// Selector is the {..} of a series selector.
func Selector(ms ...Matcher) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = string(m)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// Duration writes d as a PromQL duration (whole milliseconds).
func Duration(d time.Duration) string {
	return model.Duration(d.Truncate(time.Millisecond)).String()
}

package autoscale

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The series the built-in queries read: a kubelet's /metrics/resource (or
// kwok's emulation of it), labelled by the fleet's Prometheus with the
// member's name in ClusterLabel and the node's in node.
const (
	ClusterLabel = "cluster"

	podCPU     = "pod_cpu_usage_seconds_total"
	podMemory  = "pod_memory_working_set_bytes"
	nodeCPU    = "node_cpu_usage_seconds_total"
	nodeMemory = "node_memory_working_set_bytes"
)

// PodNamePattern is the regular expression (anchored, as Prometheus anchors
// label matchers) that the names of a workload's pods match, and no other
// workload's:
//
//	Deployment   name-<pod-template-hash, 1-10 chars>-<5 chars>
//	StatefulSet  name-<ordinal>
//	other kinds  name-<5 chars> (ReplicaSet, Job, and most operators' sets)
//
// so order-service does not match order-service-db-7d9f8c6b5d-x2x4z.
func PodNamePattern(kind, name string) string {
	n := regexp.QuoteMeta(name)
	switch kind {
	case "Deployment", "":
		return n + "-[a-z0-9]{1,10}-[a-z0-9]{5}"
	case "StatefulSet":
		return n + "-[0-9]+"
	default:
		return n + "-[a-z0-9]{5}"
	}
}

// WorkloadQuery is the PromQL for a workload's utilisation in percent, one
// series per cluster: the average over its pods of each pod's usage divided
// by requestPerPod (cores for cpu, bytes for memory), times 100, with the
// cpu counter's rate over DefaultRateWindow. metric is cpu or memory (any
// other value reads cpu). requestPerPod must be positive: utilisation of a
// workload without requests is undefined (the controller says so).
func WorkloadQuery(metric, namespace, kind, name string, requestPerPod float64) string {
	return WorkloadQueryRate(metric, namespace, kind, name, requestPerPod, DefaultRateWindow)
}

// WorkloadQueryRate is WorkloadQuery with the rate window given
// (Settings.RateWindow): a shortened time scale needs a shorter one.
func WorkloadQueryRate(metric, namespace, kind, name string, requestPerPod float64, rateWindow time.Duration) string {
	sel := fmt.Sprintf("{namespace=%s,pod=~%s}", strconv.Quote(namespace), strconv.Quote(PodNamePattern(kind, name)))
	usage := podMemory + sel
	if metric != "memory" {
		usage = fmt.Sprintf("rate(%s%s[%s])", podCPU, sel, promDuration(rateWindow))
	}
	// Sum per pod first: a pod scraped twice (two jobs) still counts once.
	return fmt.Sprintf("100 * avg by (%s) (sum by (%s, pod) (%s)) / %s",
		ClusterLabel, ClusterLabel, usage, formatNumber(requestPerPod))
}

// ClusterQuery is the PromQL for each cluster's utilisation in percent: the
// sum of its nodes' usage divided by the cluster's allocatable (cores for
// cpu, bytes for memory; from the member's nodes, by cluster), times 100.
// One term per cluster, joined with "or", in name order; clusters with no
// allocatable are left out, and with none at all the query is empty.
//
// The allocatable is today's: over a window that spans a change of the node
// pool, the earlier samples are divided by the new allocatable.
func ClusterQuery(metric string, allocatable map[string]float64) string {
	return ClusterQueryRate(metric, allocatable, DefaultRateWindow)
}

// ClusterQueryRate is ClusterQuery with the rate window given.
func ClusterQueryRate(metric string, allocatable map[string]float64, rateWindow time.Duration) string {
	clusters := make([]string, 0, len(allocatable))
	for c, a := range allocatable {
		if a > 0 {
			clusters = append(clusters, c)
		}
	}
	sort.Strings(clusters)
	terms := make([]string, 0, len(clusters))
	for _, c := range clusters {
		sel := fmt.Sprintf("{%s=%s}", ClusterLabel, strconv.Quote(c))
		usage := nodeMemory + sel
		if metric != "memory" {
			usage = fmt.Sprintf("rate(%s%s[%s])", nodeCPU, sel, promDuration(rateWindow))
		}
		terms = append(terms, fmt.Sprintf("(100 * sum by (%s) (%s) / %s)", ClusterLabel, usage, formatNumber(allocatable[c])))
	}
	return strings.Join(terms, " or ")
}

// ClusterFilter narrows a query built by this package to the given
// clusters, adding cluster=~"north|south" to each of its series selectors
// (no clusters: q unchanged). A policy's own trigger.query is not filtered:
// it is evaluated per cluster with ExpandQuery.
func ClusterFilter(q string, clusters []string) string {
	if len(clusters) == 0 {
		return q
	}
	alts := make([]string, len(clusters))
	for i, c := range clusters {
		alts[i] = regexp.QuoteMeta(c)
	}
	matcher := ClusterLabel + "=~" + strconv.Quote(strings.Join(alts, "|"))
	for _, m := range []string{podCPU, podMemory, nodeCPU, nodeMemory} {
		q = strings.ReplaceAll(q, m+"{", m+"{"+matcher+",")
	}
	return q
}

// ExpandQuery fills a trigger.query template for one cluster: {{ cluster }}
// and {{ namespace }} (with or without the spaces) become the values as they
// are, so the template quotes them: pod_cpu{cluster="{{ cluster }}"}.
func ExpandQuery(template, cluster, namespace string) string {
	r := strings.NewReplacer(
		"{{ cluster }}", cluster, "{{cluster}}", cluster,
		"{{ namespace }}", namespace, "{{namespace}}", namespace)
	return r.Replace(template)
}

// promDuration writes d as a PromQL duration: 1m as 60s, 1.5s as 1500ms.
func promDuration(d time.Duration) string {
	if d <= 0 {
		d = DefaultRateWindow
	}
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

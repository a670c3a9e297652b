package autoscale

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

// hpaCalcInput is what the replica calculator needs besides the metric.
type hpaCalcInput struct {
	// current is the template's replicas.
	current     int32
	pods        []HPAPod
	calibration float64
	now         time.Time
	cfg         HPAConfig
	// upTolerance and downTolerance bound the no-change band around a
	// usage ratio of 1: (1-down, 1+up).
	upTolerance, downTolerance float64
}

// within reports whether a usage ratio is too close to 1 to act on.
func (c hpaCalcInput) within(ratio float64) bool {
	return ratio >= 1-c.downTolerance && ratio <= 1+c.upTolerance
}

// hpaProposal is one metric's proposed replica count and its status.
type hpaProposal struct {
	replicas int32
	// name describes the metric in messages, as Kubernetes words it.
	name   string
	status autoscalingv2.MetricStatus
}

// hpaReplicasForMetric is computeReplicasForMetric for the metric types the
// fleet can observe per pod: Resource, ContainerResource and Pods.
func hpaReplicasForMetric(m autoscalingv2.MetricSpec, obs HPAObservation, c hpaCalcInput) (hpaProposal, error) {
	switch m.Type {
	case autoscalingv2.ResourceMetricSourceType:
		if m.Resource == nil {
			return hpaProposal{}, fmt.Errorf("metric type Resource needs the resource field")
		}
		return hpaResourceProposal(m.Resource.Name, "", m.Resource.Target, obs, c, m.Type)
	case autoscalingv2.ContainerResourceMetricSourceType:
		if m.ContainerResource == nil {
			return hpaProposal{}, fmt.Errorf("metric type ContainerResource needs the containerResource field")
		}
		return hpaResourceProposal(m.ContainerResource.Name, m.ContainerResource.Container, m.ContainerResource.Target, obs, c, m.Type)
	case autoscalingv2.PodsMetricSourceType:
		if m.Pods == nil {
			return hpaProposal{}, fmt.Errorf("metric type Pods needs the pods field")
		}
		if m.Pods.Target.AverageValue == nil {
			return hpaProposal{}, fmt.Errorf("pods metric %s needs target.averageValue", m.Pods.Metric.Name)
		}
		if obs.Err != nil {
			return hpaProposal{}, fmt.Errorf("unable to get metric %s: %w", m.Pods.Metric.Name, obs.Err)
		}
		target := m.Pods.Target.AverageValue.MilliValue()
		n, usage, err := hpaPlainReplicas(hpaCopyMetrics(obs.Pods), target, "", c)
		if err != nil {
			return hpaProposal{}, err
		}
		return hpaProposal{replicas: n, name: "pods metric " + m.Pods.Metric.Name, status: autoscalingv2.MetricStatus{
			Type: autoscalingv2.PodsMetricSourceType,
			Pods: &autoscalingv2.PodsMetricStatus{Metric: m.Pods.Metric, Current: autoscalingv2.MetricValueStatus{AverageValue: hpaMilli(usage)}},
		}}, nil
	case autoscalingv2.ObjectMetricSourceType, autoscalingv2.ExternalMetricSourceType:
		return hpaProposal{}, fmt.Errorf("metric type %s is not served on the hub: the fleet's metrics are per pod (use a Resource, ContainerResource or Pods metric)", m.Type)
	}
	return hpaProposal{}, fmt.Errorf("unknown metric source type %q", m.Type)
}

// hpaResourceProposal handles Resource and ContainerResource metrics: a
// utilisation of the pods' requests, or an average value per pod.
func hpaResourceProposal(name corev1.ResourceName, container string, target autoscalingv2.MetricTarget, obs HPAObservation, c hpaCalcInput, t autoscalingv2.MetricSourceType) (hpaProposal, error) {
	kind := "resource"
	if container != "" {
		kind = "container resource"
	}
	if obs.Err != nil {
		return hpaProposal{}, fmt.Errorf("unable to get metrics for %s %s: %w", kind, name, obs.Err)
	}
	if len(obs.Pods) == 0 {
		return hpaProposal{}, fmt.Errorf("unable to get metrics for %s %s: no metrics returned for the workload's pods", kind, name)
	}
	status := func(v autoscalingv2.MetricValueStatus) autoscalingv2.MetricStatus {
		if t == autoscalingv2.ContainerResourceMetricSourceType {
			return autoscalingv2.MetricStatus{Type: t, ContainerResource: &autoscalingv2.ContainerResourceMetricStatus{Name: name, Container: container, Current: v}}
		}
		return autoscalingv2.MetricStatus{Type: t, Resource: &autoscalingv2.ResourceMetricStatus{Name: name, Current: v}}
	}
	switch {
	case target.AverageValue != nil:
		n, usage, err := hpaPlainReplicas(hpaCopyMetrics(obs.Pods), target.AverageValue.MilliValue(), name, c)
		if err != nil {
			return hpaProposal{}, err
		}
		return hpaProposal{replicas: n, name: fmt.Sprintf("%s %s", name, kind), status: status(autoscalingv2.MetricValueStatus{AverageValue: hpaMilli(usage)})}, nil
	case target.AverageUtilization != nil:
		n, util, raw, err := hpaUtilizationReplicas(hpaCopyMetrics(obs.Pods), *target.AverageUtilization, name, container, c)
		if err != nil {
			return hpaProposal{}, err
		}
		return hpaProposal{replicas: n, name: fmt.Sprintf("%s %s utilization (percentage of request)", name, kind),
			status: status(autoscalingv2.MetricValueStatus{AverageUtilization: &util, AverageValue: hpaMilli(raw)})}, nil
	}
	return hpaProposal{}, fmt.Errorf("invalid %s metric source %s: neither a utilization target nor an average value target was set", kind, name)
}

func hpaCopyMetrics(in map[HPAPodKey]HPAPodMetric) map[HPAPodKey]HPAPodMetric {
	out := make(map[HPAPodKey]HPAPodMetric, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// hpaPodGroups sorts the pods as the replica calculator does before it
// counts them.
type hpaPodGroups struct {
	ready int
	// unready pods' samples are not trusted: pending, or (for cpu) not yet
	// ready or started too recently to have a full window since.
	unready map[HPAPodKey]bool
	// missing pods have no sample.
	missing map[HPAPodKey]bool
	// ignored pods are going away: deleted or failed.
	ignored map[HPAPodKey]bool
}

// hpaGroupPods is groupPods: a pod being deleted or failed is ignored, a
// pending one is unready, one without a sample is missing; for cpu a pod
// still in its initialisation period counts only when it is ready and has
// been for one metric window, and a later one is unready only if it never
// became ready.
func hpaGroupPods(pods []HPAPod, metrics map[HPAPodKey]HPAPodMetric, res corev1.ResourceName, c hpaCalcInput) hpaPodGroups {
	g := hpaPodGroups{unready: map[HPAPodKey]bool{}, missing: map[HPAPodKey]bool{}, ignored: map[HPAPodKey]bool{}}
	for _, p := range pods {
		k := p.Key()
		if p.Pod.DeletionTimestamp != nil || p.Pod.Status.Phase == corev1.PodFailed {
			g.ignored[k] = true
			continue
		}
		if p.Pod.Status.Phase == corev1.PodPending {
			g.unready[k] = true
			continue
		}
		m, ok := metrics[k]
		if !ok {
			g.missing[k] = true
			continue
		}
		if res == corev1.ResourceCPU && hpaCPUUnready(p.Pod, m, c) {
			g.unready[k] = true
			continue
		}
		g.ready++
	}
	return g
}

func hpaCPUUnready(pod *corev1.Pod, m HPAPodMetric, c hpaCalcInput) bool {
	var ready *corev1.PodCondition
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			ready = &pod.Status.Conditions[i]
			break
		}
	}
	if ready == nil || pod.Status.StartTime == nil {
		return true
	}
	start := pod.Status.StartTime.Time
	if start.Add(c.cfg.CPUInitializationPeriod).After(c.now) {
		return ready.Status == corev1.ConditionFalse || m.Timestamp.Before(ready.LastTransitionTime.Add(m.Window))
	}
	return ready.Status == corev1.ConditionFalse && start.Add(c.cfg.DelayOfInitialReadinessStatus).After(ready.LastTransitionTime.Time)
}

// hpaPodRequests sums each pod's request of the resource: of one container,
// or of the pod (pod-level resources when set, else its containers and
// restartable init containers, the sidecars). A container without a request
// is an error: utilisation has no meaning for it.
func hpaPodRequests(pods []HPAPod, container string, res corev1.ResourceName) (map[HPAPodKey]int64, error) {
	out := make(map[HPAPodKey]int64, len(pods))
	for _, p := range pods {
		spec := p.Pod.Spec
		if container == "" && spec.Resources != nil {
			if q, ok := spec.Resources.Requests[res]; ok {
				out[p.Key()] = q.MilliValue()
				continue
			}
		}
		var sum int64
		cs := append([]corev1.Container(nil), spec.Containers...)
		for _, ic := range spec.InitContainers {
			if ic.RestartPolicy != nil && *ic.RestartPolicy == corev1.ContainerRestartPolicyAlways {
				cs = append(cs, ic)
			}
		}
		for _, ct := range cs {
			if container != "" && ct.Name != container {
				continue
			}
			q, ok := ct.Resources.Requests[res]
			if !ok {
				return nil, fmt.Errorf("missing request for %s in container %s of pod %s in cluster %s: set resources.requests.%s on the workload's containers", res, ct.Name, p.Pod.Name, p.Cluster, res)
			}
			sum += q.MilliValue()
		}
		out[p.Key()] = sum
	}
	return out, nil
}

// hpaUtilizationRatio is GetResourceUtilizationRatio: the pods' usage over
// their requests (pods with a sample and a request only), as an integer
// percentage, its ratio to the target and the average usage per pod.
func hpaUtilizationRatio(metrics map[HPAPodKey]HPAPodMetric, requests map[HPAPodKey]int64, target int32) (ratio float64, util int32, raw int64, err error) {
	var used, requested int64
	n := 0
	for k, m := range metrics {
		r, ok := requests[k]
		if !ok {
			continue
		}
		used += m.Value
		requested += r
		n++
	}
	if requested == 0 {
		return 0, 0, 0, fmt.Errorf("no metrics returned matched known pods")
	}
	util = int32(used * 100 / requested)
	return float64(util) / float64(target), util, used / int64(n), nil
}

// hpaUsageRatio is GetMetricUsageRatio: the average value per sample and its
// ratio to the target.
func hpaUsageRatio(metrics map[HPAPodKey]HPAPodMetric, target int64) (float64, int64) {
	var sum int64
	for _, m := range metrics {
		sum += m.Value
	}
	avg := sum / int64(len(metrics))
	return float64(avg) / float64(target), avg
}

// hpaUtilizationReplicas is GetResourceReplicas with Karmada's calibration.
// Only ready pods' samples count at first; if any pod is missing a sample,
// or a scale-up is proposed while pods are unready, the ratio is computed
// again with the missing pods at 100% of their request (or the target when
// above 100%) on a scale-down and at 0% on a scale-up, and the unready
// pods at 0% on a scale-up; if that flips the direction or lands within
// the tolerance, nothing changes.
func hpaUtilizationReplicas(metrics map[HPAPodKey]HPAPodMetric, target int32, res corev1.ResourceName, container string, c hpaCalcInput) (int32, int32, int64, error) {
	if len(c.pods) == 0 {
		return 0, 0, 0, fmt.Errorf("no pods of the workload were found in the ready member clusters")
	}
	g := hpaGroupPods(c.pods, metrics, res, c)
	for k := range g.ignored {
		delete(metrics, k)
	}
	for k := range g.unready {
		delete(metrics, k)
	}
	requests, err := hpaPodRequests(c.pods, container, res)
	if err != nil {
		return 0, 0, 0, err
	}
	if len(metrics) == 0 {
		return 0, 0, 0, fmt.Errorf("did not receive metrics for any ready pods (%s)", hpaDescribeGroups(g))
	}
	ratio, util, raw, err := hpaUtilizationRatio(metrics, requests, target)
	if err != nil {
		return 0, 0, 0, err
	}
	scaleUpWithUnready := len(g.unready) > 0 && ratio > 1
	if !scaleUpWithUnready && len(g.missing) == 0 {
		if c.within(ratio) {
			return c.current, util, raw, nil
		}
		return hpaCeil(ratio * float64(g.ready) / c.calibration), util, raw, nil
	}
	if len(g.missing) > 0 {
		fallback := int64(max(100, target))
		for k := range g.missing {
			switch {
			case ratio < 1:
				metrics[k] = HPAPodMetric{Value: requests[k] * fallback / 100}
			case ratio > 1:
				metrics[k] = HPAPodMetric{}
			}
		}
	}
	if scaleUpWithUnready {
		for k := range g.unready {
			metrics[k] = HPAPodMetric{}
		}
	}
	newRatio, _, _, err := hpaUtilizationRatio(metrics, requests, target)
	if err != nil {
		return 0, util, raw, err
	}
	if c.within(newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1) {
		return c.current, util, raw, nil
	}
	n := hpaCeil(newRatio * float64(len(metrics)) / c.calibration)
	if (newRatio < 1 && n > c.current) || (newRatio > 1 && n < c.current) {
		return c.current, util, raw, nil
	}
	return n, util, raw, nil
}

// hpaPlainReplicas is calcPlainMetricReplicas (average values per pod), with
// the same treatment of missing and unready pods; a missing pod counts as
// at the target on a scale-down.
func hpaPlainReplicas(metrics map[HPAPodKey]HPAPodMetric, target int64, res corev1.ResourceName, c hpaCalcInput) (int32, int64, error) {
	if len(c.pods) == 0 {
		return 0, 0, fmt.Errorf("no pods of the workload were found in the ready member clusters")
	}
	if target <= 0 {
		return 0, 0, fmt.Errorf("the target average value must be above zero")
	}
	g := hpaGroupPods(c.pods, metrics, res, c)
	for k := range g.ignored {
		delete(metrics, k)
	}
	for k := range g.unready {
		delete(metrics, k)
	}
	if len(metrics) == 0 {
		return 0, 0, fmt.Errorf("did not receive metrics for any ready pods (%s)", hpaDescribeGroups(g))
	}
	ratio, usage := hpaUsageRatio(metrics, target)
	scaleUpWithUnready := len(g.unready) > 0 && ratio > 1
	if !scaleUpWithUnready && len(g.missing) == 0 {
		if c.within(ratio) {
			return c.current, usage, nil
		}
		return hpaCeil(ratio * float64(g.ready) / c.calibration), usage, nil
	}
	if len(g.missing) > 0 {
		for k := range g.missing {
			switch {
			case ratio < 1:
				metrics[k] = HPAPodMetric{Value: target}
			case ratio > 1:
				metrics[k] = HPAPodMetric{}
			}
		}
	}
	if scaleUpWithUnready {
		for k := range g.unready {
			metrics[k] = HPAPodMetric{}
		}
	}
	newRatio, _ := hpaUsageRatio(metrics, target)
	if c.within(newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1) {
		return c.current, usage, nil
	}
	n := hpaCeil(newRatio * float64(len(metrics)) / c.calibration)
	if (newRatio < 1 && n > c.current) || (newRatio > 1 && n < c.current) {
		return c.current, usage, nil
	}
	return n, usage, nil
}

// hpaCeil rounds a replica count up, as Kubernetes does (plain math.Ceil,
// so results match kube-controller-manager's to the replica).
func hpaCeil(v float64) int32 { return int32(math.Ceil(v)) }

// hpaDescribeGroups says why pods' samples were left out, for messages.
func hpaDescribeGroups(g hpaPodGroups) string {
	var parts []string
	add := func(what string, set map[HPAPodKey]bool) {
		if len(set) == 0 {
			return
		}
		names := make([]string, 0, len(set))
		for k := range set {
			names = append(names, k.String())
		}
		sort.Strings(names)
		if len(names) > 3 {
			names = append(names[:3], fmt.Sprintf("and %d more", len(set)-3))
		}
		parts = append(parts, fmt.Sprintf("%d %s: %s", len(set), what, strings.Join(names, ", ")))
	}
	add("not ready", g.unready)
	add("without a sample", g.missing)
	add("deleted or failed", g.ignored)
	if len(parts) == 0 {
		return "no pods"
	}
	return strings.Join(parts, "; ")
}

package plan

import (
	"math"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kurator-go/kurator/pkg/scheduler"
)

// costDecimals is the precision of every cost figure in the output: enough
// for prices of a fraction of a cent per core-hour, and no float noise
// (0.1+0.2) in JSON.
const costDecimals = 6

func roundCost(v float64) float64 {
	const scale = 1e6 // 10^costDecimals
	return math.Round(v*scale) / scale
}

// CostOf prices a placement: per target, replicas × (cpu cores × cpuHour +
// memory GiB × memoryGiBHour) of one replica's request at the target's
// price, summed per currency. It returns nil when the template has no
// replicas or no target is priced, so the figure appears only where it
// means something. Plan fills Workload.Cost with it; the dashboard can call
// it with a hub binding's replicas, request and spec.clusters, and
// PricesOf(fleetview.Build(...).Clusters).
func CostOf(replicas int32, perReplica corev1.ResourceList, targets []Target, prices map[string]*scheduler.Price, weight int32) *Cost {
	if replicas == 0 {
		return nil
	}
	cpu, mem := scheduler.ReplicaSize(perReplica)
	c := &Cost{
		CostWeight:          weight,
		CPUPerReplica:       roundCost(cpu),
		MemoryGiBPerReplica: roundCost(mem),
		Clusters:            make([]ClusterCost, 0, len(targets)),
		Total:               []Amount{},
		Unpriced:            []string{},
	}
	totals := map[string]float64{}
	for _, t := range targets {
		p := prices[t.Cluster]
		if p == nil {
			c.Unpriced = append(c.Unpriced, t.Cluster)
			continue
		}
		hourly := p.Hourly(t.Replicas, cpu, mem)
		totals[p.Currency] += hourly
		c.Clusters = append(c.Clusters, ClusterCost{
			Cluster: t.Cluster, Replicas: t.Replicas,
			CPUHour: p.CPUHour, MemoryGiBHour: p.MemoryGiBHour, Currency: p.Currency,
			Hourly: roundCost(hourly),
		})
	}
	if len(c.Clusters) == 0 {
		return nil
	}
	for currency, v := range totals {
		c.Total = append(c.Total, Amount{Currency: currency, Hourly: roundCost(v)})
	}
	slices.SortFunc(c.Total, func(a, b Amount) int { return strings.Compare(a.Currency, b.Currency) })
	return c
}

// PricesOf indexes clusters' prices by name (nil: unpriced).
func PricesOf(clusters []scheduler.Cluster) map[string]*scheduler.Price {
	out := make(map[string]*scheduler.Price, len(clusters))
	for i := range clusters {
		out[clusters[i].Name] = clusters[i].Price
	}
	return out
}

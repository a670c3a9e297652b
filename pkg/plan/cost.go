package plan

import (
	"math"
	"slices"
	"strings"

	"github.com/kurator-go/kurator/pkg/scheduler"
	"github.com/kurator-go/kurator/pkg/workload"
)

// costDecimals is the precision of every cost figure in the output: enough
// for prices of a fraction of a cent per core-hour, and no float noise
// (0.1+0.2) in JSON.
const costDecimals = 6

func roundCost(v float64) float64 {
	const scale = 1e6 // 10^costDecimals
	return math.Round(v*scale) / scale
}

// costOf prices a placement: per target, replicas × (cpu cores × cpuHour +
// memory GiB × memoryGiBHour) at the target's price, summed per currency.
// It returns nil when the template has no replicas or no target is priced,
// so the figure appears only where it means something.
func costOf(d workload.Demand, targets []Target, prices map[string]*scheduler.Price, weight int32) *Cost {
	if d.Replicas == 0 {
		return nil
	}
	cpu, mem := scheduler.ReplicaSize(d.PerReplica)
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

// pricesOf indexes the view's cluster prices by name (nil: unpriced).
func pricesOf(clusters []scheduler.Cluster) map[string]*scheduler.Price {
	out := make(map[string]*scheduler.Price, len(clusters))
	for i := range clusters {
		out[clusters[i].Name] = clusters[i].Price
	}
	return out
}

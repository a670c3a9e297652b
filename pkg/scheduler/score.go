package scheduler

// localityScore is what a cluster the binding already runs on earns, so that
// rescheduling prefers to keep replicas where they are (Karmada's value).
const localityScore = 100

// scorer answers "how good is this cluster for this binding?". Scores of all
// scorers are summed; they order clusters for spread selection.
type scorer struct {
	name  string
	score func(rc *requestContext, c int) int64
}

// scorers run in this order; order does not change the sum but keeps
// diagnostics and profiles stable.
var scorers = []scorer{
	{name: "ClusterLocality", score: scoreLocality},
	{name: "FleetPreferredAffinity", score: scoreFleetPreference},
	{name: "Cost", score: scoreCost},
}

func scoreLocality(rc *requestContext, c int) int64 {
	if rc.prev[c] >= 0 {
		return localityScore
	}
	return 0
}

// scoreFleetPreference adds the weights of the cluster's fleet's preferred
// terms that match it. The sum is fixed per cluster, so the snapshot has it.
func scoreFleetPreference(rc *requestContext, c int) int64 {
	return rc.snap.clusters[c].preferScore
}

func (rc *requestContext) score(c int) int64 {
	var total int64
	for i := range scorers {
		total += scorers[i].score(rc, c)
	}
	return total
}

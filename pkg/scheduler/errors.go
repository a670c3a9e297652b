package scheduler

import (
	"fmt"
	"strings"
)

// maxListedReasons bounds how many clusters an error message names; the full
// list stays in UnschedulableError.Reasons. Messages end up in conditions
// and events, which must stay readable at thousands of clusters.
const maxListedReasons = 20

// UnschedulableError says why a binding fits nowhere. It is the only error
// Schedule returns for a valid request that cannot be placed; other errors
// mean the request itself is malformed.
type UnschedulableError struct {
	// Clusters is the number of clusters considered.
	Clusters int
	// Feasible is the number of clusters that passed every filter.
	Feasible int
	// Detail says why the feasible clusters are not enough (spread
	// constraints, capacity); empty when the filters rejected every cluster.
	Detail string
	// Reasons holds one entry per cluster that cannot take the binding,
	// sorted by cluster name.
	Reasons []Exclusion
	// AffinityName is the clusterAffinities term this error is about.
	AffinityName string
	// Terms holds one error per clusterAffinities term tried, in order,
	// when the placement uses clusterAffinities and none fitted.
	Terms []*UnschedulableError
}

func (e *UnschedulableError) Error() string {
	var b strings.Builder
	if len(e.Terms) > 0 {
		b.WriteString("no clusterAffinities term fits: ")
		for i, t := range e.Terms {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "term %q: %s", t.AffinityName, t.Error())
		}
		return b.String()
	}
	fmt.Fprintf(&b, "%d/%d clusters are available", e.Feasible, e.Clusters)
	if e.Detail != "" {
		b.WriteString(" but ")
		b.WriteString(e.Detail)
	}
	for i, r := range e.Reasons {
		if i == maxListedReasons {
			fmt.Fprintf(&b, "; and %d more clusters", len(e.Reasons)-i)
			break
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(r.Cluster)
		b.WriteString(": ")
		b.WriteString(r.Reason)
	}
	return b.String()
}

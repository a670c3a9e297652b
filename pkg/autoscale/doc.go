// Package autoscale holds the pure decisions of scale policies: whether a
// metric held over a window (Judge), what a policy's spec means with its
// defaults (Resolve), replica arithmetic (ScaleOutReplicas), one evaluation
// cycle (Decide), the changes a scale-out or scale-in makes
// (ScaleOutChanges, ScaleInChanges), cron schedules (ParseSchedule),
// conflicts between policies (Conflicts) and the PromQL that reads the
// utilisation (WorkloadQuery, ClusterQuery).
//
// Nothing here reads a clock, a client or a random source: the controller
// observes, passes now, and applies what the functions return, so every
// decision can be replayed from the policy, its status and the samples.
package autoscale

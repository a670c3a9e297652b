package rollout

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
)

// Observed is what the controller sees of one cluster holding the workload.
type Observed struct {
	Name   string
	Labels map[string]string
	// Ready is the cluster's Ready condition.
	Ready bool
	// Primary is "<workload>-primary" in the member, Canary the workload
	// itself.
	Primary, Canary Workload
	// Split is what the member's routes carry, once applied.
	Split Split
}

// Split is the traffic split in effect in a member: what the last
// applied routes say (InEffect false while the latest ones are not
// applied yet).
type Split struct {
	InEffect bool
	// Weight is the canary's weight in the main route; Matched is true
	// when matched requests go to the canary.
	Weight  int
	Matched bool
}

// Workload is a member workload as its Work's status reports it.
type Workload struct {
	// Revision is the revision annotation of the object the status was
	// collected from ("" when there is no current status).
	Revision string
	// Ready: that object's controller observed its spec and every wanted
	// replica is updated and available.
	Ready bool
	// Replicas the Work asks for: a canary still at 0 is trivially
	// "ready", and must not get traffic.
	Replicas int32
}

// Input is the world at one reconcile.
type Input struct {
	// Revision of the workload's template on the hub now.
	Revision string
	// Clusters holding the workload (the binding's targets).
	Clusters []Observed
	// Action is the apps.kurator.dev/action annotation ("" when absent).
	Action string
	Now    time.Time
}

// GateKind is a gate the controller runs on the state machine's request.
type GateKind string

// Gates. Analysis is a cluster's check: pre-rollout hooks on its first
// check, then rollout hooks and the metrics; rollback hooks every time.
const (
	GateConfirmRollout  GateKind = "confirm-rollout"
	GateAnalysis        GateKind = "analysis"
	GateTrafficIncrease GateKind = "confirm-traffic-increase"
	GatePromotion       GateKind = "confirm-promotion"
)

// Request asks the controller to run a gate.
type Request struct {
	Kind    GateKind
	Cluster string
	// First: the cluster's first check (pre-rollout hooks, no metrics).
	First bool
	// WarmupDone: a metric without data is a failure, not warm-up.
	WarmupDone bool
}

// Outcome is a gate's verdict.
type Outcome struct {
	Passed bool
	// Rollback: a rollback hook answered 2xx.
	Rollback bool
	// WarmingUp: nothing failed but a metric had no data yet.
	WarmingUp bool
	// Results are recorded in status.gates.
	Results []appsv1alpha1.GateResult
}

// Output is what Step decided.
type Output struct {
	Status appsv1alpha1.RolloutStatus
	// Requests are gates to run before Step can decide; call Step again
	// with their outcomes.
	Requests []Request
	// Finished is set when the run ended (Succeeded or Failed): the
	// post-rollout hooks are due.
	Finished appsv1alpha1.RolloutPhase
	// RequeueAfter is when the next step is due (0: only on change).
	RequeueAfter time.Duration
	// Events are decisions worth an Event.
	Events []string
}

// Step advances a rollout. outcomes holds the verdicts of gates already
// run for this reconcile; a gate it needs and does not find is returned
// in Output.Requests, and its cluster holds. The controller calls Step
// until no new gate is requested (every gate runs at most once per
// reconcile), then writes Output.Status.
func Step(cfg Config, status *appsv1alpha1.RolloutStatus, in Input, outcomes map[Request]Outcome) Output {
	s := &stepper{cfg: cfg, st: status.DeepCopy(), in: in, outcomes: outcomes, now: metav1.NewTime(in.Now)}
	s.run()
	s.out.Status = *s.st
	return s.out
}

type stepper struct {
	cfg      Config
	st       *appsv1alpha1.RolloutStatus
	in       Input
	outcomes map[Request]Outcome
	now      metav1.Time
	out      Output
	obs      map[string]Observed
}

func (s *stepper) run() {
	s.syncClusters()
	if s.st.StableRevision == "" && s.cfg.Strategy != Update {
		s.st.StableRevision = s.in.Revision
	}
	s.initialize()
	if s.cfg.Suspend {
		return
	}
	if s.st.Phase == appsv1alpha1.PhaseProgressing || s.st.Phase == appsv1alpha1.PhaseWaiting {
		s.takeAction()
	}
	switch s.st.Phase {
	case "", appsv1alpha1.PhaseInitializing:
		s.st.Phase = appsv1alpha1.PhaseInitializing
		if s.allInitialized() {
			s.st.Phase = appsv1alpha1.PhaseInitialized
			s.event("Initialized: every cluster serves revision %s from its primary", s.st.StableRevision)
			s.maybeStart()
		}
	case appsv1alpha1.PhaseInitialized, appsv1alpha1.PhaseSucceeded, appsv1alpha1.PhaseFailed, appsv1alpha1.PhaseWaiting:
		s.maybeStart()
	case appsv1alpha1.PhaseProgressing:
		s.progress()
	case appsv1alpha1.PhaseRollingBack:
		s.rollBack()
	}
}

// syncClusters keeps one status entry per cluster holding the workload,
// sorted by name; a new cluster starts Pending in the stage selecting it.
func (s *stepper) syncClusters() {
	s.obs = map[string]Observed{}
	have := map[string]appsv1alpha1.ClusterRollout{}
	for _, c := range s.st.Clusters {
		have[c.Name] = c
	}
	var out []appsv1alpha1.ClusterRollout
	for _, o := range s.in.Clusters {
		s.obs[o.Name] = o
		c, ok := have[o.Name]
		if !ok {
			c = appsv1alpha1.ClusterRollout{Name: o.Name, Phase: appsv1alpha1.ClusterPending}
		}
		c.Stage = int32(s.cfg.StageOf(o.Name, o.Labels))
		if o.Split.InEffect {
			w := o.Split.Weight
			c.AppliedWeight, c.AppliedMatched = &w, o.Split.Matched
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	s.st.Clusters = out
}

// initialize gives every cluster's primary the stable revision once; the
// cluster counts as initialized when that primary is ready, and from then
// on the workload itself is only the canary.
func (s *stepper) initialize() {
	for i := range s.st.Clusters {
		c := &s.st.Clusters[i]
		if c.PrimaryRevision == "" {
			c.PrimaryRevision = s.st.StableRevision
		}
		if c.Initialized {
			continue
		}
		o := s.obs[c.Name]
		if o.Primary.Ready && o.Primary.Revision == c.PrimaryRevision {
			c.Initialized = true
			c.Message = ""
			continue
		}
		c.Message = "waiting for the primary to serve revision " + c.PrimaryRevision
	}
}

func (s *stepper) allInitialized() bool {
	n := 0
	for _, c := range s.st.Clusters {
		if !c.Initialized && s.obs[c.Name].Ready {
			return false
		}
		if c.Initialized {
			n++
		}
	}
	return n > 0
}

// takeAction consumes a promote or abort request once.
func (s *stepper) takeAction() {
	a := s.in.Action
	if a == "" || a == s.st.LastAction {
		return
	}
	s.st.LastAction = a
	verb, _, _ := strings.Cut(a, "/")
	switch verb {
	case "abort":
		s.gate("", "action", "action", false, "Aborted", "aborted by kurator rollout abort", "")
		s.startRollBack("aborted by kurator rollout abort")
	case "promote":
		if s.st.Phase != appsv1alpha1.PhaseProgressing {
			return
		}
		if st := s.currentStage(); st != nil && s.awaitsApproval(*st) {
			s.st.ApprovedStage = st.Name
			s.gate("", "approval", "approval", true, "Approved", "stage "+st.Name+" approved (promote)", "")
			return
		}
		s.gate("", "action", "action", true, "Promoted", "the current stage's clusters skip their remaining analysis (kurator rollout promote)", "")
		for i := range s.st.Clusters {
			c := &s.st.Clusters[i]
			if int(c.Stage) == int(s.st.StageIndex) && (c.Phase == appsv1alpha1.ClusterPending || c.Phase == appsv1alpha1.ClusterProgressing) {
				s.promote(c)
			}
		}
	}
}

// maybeStart starts a run when the template's revision is new.
func (s *stepper) maybeStart() {
	rev := s.in.Revision
	if rev == s.st.StableRevision {
		s.st.FailedRevision = ""
		if s.st.Phase == appsv1alpha1.PhaseWaiting {
			s.st.Phase = appsv1alpha1.PhaseSucceeded
		}
		return
	}
	if rev == s.st.FailedRevision {
		return
	}
	for _, c := range s.st.Clusters {
		if !c.Initialized && s.obs[c.Name].Ready {
			return // a new cluster's primary is not ready yet
		}
	}
	if s.cfg.Hooks[string(GateConfirmRollout)] {
		if last := s.lastGate(""); s.st.Phase == appsv1alpha1.PhaseWaiting && last != nil && s.now.Sub(last.Time.Time) < s.cfg.Interval {
			s.requeue(s.cfg.Interval - s.now.Sub(last.Time.Time))
			return
		}
		o, ok := s.outcome(Request{Kind: GateConfirmRollout})
		if !ok {
			return
		}
		if !o.Passed {
			s.st.Phase = appsv1alpha1.PhaseWaiting
			s.requeue(s.cfg.Interval)
			return
		}
	}
	s.st.Phase = appsv1alpha1.PhaseProgressing
	s.st.CanaryRevision = rev
	s.st.StageIndex = 0
	s.st.ApprovedStage = ""
	s.st.StartTime = &s.now
	s.resetClusters()
	s.event("Progressing: rolling out revision %s (stable %s) over %d stages", rev, s.st.StableRevision, s.stageCount())
	s.progress()
}

func (s *stepper) resetClusters() {
	for i := range s.st.Clusters {
		c := &s.st.Clusters[i]
		*c = appsv1alpha1.ClusterRollout{Name: c.Name, Stage: c.Stage, Phase: appsv1alpha1.ClusterPending, Initialized: c.Initialized, PrimaryRevision: c.PrimaryRevision,
			AppliedWeight: c.AppliedWeight, AppliedMatched: c.AppliedMatched, LastTransitionTime: &s.now}
	}
}

// stageCount is the number of stages that hold clusters.
func (s *stepper) stageCount() int {
	n := 0
	for i := range s.cfg.Stages {
		if len(s.stageClusters(i)) > 0 {
			n++
		}
	}
	return n
}

func (s *stepper) stageClusters(i int) []*appsv1alpha1.ClusterRollout {
	var out []*appsv1alpha1.ClusterRollout
	for j := range s.st.Clusters {
		if int(s.st.Clusters[j].Stage) == i {
			out = append(out, &s.st.Clusters[j])
		}
	}
	return out
}

// progress runs the current stage and opens the next.
func (s *stepper) progress() {
	if s.in.Revision != s.st.CanaryRevision {
		// A newer revision mid-run starts over with it; the rollback
		// target stays the stable revision.
		s.event("Restarted: revision %s replaced %s during the rollout", s.in.Revision, s.st.CanaryRevision)
		s.st.CanaryRevision = s.in.Revision
		s.st.StageIndex = 0
		s.st.ApprovedStage = ""
		s.resetClusters()
	}
	for int(s.st.StageIndex) < len(s.cfg.Stages) {
		stage := s.cfg.Stages[s.st.StageIndex]
		s.st.CurrentStage = stage.Name
		clusters := s.stageClusters(int(s.st.StageIndex))
		if s.awaitsApproval(stage) {
			msg := "waiting for approval of stage " + stage.Name + " (promote)"
			if clusters[0].Message != msg {
				s.event("WaitingApproval: stage %s waits for approval", stage.Name)
			}
			for _, c := range clusters {
				c.Message = msg
			}
			return
		}
		s.startClusters(stage, clusters)
		failed := 0
		for _, c := range clusters {
			if c.Phase == appsv1alpha1.ClusterProgressing || c.Phase == appsv1alpha1.ClusterPromoting {
				s.advance(c)
			}
			if c.Phase == appsv1alpha1.ClusterFailed {
				failed++
				s.trafficToPrimary(c) // again, until its primary is ready
			}
		}
		if failed > stage.MaxFailures {
			s.startRollBack(fmt.Sprintf("stage %s: %d of %d clusters failed (maxFailures %d)", stage.Name, failed, len(clusters), stage.MaxFailures))
			return
		}
		done, lastSuccess := true, time.Time{}
		for _, c := range clusters {
			switch c.Phase {
			case appsv1alpha1.ClusterSucceeded:
				if c.LastTransitionTime != nil && c.LastTransitionTime.After(lastSuccess) {
					lastSuccess = c.LastTransitionTime.Time
				}
			case appsv1alpha1.ClusterFailed:
			default:
				done = false
			}
		}
		if !done {
			return
		}
		if bake := lastSuccess.Add(stage.Bake); len(clusters) > 0 && s.now.Time.Before(bake) {
			for _, c := range clusters {
				if c.Phase == appsv1alpha1.ClusterSucceeded {
					c.Message = fmt.Sprintf("baking until %s", bake.UTC().Format(time.TimeOnly))
				}
			}
			s.requeue(bake.Sub(s.now.Time))
			return
		}
		if len(clusters) > 0 {
			s.event("Stage %s succeeded", stage.Name)
			for _, c := range clusters {
				if c.Phase == appsv1alpha1.ClusterSucceeded && stage.Bake > 0 {
					c.Message = "baked; stage " + stage.Name + " succeeded" // not "baking until" any more
				}
			}
		}
		s.st.StageIndex++
	}
	if !s.trafficSettled() {
		return
	}
	s.finish(appsv1alpha1.PhaseSucceeded, fmt.Sprintf("revision %s is stable in every cluster", s.st.CanaryRevision))
	s.st.StableRevision = s.st.CanaryRevision
	s.st.CurrentStage = ""
}

// startClusters moves Pending clusters to Progressing within the stage's
// concurrency.
func (s *stepper) startClusters(stage Stage, clusters []*appsv1alpha1.ClusterRollout) {
	inFlight := 0
	for _, c := range clusters {
		if c.Phase == appsv1alpha1.ClusterProgressing || c.Phase == appsv1alpha1.ClusterPromoting {
			inFlight++
		}
	}
	for _, c := range clusters {
		if c.Phase != appsv1alpha1.ClusterPending {
			continue
		}
		if stage.MaxConcurrency > 0 && inFlight >= stage.MaxConcurrency {
			c.Message = fmt.Sprintf("waiting: %d of the stage's clusters progress at once", stage.MaxConcurrency)
			continue
		}
		if !s.obs[c.Name].Ready {
			if s.st.StartTime != nil && s.now.Sub(s.stageStart(c).Time) > s.cfg.Timeout {
				msg := fmt.Sprintf("the cluster was not Ready for %s", s.cfg.Timeout)
				s.gate(c.Name, "deadline", "deadline", false, "ProgressDeadlineExceeded", msg, "")
				s.fail(c, msg)
				continue
			}
			c.Message = "waiting for the cluster to be Ready"
			s.requeue(s.cfg.Interval)
			continue
		}
		inFlight++
		c.StartTime = &s.now
		if s.cfg.Strategy == Update {
			s.promote(c)
			continue
		}
		s.setPhase(c, appsv1alpha1.ClusterProgressing, "scaling the canary up")
		if s.cfg.SkipAnalysis {
			s.promote(c)
		}
	}
}

func (s *stepper) stageStart(c *appsv1alpha1.ClusterRollout) *metav1.Time {
	if c.LastTransitionTime != nil {
		return c.LastTransitionTime
	}
	return s.st.StartTime
}

// advance is one cluster's step.
func (s *stepper) advance(c *appsv1alpha1.ClusterRollout) {
	o := s.obs[c.Name]
	if c.Phase == appsv1alpha1.ClusterPromoting {
		s.advancePromotion(c, o)
		return
	}
	if s.cfg.Strategy == Update {
		s.verify(c, o)
		return
	}
	canaryReady := o.Canary.Ready && o.Canary.Revision == s.st.CanaryRevision && o.Canary.Replicas > 0
	if !canaryReady {
		if c.StartTime != nil && s.now.Sub(c.StartTime.Time) > s.cfg.Timeout {
			msg := fmt.Sprintf("the canary did not become ready with revision %s within %s", s.st.CanaryRevision, s.cfg.Timeout)
			s.gate(c.Name, "readiness", "readiness", false, "ProgressDeadlineExceeded", msg, "")
			s.fail(c, msg)
			return
		}
		c.Message = "waiting for the canary to be ready with revision " + s.st.CanaryRevision
		s.requeue(5 * time.Second)
		return
	}
	if !o.Ready {
		c.Message = "the cluster is not Ready; its checks wait"
		s.requeue(s.cfg.Interval)
		return
	}
	// A split is judged only once it is in effect in the member (on a
	// loaded hub the routes may take seconds to arrive), and the metric
	// warm-up counts from the moment the canary really got traffic.
	if r := o.Split; !r.InEffect || r.Weight != c.CanaryWeight || r.Matched != c.MatchedToCanary {
		c.Message = fmt.Sprintf("waiting for canary weight %d to reach the cluster", c.CanaryWeight)
		s.requeue(2 * time.Second)
		return
	}
	if c.TrafficStartTime == nil && (c.CanaryWeight > 0 || c.MatchedToCanary || s.cfg.Strategy == BlueGreen) {
		c.TrafficStartTime = &s.now
	}
	if wait := s.untilDue(c); wait > 0 {
		s.requeue(wait)
		return
	}
	first := c.LastCheckTime == nil
	if !s.check(c, Request{Kind: GateAnalysis, Cluster: c.Name, First: first, WarmupDone: c.TrafficStartTime != nil && s.now.Sub(c.TrafficStartTime.Time) >= s.cfg.Warmup}) {
		return
	}
	switch s.cfg.Strategy {
	case Canary:
		if c.CanaryWeight >= s.cfg.Steps[len(s.cfg.Steps)-1] {
			s.confirmPromotion(c)
			return
		}
		if s.cfg.Hooks[string(GateTrafficIncrease)] {
			o, ok := s.outcome(Request{Kind: GateTrafficIncrease, Cluster: c.Name})
			if !ok {
				return
			}
			if !o.Passed {
				c.Message = "a confirm-traffic-increase hook holds the weight at " + fmt.Sprint(c.CanaryWeight)
				return
			}
		}
		c.CanaryWeight = nextWeight(s.cfg.Steps, c.CanaryWeight)
		c.Message = fmt.Sprintf("canary weight %d", c.CanaryWeight)
	case ABTest, BlueGreen:
		if !first {
			c.Iterations++
		}
		if s.cfg.Strategy == ABTest {
			c.MatchedToCanary = true
		}
		c.Message = fmt.Sprintf("iteration %d of %d", c.Iterations, s.cfg.Iterations)
		if c.Iterations >= s.cfg.Iterations {
			s.confirmPromotion(c)
			return
		}
	}
}

func nextWeight(steps []int, w int) int {
	for _, x := range steps {
		if x > w {
			return x
		}
	}
	return steps[len(steps)-1]
}

func (s *stepper) untilDue(c *appsv1alpha1.ClusterRollout) time.Duration {
	if c.LastCheckTime == nil {
		return 0
	}
	return c.LastCheckTime.Add(s.cfg.Interval).Sub(s.now.Time)
}

func (s *stepper) confirmPromotion(c *appsv1alpha1.ClusterRollout) {
	if s.cfg.Hooks[string(GatePromotion)] {
		o, ok := s.outcome(Request{Kind: GatePromotion, Cluster: c.Name})
		if !ok {
			return
		}
		if !o.Passed {
			c.Message = "waiting for promotion: a confirm-promotion hook refused"
			return
		}
	}
	if s.cfg.Strategy == BlueGreen {
		// Switch: all traffic to the tested canary while the primary
		// takes its revision.
		c.CanaryWeight = 100
	}
	s.promote(c)
}

// promote gives the cluster's primary the canary revision; traffic moves
// back to the primary only once it is ready with it.
func (s *stepper) promote(c *appsv1alpha1.ClusterRollout) {
	c.PrimaryRevision = s.st.CanaryRevision
	s.setPhase(c, appsv1alpha1.ClusterPromoting, s.words("promoting: the primary takes revision ", "updating to revision ")+s.st.CanaryRevision)
	s.advancePromotion(c, s.obs[c.Name])
}

func (s *stepper) advancePromotion(c *appsv1alpha1.ClusterRollout, o Observed) {
	if !(o.Primary.Ready && o.Primary.Revision == c.PrimaryRevision) {
		if s.now.Sub(s.stageStart(c).Time) > s.cfg.Timeout {
			msg := fmt.Sprintf(s.words("the primary did not become ready", "its objects did not all turn healthy")+" with revision %s within %s", c.PrimaryRevision, s.cfg.Timeout)
			s.gate(c.Name, "readiness", "readiness", false, "ProgressDeadlineExceeded", msg, "")
			s.fail(c, msg)
			return
		}
		c.Message = s.words("promoting: waiting for the primary to be ready", "updating: waiting for every object to be healthy") + " with revision " + c.PrimaryRevision
		s.requeue(5 * time.Second)
		return
	}
	if s.cfg.Strategy == Update {
		if s.cfg.Iterations > 0 && !s.cfg.SkipAnalysis {
			s.setPhase(c, appsv1alpha1.ClusterProgressing, fmt.Sprintf("healthy with revision %s; verifying (%d checks)", c.PrimaryRevision, s.cfg.Iterations))
			s.verify(c, o)
			return
		}
		s.setPhase(c, appsv1alpha1.ClusterSucceeded, "healthy with revision "+c.PrimaryRevision)
		return
	}
	if step := s.cfg.StepWeightPromotion; step > 0 && c.CanaryWeight > step {
		if wait := s.untilDue(c); wait > 0 {
			s.requeue(wait)
			return
		}
		c.LastCheckTime = s.micro()
		c.CanaryWeight -= step
		c.Message = fmt.Sprintf("promoting: canary weight %d", c.CanaryWeight)
		s.requeue(s.cfg.Interval)
		return
	}
	c.CanaryWeight = 0
	c.MatchedToCanary = false
	s.setPhase(c, appsv1alpha1.ClusterSucceeded, "the primary serves revision "+c.PrimaryRevision)
}

// verify checks an updated cluster (Update strategy) until it passed
// Iterations checks; a cluster whose objects stop being healthy, or that
// fails Threshold checks, fails.
func (s *stepper) verify(c *appsv1alpha1.ClusterRollout, o Observed) {
	if !(o.Primary.Ready && o.Primary.Revision == c.PrimaryRevision) {
		if s.now.Sub(s.stageStart(c).Time) > s.cfg.Timeout {
			msg := fmt.Sprintf("revision %s stopped being healthy and did not recover within %s", c.PrimaryRevision, s.cfg.Timeout)
			s.gate(c.Name, "readiness", "readiness", false, "ProgressDeadlineExceeded", msg, "")
			s.fail(c, msg)
			return
		}
		c.Message = "verifying: waiting for every object to be healthy again with revision " + c.PrimaryRevision
		s.requeue(5 * time.Second)
		return
	}
	if !o.Ready {
		c.Message = "the cluster is not Ready; its checks wait"
		s.requeue(s.cfg.Interval)
		return
	}
	if c.TrafficStartTime == nil {
		c.TrafficStartTime = &s.now // the warm-up counts from healthy
	}
	// An analysis first judges the revision one interval after it turned
	// healthy, as Flagger's first tick does: judged at once, a metric's
	// window holds the previous revision's traffic and passes it.
	if c.LastCheckTime == nil && s.cfg.Iterations > 0 {
		if wait := c.TrafficStartTime.Add(s.cfg.Interval).Sub(s.now.Time); wait > 0 {
			c.Message = fmt.Sprintf("healthy with revision %s; the first check is due %s after that", c.PrimaryRevision, s.cfg.Interval)
			s.requeue(wait)
			return
		}
	}
	if wait := s.untilDue(c); wait > 0 {
		s.requeue(wait)
		return
	}
	if !s.check(c, Request{Kind: GateAnalysis, Cluster: c.Name, WarmupDone: s.now.Sub(c.TrafficStartTime.Time) >= s.cfg.Warmup}) {
		return
	}
	c.Iterations++
	c.Message = fmt.Sprintf("check %d of %d passed", c.Iterations, s.cfg.Iterations)
	if c.Iterations >= s.cfg.Iterations {
		s.setPhase(c, appsv1alpha1.ClusterSucceeded, fmt.Sprintf("healthy with revision %s; %d checks passed", c.PrimaryRevision, c.Iterations))
	}
}

// check runs one analysis of a cluster and says whether it passed: a
// rollback hook's 2xx rolls everything back, a metric without data yet
// holds, and the Threshold-th failed check fails the cluster.
func (s *stepper) check(c *appsv1alpha1.ClusterRollout, req Request) bool {
	out, ok := s.outcome(req)
	if !ok {
		return false
	}
	c.LastCheckTime = s.micro()
	s.requeue(s.cfg.Interval)
	switch {
	case out.Rollback:
		s.fail(c, "a rollback hook asked to roll back")
		s.startRollBack(fmt.Sprintf("a rollback hook asked to roll back (cluster %s)", c.Name))
	case out.WarmingUp:
		c.Message = "warming up: metrics have no data yet"
	case !out.Passed:
		c.FailedChecks++
		c.Message = fmt.Sprintf("check failed (%d of %d allowed)", c.FailedChecks, s.cfg.Threshold)
		if c.FailedChecks >= s.cfg.Threshold {
			s.fail(c, fmt.Sprintf("failed after %d failed checks", c.FailedChecks))
		}
	default:
		return true
	}
	return false
}

// words picks a message's wording: a canary's primary, or (Update) the
// cluster's objects.
func (s *stepper) words(canary, update string) string {
	if s.cfg.Strategy == Update {
		return update
	}
	return canary
}

// currentStage is the stage in progress (nil past the last).
func (s *stepper) currentStage() *Stage {
	if i := int(s.st.StageIndex); i < len(s.cfg.Stages) {
		return &s.cfg.Stages[i]
	}
	return nil
}

// awaitsApproval: the stage needs approval, has clusters not yet started
// and nobody approved it in this run.
func (s *stepper) awaitsApproval(stage Stage) bool {
	if !stage.RequireApproval || s.st.ApprovedStage == stage.Name {
		return false
	}
	for _, c := range s.stageClusters(int(s.st.StageIndex)) {
		if c.Phase == appsv1alpha1.ClusterPending {
			return true
		}
	}
	return false
}

// fail ends a cluster's part of the run, saying why.
func (s *stepper) fail(c *appsv1alpha1.ClusterRollout, why string) {
	s.trafficToPrimary(c)
	s.setPhase(c, appsv1alpha1.ClusterFailed, why)
}

// startRollBack sends all traffic to the primaries and queues the clusters
// whose primary took the canary revision to go back, newest first.
func (s *stepper) startRollBack(why string) {
	s.st.Phase = appsv1alpha1.PhaseRollingBack
	s.event("RollingBack: %s", why)
	s.appendHistory(appsv1alpha1.PhaseFailed, why)
	s.rollBack()
}

// rollBack puts primaries back to the stable revision one cluster at a
// time, the most recently promoted first, each waiting for the previous to
// be ready; then the rollout is Failed.
func (s *stepper) rollBack() {
	stable := s.st.StableRevision
	s.trafficToPrimaries()
	var pending []*appsv1alpha1.ClusterRollout
	for i := range s.st.Clusters {
		c := &s.st.Clusters[i]
		switch {
		case c.Phase == appsv1alpha1.ClusterRollingBack:
			o := s.obs[c.Name]
			if o.Primary.Ready && o.Primary.Revision == stable || !o.Ready {
				s.setPhase(c, appsv1alpha1.ClusterRolledBack, "back on revision "+stable)
				continue
			}
			c.Message = "rolling back: waiting for the primary to be ready with revision " + stable
			s.requeue(5 * time.Second)
			return // one at a time
		case c.PrimaryRevision != stable:
			pending = append(pending, c)
		case c.Phase == appsv1alpha1.ClusterPending && s.cfg.Strategy == Update:
			s.setPhase(c, appsv1alpha1.ClusterRolledBack, "not updated; stays on revision "+stable)
		case c.Phase == appsv1alpha1.ClusterProgressing || c.Phase == appsv1alpha1.ClusterPending:
			s.setPhase(c, appsv1alpha1.ClusterRolledBack, "traffic back on the primary; canary scaled down")
		}
	}
	if len(pending) > 0 {
		// Newest first; a later stage first on a tie (a stage and the
		// next one may move in the same reconcile).
		slices.SortStableFunc(pending, func(a, b *appsv1alpha1.ClusterRollout) int {
			if c := timeOf(b.LastTransitionTime).Compare(timeOf(a.LastTransitionTime)); c != 0 {
				return c
			}
			return int(b.Stage) - int(a.Stage)
		})
		c := pending[0]
		c.PrimaryRevision = stable
		s.setPhase(c, appsv1alpha1.ClusterRollingBack, "rolling back: the primary goes back to revision "+stable)
		s.requeue(5 * time.Second)
		return
	}
	if !s.trafficSettled() {
		return
	}
	s.st.Phase = appsv1alpha1.PhaseFailed
	s.st.FailedRevision = s.st.CanaryRevision
	s.st.CurrentStage = ""
	s.out.Finished = appsv1alpha1.PhaseFailed
	s.event("Failed: every cluster is back on revision %s", stable)
}

// trafficToPrimaries sends every cluster's traffic back to its primary
// (see trafficToPrimary).
func (s *stepper) trafficToPrimaries() {
	for i := range s.st.Clusters {
		s.trafficToPrimary(&s.st.Clusters[i])
	}
}

// trafficToPrimary sends a cluster's traffic back to its primary, unless
// the primary is not ready (a promotion that failed half way): then the
// ready canary keeps all of it until the primary, back on the stable
// revision, is ready. Traffic never goes to an unready primary.
func (s *stepper) trafficToPrimary(c *appsv1alpha1.ClusterRollout) {
	o := s.obs[c.Name]
	primaryReady := o.Primary.Ready && o.Primary.Revision == c.PrimaryRevision
	canaryReady := o.Canary.Ready && o.Canary.Revision == s.st.CanaryRevision && o.Canary.Replicas > 0
	c.MatchedToCanary = false
	if !primaryReady && canaryReady && c.CanaryWeight > 0 {
		c.CanaryWeight = 100
		s.requeue(5 * time.Second)
		return
	}
	c.CanaryWeight = 0
}

// trafficSettled is true when no canary has traffic any more: a run ends
// only then, since nothing steps a finished run's weights.
func (s *stepper) trafficSettled() bool {
	for _, c := range s.st.Clusters {
		if c.CanaryWeight > 0 || c.MatchedToCanary {
			s.requeue(5 * time.Second)
			return false
		}
	}
	return true
}

func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func (s *stepper) finish(phase appsv1alpha1.RolloutPhase, msg string) {
	s.st.Phase = phase
	s.out.Finished = phase
	s.appendHistory(phase, msg)
	s.event("%s: %s", phase, msg)
}

func (s *stepper) appendHistory(phase appsv1alpha1.RolloutPhase, msg string) {
	s.st.History = append(s.st.History, appsv1alpha1.RolloutRun{
		Revision: s.st.CanaryRevision, From: s.st.StableRevision, Phase: phase,
		StartTime: s.st.StartTime, EndTime: &s.now, Message: msg,
	})
	if n := len(s.st.History); n > maxHistory {
		s.st.History = s.st.History[n-maxHistory:]
	}
}

func (s *stepper) setPhase(c *appsv1alpha1.ClusterRollout, p appsv1alpha1.ClusterPhase, msg string) {
	if c.Phase != p {
		c.Phase = p
		c.LastTransitionTime = &s.now
		s.event("%s: cluster %s %s", p, c.Name, msg)
	}
	c.Message = msg
}

// outcome finds a gate's verdict, recording it, or asks for the gate.
func (s *stepper) outcome(r Request) (Outcome, bool) {
	o, ok := s.outcomes[r]
	if !ok {
		s.out.Requests = append(s.out.Requests, r)
		return Outcome{}, false
	}
	for _, g := range o.Results {
		s.st.Gates = append(s.st.Gates, g)
	}
	if n := len(s.st.Gates); n > maxGates {
		s.st.Gates = s.st.Gates[n-maxGates:]
	}
	return o, true
}

func (s *stepper) gate(cluster, gate, kind string, passed bool, reason, msg, value string) {
	s.st.Gates = append(s.st.Gates, appsv1alpha1.GateResult{Time: s.now, Cluster: cluster, Gate: gate, Kind: kind, Passed: passed, Reason: reason, Message: msg, Value: value})
	if n := len(s.st.Gates); n > maxGates {
		s.st.Gates = s.st.Gates[n-maxGates:]
	}
}

// lastGate is the newest verdict about a cluster ("" the whole rollout).
func (s *stepper) lastGate(cluster string) *appsv1alpha1.GateResult {
	for i := len(s.st.Gates) - 1; i >= 0; i-- {
		if g := &s.st.Gates[i]; g.Cluster == cluster {
			return g
		}
	}
	return nil
}

func (s *stepper) micro() *metav1.MicroTime {
	t := metav1.NewMicroTime(s.now.Time)
	return &t
}

func (s *stepper) requeue(d time.Duration) {
	if d <= 0 {
		d = time.Second
	}
	if s.out.RequeueAfter == 0 || d < s.out.RequeueAfter {
		s.out.RequeueAfter = d
	}
}

func (s *stepper) event(format string, args ...any) {
	s.out.Events = append(s.out.Events, fmt.Sprintf(format, args...))
}

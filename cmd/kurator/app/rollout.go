package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/dashboard"
)

// rolloutFlags are the flags every rollout verb shares.
type rolloutFlags struct{ objectFlags }

func (f *rolloutFlags) add(cmd *cobra.Command) { f.objectFlags.add(cmd, "namespace of the Rollout") }

// get reads the Rollout, with an error that says how to find the right one.
func (f *rolloutFlags) get(ctx context.Context, c client.Client, name string) (*appsv1alpha1.Rollout, error) {
	var ro appsv1alpha1.Rollout
	if err := c.Get(ctx, client.ObjectKey{Namespace: f.namespace, Name: name}, &ro); err != nil {
		return nil, rolloutReadError(f.namespace, name, err)
	}
	return &ro, nil
}

func rolloutReadError(ns, name string, err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("Rollout %s/%s not found: list the Rollouts with `kurator get rollouts -n %s` (or `kubectl get rollouts -n %s`), or pass -n NAMESPACE", ns, name, ns, ns)
	case meta.IsNoMatchError(err):
		return fmt.Errorf("the hub does not serve Rollouts (apps.kurator.dev/v1alpha1): install Kurator's CRDs on it (`kurator up` does for a local fleet): %w", err)
	}
	return fmt.Errorf("read Rollout %s/%s: %w", ns, name, err)
}

func newRolloutCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rollout",
		Aliases: []string{"ro"},
		Short:   "Follow and steer progressive rollouts: status, promote, abort, pause, resume, history",
		Long: `A Rollout delivers every new revision of a propagated workload to the fleet
stage by stage, as a canary (or A/B test, or blue/green switch) whose traffic grows
while its metric and webhook gates pass, and rolls every cluster back when they
fail. These verbs read a Rollout's status and ask its controller for actions.`,
		Example: `  # where the rollout is, per cluster, with the last gate verdicts
  kurator rollout status reviews -n bookinfo

  # follow it live until it succeeds or fails
  kurator rollout status reviews -n bookinfo --watch

  # skip the current stage's remaining analysis, or roll everything back
  kurator rollout promote reviews -n bookinfo
  kurator rollout abort reviews -n bookinfo

  # hold it where it is, and let it go on
  kurator rollout pause reviews -n bookinfo
  kurator rollout resume reviews -n bookinfo

  # past runs
  kurator rollout history reviews -n bookinfo`,
	}
	cmd.AddCommand(newRolloutStatusCommand(), newRolloutActionCommand("promote"), newRolloutActionCommand("abort"),
		newRolloutSuspendCommand(true), newRolloutSuspendCommand(false), newRolloutHistoryCommand())
	return cmd
}

func newRolloutStatusCommand() *cobra.Command {
	var (
		f      rolloutFlags
		follow bool
		output string
	)
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Show a rollout's phase, stage, per-cluster progress and last gate verdicts",
		Long: `Show where a rollout is: its phase, the stable and canary revisions, the stage
in progress, one row per cluster (stage, phase, canary weight, passing iterations,
failed checks, what it waits for) and the last five gate verdicts.

With --watch it prints the status again on every change of the Rollout (it
watches the hub, it does not poll) until the phase is Succeeded, Failed or
Initialized, or Ctrl-C. On a terminal the screen is redrawn; otherwise each
change is a new block headed by the time.`,
		Example: `  kurator rollout status reviews -n bookinfo
  kurator rollout status reviews -n bookinfo -w
  kurator rollout status reviews -n bookinfo -o yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkStatusOutput(output, follow); err != nil {
				return err
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if follow {
				return untilInterrupted(cmd.Context(), func(ctx context.Context) error {
					return watchRollout(ctx, hubRolloutSource{c: c, namespace: f.namespace, name: args[0]}, out, isTerminal(out), time.Now)
				})
			}
			ro, err := f.get(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if output != "table" {
				return printStatusDoc(out, ro.Status, output)
			}
			printRolloutStatus(out, ro, time.Now())
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVarP(&follow, "watch", "w", false, "print again on every change until the rollout ends (or Ctrl-C)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, yaml or json (yaml and json print the status)")
	return cmd
}

// printRolloutStatus prints a rollout's status in tables; now dates the
// run's start.
func printRolloutStatus(w io.Writer, ro *appsv1alpha1.Rollout, now time.Time) {
	d := dashboard.BuildRollout(ro, "", nil)
	s := d.Summary
	fmt.Fprintf(w, "Rollout:   %s/%s (%s of %s %s)\n", ro.Namespace, ro.Name, strategyName(s.Strategy), s.Workload.Kind, s.Workload.Name)
	phase := s.Phase
	if s.Paused {
		phase += " (paused: resume with `kurator rollout resume " + ro.Name + " -n " + ro.Namespace + "`)"
	}
	fmt.Fprintf(w, "Phase:     %s\n", phase)
	fmt.Fprintf(w, "Stable:    %s\nCanary:    %s\n", orDash(s.Stable), orDash(s.Canary))
	if s.Failed != "" {
		fmt.Fprintf(w, "Failed:    %s (not tried again until the workload changes)\n", s.Failed)
	}
	fmt.Fprintf(w, "Stage:     %s\n", stageText(s.Stage))
	if !s.Started.IsZero() {
		fmt.Fprintf(w, "Started:   %s (%s ago)\n", s.Started.Local().Format(time.DateTime), shortDuration(now.Sub(s.Started)))
	}
	if s.Message != "" {
		fmt.Fprintf(w, "Message:   %s\n", s.Message)
	}
	fmt.Fprintln(w)
	printRolloutClusters(w, "", d.Clusters)
	fmt.Fprintln(w)
	printGates(w, "", d.Gates, 5, now)
}

func strategyName(s string) string {
	switch s {
	case dashboard.StrategyABTest:
		return "A/B test"
	case dashboard.StrategyBlueGreen:
		return "blue/green"
	}
	return "canary"
}

// stageText is "1/2 shanghai".
func stageText(s dashboard.StageRef) string {
	if s.Index >= s.Total {
		return fmt.Sprintf("%d/%d done", s.Total, s.Total) // every stage passed
	}
	t := fmt.Sprintf("%d/%d", s.Index+1, s.Total)
	if s.Name != "" {
		t += " " + s.Name
	}
	return t
}

func printRolloutClusters(w io.Writer, indent string, clusters []dashboard.RolloutCluster) {
	if len(clusters) == 0 {
		fmt.Fprintf(w, "%sClusters: <none yet: the controller has not placed any cluster in a stage>\n", indent)
		return
	}
	tw := table(w)
	fmt.Fprintf(tw, "%sCLUSTER\tSTAGE\tPHASE\tCANARY-WEIGHT\tITERATIONS\tFAILED-CHECKS\tMESSAGE\n", indent)
	for _, c := range clusters {
		weight := fmt.Sprint(c.CanaryWeight)
		if c.MatchedToCanary {
			weight += " +matched"
		}
		fmt.Fprintf(tw, "%s%s\t%d %s\t%s\t%s\t%d\t%d\t%s\n", indent, c.Name, c.Stage+1, c.StageName, c.Phase, weight,
			c.Iterations, c.FailedChecks, orDash(truncate(c.Message, 80)))
	}
	_ = tw.Flush()
}

// printGates prints the last n verdicts (gates come newest first), oldest
// of them first, as a log reads.
func printGates(w io.Writer, indent string, gates []dashboard.GateVerdict, n int, now time.Time) {
	if len(gates) == 0 {
		fmt.Fprintf(w, "%sGates: <no verdict yet>\n", indent)
		return
	}
	shown := gates[:min(n, len(gates))]
	fmt.Fprintf(w, "%sLast gates (%d of %d, newest last):\n", indent, len(shown), len(gates))
	tw := table(w)
	fmt.Fprintf(tw, "%s  TIME\tCLUSTER\tGATE\tVERDICT\tVALUE\tMESSAGE\n", indent)
	for i := len(shown) - 1; i >= 0; i-- {
		g := shown[i]
		verdict := "passed"
		if !g.Passed {
			verdict = "FAILED"
			if g.Reason != "" {
				verdict += " " + g.Reason
			}
		}
		cluster := g.Cluster
		if cluster == "" {
			cluster = "(all)"
		}
		fmt.Fprintf(tw, "%s  %s\t%s\t%s\t%s\t%s\t%s\n", indent, clockTime(g.Time, now), cluster, g.Gate, verdict, orDash(g.Value), orDash(truncate(g.Message, 80)))
	}
	_ = tw.Flush()
}

// clockTime is the time of day for today's times, the date and time
// otherwise (in the local zone).
func clockTime(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format(time.TimeOnly)
	}
	return t.Format(time.DateTime)
}

func shortDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return d.Round(time.Second).String()
}

// rolloutSource reads one Rollout and watches it from a resource version.
type rolloutSource = objectSource[*appsv1alpha1.Rollout]

type hubRolloutSource struct {
	c         client.WithWatch
	namespace string
	name      string
}

func (s hubRolloutSource) get(ctx context.Context) (*appsv1alpha1.Rollout, error) {
	var ro appsv1alpha1.Rollout
	if err := s.c.Get(ctx, types.NamespacedName{Namespace: s.namespace, Name: s.name}, &ro); err != nil {
		return nil, rolloutReadError(s.namespace, s.name, err)
	}
	return &ro, nil
}

func (s hubRolloutSource) watch(ctx context.Context, rv string) (watch.Interface, error) {
	return s.c.Watch(ctx, &appsv1alpha1.RolloutList{}, &client.ListOptions{
		Namespace:     s.namespace,
		FieldSelector: fields.OneTermEqualSelector("metadata.name", s.name),
		Raw:           &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true},
	})
}

// watchRollout prints the rollout's status, then again on every change of
// its status (or of its pause), until the phase is terminal or ctx ends.
func watchRollout(ctx context.Context, src rolloutSource, out io.Writer, tty bool, now func() time.Time) error {
	return watcher[*appsv1alpha1.Rollout]{kind: "Rollout", src: src, print: printRolloutStatus, same: sameProgress, done: rolloutDone,
		copyOf: (*appsv1alpha1.Rollout).DeepCopy}.run(ctx, out, tty, now)
}

// sameProgress: nothing a status print shows changed.
func sameProgress(a, b *appsv1alpha1.Rollout) bool {
	return a.Spec.RolloutPolicy.Suspend == b.Spec.RolloutPolicy.Suspend && equality.Semantic.DeepEqual(a.Status, b.Status)
}

// rolloutDone says (and prints) whether a watched rollout reached a phase
// where nothing moves until the workload changes.
func rolloutDone(ro *appsv1alpha1.Rollout, out io.Writer) bool {
	if !dashboard.RolloutTerminal(ro.Status.Phase) {
		return false
	}
	switch ro.Status.Phase {
	case appsv1alpha1.PhaseInitialized:
		fmt.Fprintf(out, "\nRollout %s/%s is Initialized: no run in progress; a new revision of %s starts one.\n", ro.Namespace, ro.Name, ro.Spec.Workload.Name)
	default:
		fmt.Fprintf(out, "\nRollout %s/%s %s.\n", ro.Namespace, ro.Name, strings.ToLower(string(ro.Status.Phase)))
	}
	return true
}

// isTerminal: w is a character device (a terminal), so redrawing works.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Actions a user asks the controller for through the action annotation.
const (
	actionPromote = "promote"
	actionAbort   = "abort"
)

func newRolloutActionCommand(action string) *cobra.Command {
	var f rolloutFlags
	short, long := "Skip the current stage's remaining analysis and promote its clusters",
		`Ask the controller to promote the current stage's clusters now: they skip their
remaining analysis and are promoted; later stages still run their analysis. The
request is the annotation apps.kurator.dev/action=promote/<nonce>, acted on once.
Only a Progressing or Waiting rollout can be promoted.`
	if action == actionAbort {
		short, long = "Roll every cluster back to the stable revision",
			`Ask the controller to abort the run: every cluster is rolled back to the stable
revision (traffic 100% to the primary, canaries scaled to 0, clusters of earlier
stages put back). The revision is marked failed and not tried again until the
workload changes. The request is the annotation apps.kurator.dev/action=abort/<nonce>,
acted on once. Only a Progressing or Waiting rollout can be aborted.`
	}
	cmd := &cobra.Command{
		Use:     action + " NAME",
		Short:   short,
		Long:    long,
		Example: fmt.Sprintf("  kurator rollout %s reviews -n bookinfo", action),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			ro, err := f.get(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if err := checkAction(ro, action); err != nil {
				return err
			}
			value := fmt.Sprintf("%s/%d", action, time.Now().UnixNano())
			if err := c.Patch(cmd.Context(), ro, client.RawPatch(types.MergePatchType, actionPatch(value))); err != nil {
				return fmt.Errorf("annotate Rollout %s/%s with %s=%s: %w", ro.Namespace, ro.Name, appsv1alpha1.ActionAnnotation, value, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\nasked: %s=%s; follow it with `kurator rollout status %s -n %s -w`\n",
				actionPlan(ro, action), appsv1alpha1.ActionAnnotation, value, ro.Name, ro.Namespace)
			return nil
		},
	}
	f.add(cmd)
	return cmd
}

// actionPatch is the merge patch that asks for an action.
func actionPatch(value string) []byte {
	data, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{appsv1alpha1.ActionAnnotation: value}}})
	return data
}

// checkAction refuses an action the rollout's phase makes meaningless.
func checkAction(ro *appsv1alpha1.Rollout, action string) error {
	switch ro.Status.Phase {
	case appsv1alpha1.PhaseProgressing, appsv1alpha1.PhaseWaiting:
		return nil
	}
	phase := dashboard.RolloutPhase(ro)
	var why string
	switch ro.Status.Phase {
	case appsv1alpha1.PhaseRollingBack:
		why = "it is already rolling back"
	case appsv1alpha1.PhaseSucceeded:
		why = "its last run succeeded and no new one runs"
	case appsv1alpha1.PhaseFailed:
		why = "its last run failed and was rolled back"
	case appsv1alpha1.PhaseInitialized:
		why = "no run is in progress (a new revision of the workload starts one)"
	default:
		why = "its primaries and routes are not set up yet"
	}
	return fmt.Errorf("cannot %s Rollout %s/%s: it is %s and %s; %s acts on a Progressing or Waiting rollout (see `kurator rollout status %s -n %s`)",
		action, ro.Namespace, ro.Name, phase, why, action, ro.Name, ro.Namespace)
}

// actionPlan says what an action will do to this rollout.
func actionPlan(ro *appsv1alpha1.Rollout, action string) string {
	if action == actionAbort {
		stable := ro.Status.StableRevision
		if stable == "" {
			stable = "the stable revision"
		}
		return fmt.Sprintf("Rollout %s/%s: every cluster is rolled back to %s (traffic 100%% to the primary, canaries scaled to 0); %s is marked failed",
			ro.Namespace, ro.Name, stable, orDash(ro.Status.CanaryRevision))
	}
	var clusters []string
	for _, c := range ro.Status.Clusters {
		if c.Stage == ro.Status.StageIndex {
			clusters = append(clusters, c.Name)
		}
	}
	which := ""
	if len(clusters) > 0 {
		which = " (" + strings.Join(clusters, ", ") + ")"
	}
	return fmt.Sprintf("Rollout %s/%s: the current stage %s's clusters%s skip their remaining analysis and are promoted; later stages still run theirs",
		ro.Namespace, ro.Name, stageText(dashboard.RolloutStageRef(ro)), which)
}

func newRolloutSuspendCommand(suspend bool) *cobra.Command {
	var f rolloutFlags
	verb, short := "pause", "Hold a rollout where it is: no step and no check until resumed"
	if !suspend {
		verb, short = "resume", "Let a paused rollout go on from where it was held"
	}
	cmd := &cobra.Command{
		Use:     verb + " NAME",
		Short:   short,
		Long:    short + ". It sets spec.rolloutPolicy.suspend to " + fmt.Sprint(suspend) + ".",
		Example: fmt.Sprintf("  kurator rollout %s reviews -n bookinfo", verb),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			ro, err := f.get(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if ro.Spec.RolloutPolicy.Suspend == suspend {
				fmt.Fprintf(out, "Rollout %s/%s is already %s\n", ro.Namespace, ro.Name, pausedWord(suspend))
				return nil
			}
			if err := c.Patch(cmd.Context(), ro, client.RawPatch(types.MergePatchType, suspendPatch(suspend))); err != nil {
				return fmt.Errorf("set spec.rolloutPolicy.suspend=%t on Rollout %s/%s: %w", suspend, ro.Namespace, ro.Name, err)
			}
			fmt.Fprintln(out, suspendMessage(ro, suspend))
			return nil
		},
	}
	f.add(cmd)
	return cmd
}

func pausedWord(suspend bool) string {
	if suspend {
		return "paused"
	}
	return "running (not paused)"
}

// suspendPatch is the merge patch that pauses or resumes.
func suspendPatch(suspend bool) []byte {
	data, _ := json.Marshal(map[string]any{"spec": map[string]any{"rolloutPolicy": map[string]any{"suspend": suspend}}})
	return data
}

func suspendMessage(ro *appsv1alpha1.Rollout, suspend bool) string {
	if suspend {
		return fmt.Sprintf("Rollout %s/%s paused at stage %s: no step and no check until `kurator rollout resume %s -n %s`",
			ro.Namespace, ro.Name, stageText(dashboard.RolloutStageRef(ro)), ro.Name, ro.Namespace)
	}
	return fmt.Sprintf("Rollout %s/%s resumed: it goes on from stage %s at the next check",
		ro.Namespace, ro.Name, stageText(dashboard.RolloutStageRef(ro)))
}

func newRolloutHistoryCommand() *cobra.Command {
	var f rolloutFlags
	cmd := &cobra.Command{
		Use:     "history NAME",
		Short:   "List a rollout's past runs: revision, what it replaced, outcome, start, duration",
		Example: "  kurator rollout history reviews -n bookinfo",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			ro, err := f.get(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			printRolloutHistory(cmd.OutOrStdout(), ro.Status.History)
			return nil
		},
	}
	f.add(cmd)
	return cmd
}

// printRolloutHistory prints runs as status holds them, newest last.
func printRolloutHistory(w io.Writer, runs []appsv1alpha1.RolloutRun) {
	if len(runs) == 0 {
		fmt.Fprintln(w, "No finished run yet.")
		return
	}
	tw := table(w)
	fmt.Fprintln(tw, "REVISION\tFROM\tPHASE\tSTART\tDURATION\tMESSAGE")
	for _, r := range runs {
		start, dur := "-", "-"
		if r.StartTime != nil {
			start = r.StartTime.Local().Format(time.DateTime)
			if r.EndTime != nil {
				dur = shortDuration(r.EndTime.Sub(r.StartTime.Time))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Revision, orDash(r.From), r.Phase, start, dur, orDash(r.Message))
	}
	_ = tw.Flush()
}

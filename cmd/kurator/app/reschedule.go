package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workv1alpha1 "github.com/kurator-go/kurator/api/work/v1alpha1"
)

func newRescheduleCommand() *cobra.Command {
	var (
		hub       hubFlags
		namespace string
		drop      bool
		timeout   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "reschedule WORKLOAD...",
		Short: "Place workloads afresh, e.g. to move replicas back after a failover",
		Long: `Ask the scheduler to place workloads from scratch, as if they were new,
instead of keeping their current clusters. After a failover nothing moves
back to a recovered cluster by itself; this is how you ask for it.

WORKLOAD is KIND/NAME (deployment/nginx, deploy/nginx) or a NAME that only
one workload of the namespace has. Clusters the workload is still leaving
(graceful eviction tasks, see kurator describe rb) stay excluded unless
--drop-evictions ends those tasks, which also removes the workload's old
objects there (the way to clean up after purgeMode: Never).`,
		Example: `  kurator reschedule deployment/nginx
  kurator reschedule nginx -n shop
  kurator reschedule deploy/nginx --drop-evictions`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := hub.client()
			if err != nil {
				return err
			}
			ns := orDefault(namespace, "default")
			for _, w := range args {
				b, err := findBinding(cmd.Context(), c, ns, w)
				if err != nil {
					return err
				}
				if err := reschedule(cmd.Context(), c, b, drop, timeout, cmd.OutOrStdout()); err != nil {
					return err
				}
			}
			return nil
		},
	}
	hub.add(cmd)
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the workloads (default \"default\")")
	cmd.Flags().BoolVar(&drop, "drop-evictions", false, "also end the workload's graceful eviction tasks: their clusters may be chosen again and the old objects there are removed")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for the new placement (0: do not wait)")
	return cmd
}

// kindAliases are the short names kubectl users type.
var kindAliases = map[string]string{
	"deploy": "deployment", "deployments": "deployment", "sts": "statefulset", "statefulsets": "statefulset",
	"ds": "daemonset", "daemonsets": "daemonset", "rs": "replicaset", "replicasets": "replicaset",
	"svc": "service", "services": "service", "cm": "configmap", "configmaps": "configmap", "jobs": "job",
}

// findBinding finds the ResourceBinding of a workload named KIND/NAME or NAME.
func findBinding(ctx context.Context, c client.Client, ns, workload string) (*workv1alpha1.ResourceBinding, error) {
	if kind, name, ok := strings.Cut(workload, "/"); ok {
		kind = strings.ToLower(kind)
		if k, ok := kindAliases[kind]; ok {
			kind = k
		}
		var b workv1alpha1.ResourceBinding
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: workv1alpha1.BindingName(name, kind)}, &b); err != nil {
			return nil, fmt.Errorf("workload %s in namespace %s: %w (is it selected by a propagation policy? see `kurator get workloads -n %s`)", workload, ns, err, ns)
		}
		return &b, nil
	}
	var list workv1alpha1.ResourceBindingList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	var found []*workv1alpha1.ResourceBinding
	for i := range list.Items {
		if list.Items[i].Spec.Resource.Name == workload {
			found = append(found, &list.Items[i])
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no propagated workload named %s in namespace %s (see `kurator get workloads -n %s`)", workload, ns, ns)
	case 1:
		return found[0], nil
	}
	kinds := make([]string, len(found))
	for i, b := range found {
		kinds[i] = strings.ToLower(b.Spec.Resource.Kind) + "/" + workload
	}
	return nil, fmt.Errorf("several workloads are named %s in namespace %s: say which, e.g. %s", workload, ns, strings.Join(kinds, " or "))
}

// reschedule sets spec.rescheduleTriggeredAt (and drops eviction tasks if
// asked), then waits for the scheduler to act on it and prints the result.
func reschedule(ctx context.Context, c client.Client, b *workv1alpha1.ResourceBinding, drop bool, timeout time.Duration, out io.Writer) error {
	dropped := len(b.Spec.GracefulEvictionTasks)
	// The hub's controllers write bindings often; on a conflict read the
	// latest version and ask again.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(b), b); err != nil {
			return err
		}
		base := b.DeepCopy()
		now := metav1.Now()
		b.Spec.RescheduleTriggeredAt = &now
		dropped = len(b.Spec.GracefulEvictionTasks)
		if drop {
			b.Spec.GracefulEvictionTasks = nil
		}
		return c.Patch(ctx, b, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	})
	if err != nil {
		return fmt.Errorf("request a reschedule of ResourceBinding %s/%s: %w (retry the command)", b.Namespace, b.Name, err)
	}
	what := fmt.Sprintf("%s %s/%s", strings.ToLower(b.Spec.Resource.Kind), b.Namespace, b.Spec.Resource.Name)
	if drop && dropped > 0 {
		fmt.Fprintf(out, "%s: ended %d eviction task(s); the old objects there are removed\n", what, dropped)
	}
	if timeout <= 0 {
		fmt.Fprintf(out, "%s: reschedule requested (see `kurator describe rb %s -n %s`)\n", what, b.Name, b.Namespace)
		return nil
	}
	generation := b.Generation
	deadline := time.Now().Add(timeout)
	for {
		var got workv1alpha1.ResourceBinding
		if err := c.Get(ctx, client.ObjectKeyFromObject(b), &got); err != nil {
			return err
		}
		if cond := meta.FindStatusCondition(got.Status.Conditions, workv1alpha1.ConditionScheduled); cond != nil && got.Status.SchedulerObservedGeneration >= generation {
			if cond.Status != metav1.ConditionTrue {
				return fmt.Errorf("%s: rescheduling failed: %s", what, cond.Message)
			}
			fmt.Fprintf(out, "%s: rescheduled to %s\n", what, placementString(got.Spec.Clusters))
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: the scheduler has not acted on the request within %s; is kurator-manager running? (see `kurator status`)", what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func placementString(clusters []workv1alpha1.TargetCluster) string {
	if len(clusters) == 0 {
		return "no cluster"
	}
	parts := make([]string, len(clusters))
	for i, t := range clusters {
		parts[i] = fmt.Sprintf("%s:%d", t.Name, t.Replicas)
	}
	return strings.Join(parts, ", ")
}

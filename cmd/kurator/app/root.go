// Package app builds the kurator command tree. Each verb lives in its own file
// and registers itself in NewRootCommand.
package app

import (
	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// NewRootCommand returns the kurator command with every verb attached.
func NewRootCommand() *cobra.Command {
	// The CLI uses controller-runtime's client, which logs through its own
	// logger; the CLI reports errors itself.
	ctrllog.SetLogger(logr.Discard())
	root := &cobra.Command{
		Use:   "kurator",
		Short: "Kurator governs a fleet of Kubernetes clusters from one hub",
		Long: `Kurator governs a fleet of Kubernetes clusters from one hub: it places
workloads with Karmada-compatible policies, customises them per cluster, and
watches their health. Start a local playground with "kurator up".`,
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.AddCommand(newVersionCommand(), newUpCommand(), newDownCommand(), newStatusCommand(),
		newJoinCommand(), newUnjoinCommand(), newClusterCommand(), newTokenCommand(), newUnregisterCommand(), newGetCommand(), newDescribeCommand(), newPlanCommand(), newRescheduleCommand(), newDashboardCommand(), newRolloutCommand(), newAppCommand(), newScaleCommand(),
		newInstallCommand(), newUninstallCommand(), newServerCommand())
	return root
}

// Package app builds the kurator command tree. Each verb lives in its own file
// and registers itself in NewRootCommand.
package app

import (
	"github.com/spf13/cobra"
)

// NewRootCommand returns the kurator command with every verb attached.
func NewRootCommand() *cobra.Command {
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
		newJoinCommand(), newUnjoinCommand(), newClusterCommand(), newGetCommand(), newDescribeCommand(), newPlanCommand())
	return root
}

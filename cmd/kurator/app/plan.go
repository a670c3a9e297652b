package app

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kurator-go/kurator/pkg/plan"
)

// planFormats are the values -o accepts, the default first.
var planFormats = []string{"table", "yaml", "json"}

func newPlanCommand() *cobra.Command {
	var (
		files  []string
		output string
		render bool
	)
	cmd := &cobra.Command{
		Use:   "plan -f FILE [-f FILE ...]",
		Short: "Show, offline, where workloads would run and what each cluster would receive",
		Long: `Plan reads clusters, fleets, policies and resource templates from YAML and
prints, for every template, the decision the hub would make: the policy that
claims it, the clusters it goes to with their replicas, why the other clusters
are left out, and with --render the object each cluster would receive after
overrides. Nothing is contacted: plan runs the hub's own scheduling and
override code on the files.

Input, in any order and any number of files (multi-document YAML or JSON):
  AttachedCluster       member clusters; labels, provider, region, zones, taints,
                        price (spec.price or cost.kurator.dev/cpu-hour and
                        memory-gib-hour labels), and status (apiEnablements,
                        resourceSummary) if known.
                        Without a resourceSummary a cluster's capacity is unlimited.
  Fleet                 fleet membership, labels it adds, placement preferences.
                        A member without an AttachedCluster is a cluster known
                        by the Fleet's labels alone.
  PropagationPolicy, ClusterPropagationPolicy, OverridePolicy, ClusterOverridePolicy
  StorageAdaptation     storage classes for PersistentVolumeClaims and StatefulSet
                        claim templates per cluster storage label, after overrides.
  ResourceBinding       a previous result: the template is scaled from it
                        (steady mode) instead of placed afresh.
  anything else         a resource template to place (Deployment, Service, ...).

When some target cluster is priced, the hourly cost of each placement is shown
(replicas × (cpu × cpuHour + memory GiB × memoryGiBHour) per cluster, and the
total); a policy annotated scheduling.karmada.io/cost-weight: "true" (or 1-100)
also lets the scheduler prefer cheaper clusters where the placement leaves a
choice.

A template that cannot be placed is reported with its error and the exit
status stays 0; malformed input (unknown fields in Kurator or Karmada kinds,
bad YAML) exits with status 1 and names the file, document and field.
See docs/plan.md for the JSON shape.`,
		Example: `  # Seed 001: nginx at 60:40 over cluster-hangzhou and cluster-shanghai
  kurator plan -f examples/seed-001/seed-001.yaml

  # Every file of a directory, with the manifests each cluster would get
  kurator plan -f examples/seed-001 --render

  # The storage class each MES plant's claims would get
  kurator plan --render -f examples/apphub/storage-adaptation.yaml -f examples/apphub/storage-plan.yaml

  # Seed 001's cost-optimization policy over priced spot and on-demand clusters
  kurator plan -f examples/cost

  # Machine-readable output
  kurator plan -f examples/seed-001 -o json | jq '.workloads[] | {name: .resource.name, targets}'

  # What if the hub's current state met a new policy?
  kubectl get attachedclusters,fleets,deployments,rb -A -o yaml | kurator plan -f - -f new-policy.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(planFormats, output) {
				return fmt.Errorf("-o %s: unknown output format; use one of %s", output, strings.Join(planFormats, ", "))
			}
			in, err := loadPlanInput(cmd.InOrStdin(), files)
			if err != nil {
				return err
			}
			out, err := plan.Plan(in, plan.Options{Render: render})
			if err != nil {
				return fmt.Errorf("plan: %w", err)
			}
			return printPlan(cmd.OutOrStdout(), out, output)
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "file or directory to read (*.yaml, *.yml, *.json); - reads standard input; repeatable")
	cmd.Flags().StringVarP(&output, "output", "o", planFormats[0], "output format: "+strings.Join(planFormats, ", "))
	cmd.Flags().BoolVar(&render, "render", false, "also show the object each target cluster would receive, with replicas and overrides applied")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

// loadPlanInput reads every -f in order; "-" is standard input, read once.
func loadPlanInput(stdin io.Reader, files []string) (*plan.Input, error) {
	in := &plan.Input{}
	readStdin := false
	for _, f := range files {
		var part *plan.Input
		var err error
		if f == "-" {
			if readStdin {
				return nil, fmt.Errorf("-f - is given twice; standard input can be read once")
			}
			readStdin = true
			data, rerr := io.ReadAll(stdin)
			if rerr != nil {
				return nil, fmt.Errorf("read standard input: %w", rerr)
			}
			part, err = plan.Parse("<stdin>", data)
		} else {
			part, err = plan.Load(f)
		}
		if err != nil {
			return nil, err
		}
		if err := in.Merge(part); err != nil {
			return nil, err
		}
	}
	return in, nil
}

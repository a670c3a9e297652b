package app

import (
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kurator-go/kurator/pkg/plan"
)

const costExamples = "../../../examples/cost"

func TestPlanCommandCostTable(t *testing.T) {
	out, err := runKurator(t, "", "plan", "-f", costExamples)
	if err != nil {
		t.Fatalf("plan failed: %v", err)
	}
	rows := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^RESOURCE\s+POLICY\s+REPLICAS\s+TARGETS\s+COST/HOUR$`),
		regexp.MustCompile(`(?m)^Deployment default/batch-report\s+PropagationPolicy default/batch-report\s+6\s+spot-cluster=6\s+0\.0756 USD$`),
		regexp.MustCompile(`(?m)^Deployment default/cost-sensitive-app\s+PropagationPolicy default/cost-optimization\s+10\s+ondemand-cluster=2, spot-cluster=8\s+0\.0463 USD$`),
		regexp.MustCompile(`(?m)^RESOURCE\s+CLUSTER\s+REPLICAS\s+PER REPLICA\s+PRICE\s+COST/HOUR$`),
		regexp.MustCompile(`(?m)^Deployment default/cost-sensitive-app\s+ondemand-cluster\s+2\s+0\.25 cpu, 0\.5 GiB\s+0\.0332/cpu-h, 0\.0045/GiB-h\s+0\.0211 USD$`),
		regexp.MustCompile(`(?m)^Deployment default/cost-sensitive-app\s+spot-cluster\s+8\s+0\.25 cpu, 0\.5 GiB\s+0\.01/cpu-h, 0\.0013/GiB-h\s+0\.0252 USD$`),
		regexp.MustCompile(`(?m)^Deployment default/batch-report\s+ondemand-cluster\s+not selected by spread constraints$`),
	}
	for _, re := range rows {
		if !re.MatchString(out) {
			t.Errorf("output lacks a line matching %s:\n%s", re, out)
		}
	}
}

func TestPlanCommandShowsCostOnlyWhenATargetIsPriced(t *testing.T) {
	out, err := runKurator(t, "", "plan", "-f", examples+"/seed-001.yaml")
	if err != nil {
		t.Fatalf("plan failed: %v", err)
	}
	if strings.Contains(out, "COST/HOUR") {
		t.Errorf("an unpriced fleet's plan shows a cost column:\n%s", out)
	}
	out, err = runKurator(t, "", "plan", "-f", examples+"/seed-001.yaml", "-o", "json")
	if err != nil {
		t.Fatalf("plan failed: %v", err)
	}
	if strings.Contains(out, `"cost"`) {
		t.Errorf("an unpriced fleet's JSON has a cost block:\n%s", out)
	}
}

func TestPlanCommandCostMachineFormats(t *testing.T) {
	for _, format := range []string{"json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			out, err := runKurator(t, "", "plan", "-f", costExamples, "-o", format)
			if err != nil {
				t.Fatalf("plan failed: %v", err)
			}
			var got plan.Output
			if err := yaml.UnmarshalStrict([]byte(out), &got); err != nil {
				t.Fatalf("output is not the documented shape: %v\n%s", err, out)
			}
			want := map[string]float64{"batch-report": 0.0756, "cost-sensitive-app": 0.0463}
			for _, w := range got.Workloads {
				c := w.Cost
				if c == nil || len(c.Total) != 1 || c.Total[0].Currency != "USD" || c.Total[0].Hourly != want[w.Resource.Name] {
					t.Errorf("%s cost = %+v, want a total of %v USD", w.Resource.Name, c, want[w.Resource.Name])
				}
			}
		})
	}
}

package fleetview

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	fleetv1alpha1 "github.com/kurator-go/kurator/api/fleet/v1alpha1"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

func TestBuildReadsPrice(t *testing.T) {
	priced := func(name string, price *clusterv1alpha1.Price, labels map[string]string) clusterv1alpha1.AttachedCluster {
		ac := attached(name, metav1.ConditionTrue, true)
		ac.Spec.Price = price
		ac.Labels = labels
		return ac
	}
	for _, tc := range []struct {
		name    string
		cluster clusterv1alpha1.AttachedCluster
		want    *scheduler.Price
		wantErr []string // parts of the ClusterProblem's message
	}{
		{
			name:    "spec.price is parsed, currency defaults to USD",
			cluster: priced("spot", &clusterv1alpha1.Price{CPUHour: "0.016", MemoryGiBHour: "0.002"}, nil),
			want:    &scheduler.Price{CPUHour: 0.016, MemoryGiBHour: 0.002, Currency: "USD"},
		},
		{
			name:    "spec.price's currency is kept",
			cluster: priced("spot", &clusterv1alpha1.Price{CPUHour: "0.1", Currency: "CNY"}, nil),
			want:    &scheduler.Price{CPUHour: 0.1, Currency: "CNY"},
		},
		{
			name:    "labels price a cluster without spec.price",
			cluster: priced("spot", nil, map[string]string{PriceCPUHourLabel: "0.031", PriceMemoryGiBHourLabel: "0.004"}),
			want:    &scheduler.Price{CPUHour: 0.031, MemoryGiBHour: 0.004, Currency: "USD"},
		},
		{
			name:    "a field spec.price leaves empty comes from its label",
			cluster: priced("spot", &clusterv1alpha1.Price{CPUHour: "0.02"}, map[string]string{PriceCPUHourLabel: "9", PriceMemoryGiBHourLabel: "0.003"}),
			want:    &scheduler.Price{CPUHour: 0.02, MemoryGiBHour: 0.003, Currency: "USD"},
		},
		{
			name:    "the currency label names the labels' currency",
			cluster: priced("spot", nil, map[string]string{PriceCPUHourLabel: "0.2", PriceCurrencyLabel: "EUR"}),
			want:    &scheduler.Price{CPUHour: 0.2, Currency: "EUR"},
		},
		{
			name:    "no price and no labels is unpriced",
			cluster: priced("plain", nil, map[string]string{"env": "production"}),
		},
		{
			name:    "an empty spec.price is unpriced",
			cluster: priced("plain", &clusterv1alpha1.Price{Currency: "USD"}, nil),
		},
		{
			name:    "a label that is not a decimal leaves the cluster unpriced and names cluster and label",
			cluster: priced("spot", nil, map[string]string{PriceCPUHourLabel: "cheap", PriceMemoryGiBHourLabel: "0.004"}),
			wantErr: []string{"AttachedCluster kurator-system/spot", "label " + PriceCPUHourLabel, `"cheap"`, "0.031", "unpriced"},
		},
		{
			name:    "spec.price with an exponent is refused like the CRD pattern does",
			cluster: priced("spot", &clusterv1alpha1.Price{MemoryGiBHour: "1e-3"}, nil),
			wantErr: []string{"spec.price.memoryGiBHour", `"1e-3"`},
		},
		{
			name:    "a negative label is refused",
			cluster: priced("spot", nil, map[string]string{PriceMemoryGiBHourLabel: "-1"}),
			wantErr: []string{"label " + PriceMemoryGiBHourLabel},
		},
		{
			name:    "a trailing dot is refused",
			cluster: priced("spot", nil, map[string]string{PriceCPUHourLabel: "1."}),
			wantErr: []string{"label " + PriceCPUHourLabel},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Build([]clusterv1alpha1.AttachedCluster{tc.cluster}, nil, Options{})
			got := v.Clusters[0].Price
			if len(tc.wantErr) > 0 {
				if got != nil {
					t.Errorf("price = %+v, want unpriced", *got)
				}
				if len(v.ClusterProblems) != 1 {
					t.Fatalf("problems = %v, want one", v.ClusterProblems)
				}
				p := v.ClusterProblems[0]
				if p.Reason != ReasonInvalidPrice || p.Name != tc.cluster.Name || p.Namespace != tc.cluster.Namespace {
					t.Errorf("problem = %+v, want %s about %s/%s", p, ReasonInvalidPrice, tc.cluster.Namespace, tc.cluster.Name)
				}
				for _, part := range tc.wantErr {
					if !strings.Contains(p.Message, part) {
						t.Errorf("message %q lacks %q", p.Message, part)
					}
				}
				return
			}
			if len(v.ClusterProblems) > 0 {
				t.Fatalf("unexpected problems %v", v.ClusterProblems)
			}
			switch {
			case tc.want == nil && got != nil:
				t.Errorf("price = %+v, want unpriced", *got)
			case tc.want != nil && got == nil:
				t.Errorf("unpriced, want %+v", *tc.want)
			case tc.want != nil && *got != *tc.want:
				t.Errorf("price = %+v, want %+v", *got, *tc.want)
			}
		})
	}
}

func TestBuildPricesFleetOnlyMembersFromTheirLabels(t *testing.T) {
	f := fleetOf("spot")
	f.Spec.Clusters[0].Labels[PriceCPUHourLabel] = "0.01"
	v := Build(nil, []fleetv1alpha1.Fleet{f}, Options{Offline: true})
	if len(v.Clusters) != 1 || v.Clusters[0].Price == nil || v.Clusters[0].Price.CPUHour != 0.01 {
		t.Fatalf("clusters %+v: want spot priced at 0.01 per cpu-hour", v.Clusters)
	}

	f.Spec.Clusters[0].Labels[PriceCPUHourLabel] = "x"
	v = Build(nil, []fleetv1alpha1.Fleet{f}, Options{Offline: true})
	if len(v.ClusterProblems) != 1 || !strings.Contains(v.ClusterProblems[0].Message, "Fleet kurator-system/prod member spot") {
		t.Fatalf("problems %v: want one naming the fleet and member", v.ClusterProblems)
	}
}

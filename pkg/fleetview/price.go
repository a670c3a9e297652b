package fleetview

import (
	"cmp"
	"fmt"
	"strconv"

	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	"github.com/kurator-go/kurator/pkg/scheduler"
)

// Labels that price a cluster whose AttachedCluster has no spec.price (or
// leaves a field of it empty), and price Fleet members known only by their
// labels. Values are decimals such as "0.031" (label values allow digits
// and a dot).
const (
	PriceCPUHourLabel       = "cost.kurator.dev/cpu-hour"
	PriceMemoryGiBHourLabel = "cost.kurator.dev/memory-gib-hour"
	PriceCurrencyLabel      = "cost.kurator.dev/currency"
)

// DefaultCurrency is the currency of a price that names none.
const DefaultCurrency = "USD"

// ReasonInvalidPrice is the Reason of a ClusterProblem about a price.
const ReasonInvalidPrice = "InvalidPrice"

// ClusterProblem is something in one cluster the view could not take as
// written; the cluster is kept without that part.
type ClusterProblem struct {
	Namespace, Name string // the AttachedCluster (Namespace "" for a Fleet-only member)
	Reason          string
	Message         string // names the cluster, the field and the fix
}

// priceOf reads a cluster's price: each of spec.price's fields, else the
// matching label. Neither cpu nor memory priced means unpriced (nil). A
// field that is not a plain decimal is an error naming it; the cluster is
// then unpriced, never half-priced.
func priceOf(spec *clusterv1alpha1.Price, labels map[string]string) (*scheduler.Price, error) {
	var fromSpec clusterv1alpha1.Price
	if spec != nil {
		fromSpec = *spec
	}
	type field struct {
		value, name string
		out         *float64
	}
	var p scheduler.Price
	fields := []field{
		{fromSpec.CPUHour, "spec.price.cpuHour", &p.CPUHour},
		{fromSpec.MemoryGiBHour, "spec.price.memoryGiBHour", &p.MemoryGiBHour},
	}
	if fields[0].value == "" {
		fields[0].value, fields[0].name = labels[PriceCPUHourLabel], "label "+PriceCPUHourLabel
	}
	if fields[1].value == "" {
		fields[1].value, fields[1].name = labels[PriceMemoryGiBHourLabel], "label "+PriceMemoryGiBHourLabel
	}
	priced := false
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		v, err := parseDecimal(f.value)
		if err != nil {
			return nil, fmt.Errorf("%s %q is not a price: write a decimal such as 0.031 (digits, optionally a dot and more digits)", f.name, f.value)
		}
		*f.out = v
		priced = true
	}
	if !priced {
		return nil, nil
	}
	p.Currency = cmp.Or(fromSpec.Currency, labels[PriceCurrencyLabel], DefaultCurrency)
	return &p, nil
}

// parseDecimal accepts what the CRD's pattern ^[0-9]+(\.[0-9]+)?$ accepts
// (so a label is held to the same rule as spec.price), nothing of
// ParseFloat's wider syntax (signs, exponents, Inf, NaN).
func parseDecimal(s string) (float64, error) {
	dot := -1
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
		case s[i] == '.' && dot < 0 && i > 0 && i < len(s)-1:
			dot = i
		default:
			return 0, fmt.Errorf("invalid decimal %q", s)
		}
	}
	if s == "" {
		return 0, fmt.Errorf("empty decimal")
	}
	return strconv.ParseFloat(s, 64)
}

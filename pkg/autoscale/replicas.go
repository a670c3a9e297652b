package autoscale

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// MaxPercent is the largest percentage a replicas value may give ("1000%",
// "+1000%").
const MaxPercent = 1000

// replicasForm is a parsed replicas value.
type replicasForm struct {
	sign    byte // 0 (absolute), '+' or '-'
	value   int64
	percent bool
}

// parseReplicas reads 30, "30", "+5", "-2", "+30%", "150%", "-20%".
func parseReplicas(r intstr.IntOrString) (replicasForm, error) {
	if r.Type == intstr.Int {
		if r.IntVal < 0 {
			return replicasForm{}, fmt.Errorf("replicas %d is negative: give a count such as 30, a change such as \"+5\" or a percentage such as \"+30%%\"", r.IntVal)
		}
		return replicasForm{value: int64(r.IntVal)}, nil
	}
	s := strings.TrimSpace(r.StrVal)
	f := replicasForm{}
	if s != "" && (s[0] == '+' || s[0] == '-') {
		f.sign, s = s[0], s[1:]
	}
	if strings.HasSuffix(s, "%") {
		f.percent, s = true, strings.TrimSuffix(s, "%")
	}
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return replicasForm{}, fmt.Errorf("replicas %q is not a count (30), a change (\"+5\") or a percentage (\"+30%%\", \"150%%\")", r.StrVal)
	}
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return replicasForm{}, fmt.Errorf("replicas %q is too large: at most %d replicas or %d%%", r.StrVal, math.MaxInt32, MaxPercent)
	}
	if f.percent && v > MaxPercent {
		return replicasForm{}, fmt.Errorf("replicas %q is over %d%%: give at most \"%d%%\" (ten times) or a count", r.StrVal, MaxPercent, MaxPercent)
	}
	f.value = v
	return f, nil
}

// ScaleOutReplicas is the replicas a scale-out asks for, from the replicas
// value r and the size before the scale-out:
//
//	30      -> 30
//	"30"    -> 30
//	"+5"    -> before + 5
//	"-5"    -> before - 5, at least 0 (allowed, though odd for a scale-out)
//	"+30%"  -> before + 30% (20 -> 26)
//	"150%"  -> 150% of before (20 -> 30)
//	"-20%"  -> before - 20%
//
// Percentages round up (a scale-out never falls short of the percentage)
// and are at most 1000%. The result fits an int32 or it is an error.
func ScaleOutReplicas(r intstr.IntOrString, before int32) (int32, error) {
	f, err := parseReplicas(r)
	if err != nil {
		return 0, err
	}
	b := int64(before)
	if b < 0 {
		b = 0
	}
	var to int64
	switch {
	case !f.percent && f.sign == 0:
		to = f.value
	case !f.percent && f.sign == '+':
		to = b + f.value
	case !f.percent:
		to = b - f.value
	default:
		factor := f.value // percent of before
		switch f.sign {
		case '+':
			factor = 100 + f.value
		case '-':
			factor = 100 - f.value
		}
		if factor < 0 {
			factor = 0
		}
		to = (b*factor + 99) / 100 // ceil; b < 2^31 and factor <= 1100 cannot overflow
	}
	if to < 0 {
		to = 0
	}
	if to > math.MaxInt32 {
		return 0, fmt.Errorf("replicas %s from %d gives %d, more than %d", r.String(), before, to, math.MaxInt32)
	}
	return int32(to), nil
}

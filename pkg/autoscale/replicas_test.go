package autoscale

import (
	"math"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestScaleOutReplicas(t *testing.T) {
	cases := []struct {
		name   string
		r      intstr.IntOrString
		before int32
		want   int32
		err    string
	}{
		{"a count 30 sets 30 from 20", intstr.FromInt32(30), 20, 30, ""},
		{"a count as a string \"30\" sets 30", intstr.FromString("30"), 20, 30, ""},
		{"a count below the current size sets it (the action says so)", intstr.FromInt32(10), 20, 10, ""},
		{"\"+5\" adds 5 to 20", intstr.FromString("+5"), 20, 25, ""},
		{"\"-5\" from 3 stops at 0", intstr.FromString("-5"), 3, 0, ""},
		{"\"+30%\" of 20 is 26", intstr.FromString("+30%"), 20, 26, ""},
		{"\"+30%\" of 3 rounds up to 4", intstr.FromString("+30%"), 3, 4, ""},
		{"\"150%\" of 20 is 30", intstr.FromString("150%"), 20, 30, ""},
		{"\"150%\" of 3 rounds up to 5", intstr.FromString("150%"), 3, 5, ""},
		{"\"-20%\" of 10 is 8", intstr.FromString("-20%"), 10, 8, ""},
		{"\"-200%\" stops at 0", intstr.FromString("-200%"), 10, 0, ""},
		{"\"1000%\" is the most: ten times", intstr.FromString("1000%"), 7, 70, ""},
		{"\"+1000%\" is eleven times", intstr.FromString("+1000%"), 7, 77, ""},
		{"\"+30%\" of 0 stays 0", intstr.FromString("+30%"), 0, 0, ""},
		{"spaces around are ignored", intstr.FromString(" +5 "), 1, 6, ""},
		{"negative count is refused", intstr.FromInt32(-1), 20, 0, "replicas -1 is negative"},
		{"a percentage over 1000% is refused", intstr.FromString("1001%"), 20, 0, "over 1000%"},
		{"\"+1001%\" is refused", intstr.FromString("+1001%"), 20, 0, "over 1000%"},
		{"words are refused with the forms", intstr.FromString("thirty"), 20, 0, `replicas "thirty" is not a count (30), a change ("+5") or a percentage`},
		{"an empty string is refused", intstr.FromString(""), 20, 0, "is not a count"},
		{"a sign alone is refused", intstr.FromString("+"), 20, 0, "is not a count"},
		{"a fraction is refused", intstr.FromString("1.5"), 20, 0, "is not a count"},
		{"a count over int32 is refused", intstr.FromString("99999999999"), 20, 0, "too large"},
		{"a result over int32 is refused", intstr.FromString("+2147483647"), 20, 0, "more than 2147483647"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ScaleOutReplicas(c.r, c.before)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got %d, want %d", got, c.want)
			}
		})
	}
}

func FuzzScaleOutReplicas(f *testing.F) {
	for _, s := range []string{"30", "+5", "-5", "+30%", "150%", "-20%", "1000%", "+1001%", "", "+", "%", "--1", "+%"} {
		f.Add(s, int32(20))
	}
	f.Fuzz(func(t *testing.T, s string, before int32) {
		got, err := ScaleOutReplicas(intstr.FromString(s), before)
		if err != nil {
			return
		}
		if got < 0 {
			t.Fatalf("%q from %d gave %d", s, before, got)
		}
		// Percentages never give more than eleven times the size before.
		if strings.HasSuffix(strings.TrimSpace(s), "%") && before >= 0 && int64(got) > 11*int64(before) {
			t.Fatalf("%q from %d gave %d, more than 1100%%", s, before, got)
		}
		if got > math.MaxInt32 {
			t.Fatal("overflow")
		}
	})
}

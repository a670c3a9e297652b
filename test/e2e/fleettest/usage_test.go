package fleettest

import "testing"

func TestUsageExpression(t *testing.T) {
	cpu := func(r UsageRule) string { return r.CPU }
	tests := []struct {
		name  string
		rules []UsageRule
		want  string
	}{
		{
			name: "no rule: every pod at the default",
			want: `Quantity("1m")`,
		},
		{
			name: "longer prefix first, whatever the order set; then the default",
			rules: []UsageRule{
				{Namespace: "shop", Prefix: "web-", CPU: "10m"},
				{Namespace: "shop", Prefix: "web-api-", CPU: "20m"},
			},
			want: `pod.metadata.namespace == "shop" && pod.metadata.name.startsWith("web-api-") ? Quantity("20m") : ` +
				`pod.metadata.namespace == "shop" && pod.metadata.name.startsWith("web-") ? Quantity("10m") : Quantity("1m")`,
		},
		{
			name: "equal prefixes ordered by namespace; quotes in values are escaped",
			rules: []UsageRule{
				{Namespace: "b", Prefix: "x", CPU: "2"},
				{Namespace: "a", Prefix: "x", CPU: `"1"`},
			},
			want: `pod.metadata.namespace == "a" && pod.metadata.name.startsWith("x") ? Quantity("\"1\"") : ` +
				`pod.metadata.namespace == "b" && pod.metadata.name.startsWith("x") ? Quantity("2") : Quantity("1m")`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UsageExpression(tt.rules, cpu, DefaultCPUUsage); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

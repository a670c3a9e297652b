package localfleet

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestValidatePullMembers(t *testing.T) {
	base := Config{Name: "dev", Members: []Member{{Name: "east"}, {Name: "west"}}, NodesPerMember: 1,
		ManagerBinary: "/bin/kurator-manager", AgentBinary: "/bin/kurator-agent"}
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string // "" = valid
	}{
		{"a member in Pull mode is valid", func(c *Config) { c.PullMembers = []string{"west"} }, ""},
		{"every member in Pull mode is valid", func(c *Config) { c.PullMembers = []string{"east", "west"} }, ""},
		{"a name outside --members is refused naming it", func(c *Config) { c.PullMembers = []string{"north"} }, `--pull-members "north": not a member`},
		{"the hub is no member", func(c *Config) { c.PullMembers = []string{HubName} }, "not a member"},
		{"a name twice is refused", func(c *Config) { c.PullMembers = []string{"west", "west"} }, "given twice"},
		{"without the manager nobody approves the agents", func(c *Config) { c.PullMembers = []string{"west"}; c.ManagerBinary = "" }, "need the manager"},
		{"without the agent binary it says how to build it", func(c *Config) { c.PullMembers = []string{"west"}; c.AgentBinary = "" }, "make build"},
		{"no Pull members need no agent binary", func(c *Config) { c.AgentBinary = "" }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mutate(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestStatusListsTheAgentWithItsMember(t *testing.T) {
	s := &State{Clusters: []Cluster{{Name: HubName, Hub: true}, {Name: "west"}}}
	recorded := []string{"kurator-hub/kube-apiserver", "west/kube-apiserver", "kurator-hub/kube-controller-manager",
		"west/kube-controller-manager", "west/kwok", "kurator-hub/kurator-manager", AgentProcess("west")}
	got := slices.Clone(recorded)
	slices.SortStableFunc(got, func(a, b string) int { return s.order(a) - s.order(b) })
	want := []string{"kurator-hub/kube-apiserver", "kurator-hub/kube-controller-manager", "kurator-hub/kurator-manager",
		"west/kube-apiserver", "west/kube-controller-manager", "west/kwok", "west/kurator-agent"}
	if !slices.Equal(got, want) {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
}

func TestAProcessWithoutHealthURLIsHealthyWhileItRuns(t *testing.T) {
	var p prober // no client: an empty URL must not be fetched
	if err := p.check(context.Background(), ""); err != nil {
		t.Fatalf("check(\"\") = %v, want nil", err)
	}
}

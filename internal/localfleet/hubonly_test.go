package localfleet

import (
	"strings"
	"testing"
)

func TestHubOnlyConfig(t *testing.T) {
	cases := []struct {
		name    string
		cfg     Config
		members int
		err     string // empty: valid
	}{
		{"hub-only keeps no members and is valid", Config{HubOnly: true}, 0, ""},
		{"without hub-only the seed's three members are filled in", Config{}, 3, ""},
		{"hub-only with members is refused", Config{HubOnly: true, Members: []Member{{Name: "a"}}}, 1, "hub-only"},
		{"hub-only with pull members is refused", Config{HubOnly: true, PullMembers: []string{"a"}}, 0, "hub-only"},
		{"no members without hub-only is refused", Config{Members: []Member{}}, 0, "has no members"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg.WithDefaults()
			if len(cfg.Members) != c.members {
				t.Fatalf("WithDefaults: %d members, want %d", len(cfg.Members), c.members)
			}
			err := cfg.Validate()
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("Validate: %v, want valid", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("Validate: %v, want an error containing %q", err, c.err)
			}
		})
	}
}

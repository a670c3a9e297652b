package localfleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// State is what a running fleet records in its state dir, so that later
// commands (status, down, a second up) find its processes and endpoints.
type State struct {
	Name     string    `json:"name"`
	StateDir string    `json:"stateDir"`
	Started  time.Time `json:"started"`
	Members  []Member  `json:"members"`
	// PullMembers are the members joined through an agent (Config.PullMembers).
	PullMembers []string  `json:"pullMembers,omitempty"`
	Clusters    []Cluster `json:"clusters"`
	Processes   []Process `json:"processes"`
	// Kubeconfig is the fleet's own kubeconfig with every context.
	Kubeconfig string `json:"kubeconfig"`
	// MergedInto is the user kubeconfig the contexts were added to, if any.
	MergedInto string `json:"mergedInto,omitempty"`
	// DashboardURL logs a browser in to the fleet's dashboard (it holds
	// the login token; the state file is readable by its owner only).
	DashboardURL string `json:"dashboardURL,omitempty"`
	// PrometheusURL is the base URL of the fleet's Prometheus HTTP API
	// (empty when it does not run).
	PrometheusURL string `json:"prometheusURL,omitempty"`
	// TrafficGenURL is the base URL of the traffic generator (/metrics,
	// /faults, /routes), empty when it does not run.
	TrafficGenURL string `json:"trafficGenURL,omitempty"`
	// HubRegistry is the host (127.0.0.1:port) of AppHub's registry, empty
	// unless the fleet runs registries (Config.Registries).
	HubRegistry string `json:"hubRegistry,omitempty"`
}

// Cluster is one kube-apiserver of the fleet (the hub or a member).
type Cluster struct {
	Name       string `json:"name"`
	Server     string `json:"server"`
	Kubeconfig string `json:"kubeconfig"`
	Hub        bool   `json:"hub,omitempty"`
	// Registry is the host (127.0.0.1:port, plain HTTP) of the cluster's
	// own registry, when the fleet runs registries.
	Registry string `json:"registry,omitempty"`
}

const stateFile = "state.json"

// ErrNoFleet means no fleet state exists in the state dir.
var ErrNoFleet = errors.New("no fleet found")

// LoadState reads the state of the fleet in dir.
func LoadState(dir string) (*State, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s: start one with `kurator up`", ErrNoFleet, dir)
	}
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("read %s: %w (remove the directory or run `kurator down --state-dir %s`)", filepath.Join(dir, stateFile), err, dir)
	}
	return &s, nil
}

// save writes the state atomically: a crash never leaves a torn file.
func (s *State) save() error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.StateDir, stateFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.StateDir, stateFile))
}

// Cluster returns the named cluster (HubName for the hub).
func (s *State) Cluster(name string) (Cluster, bool) {
	for _, c := range s.Clusters {
		if c.Name == name {
			return c, true
		}
	}
	return Cluster{}, false
}

// Process returns the named process, e.g. "cluster-hangzhou/kube-apiserver".
func (s *State) Process(name string) (Process, bool) {
	for _, p := range s.Processes {
		if p.Name == name {
			return p, true
		}
	}
	return Process{}, false
}

// Running reports whether every recorded process is alive.
func (s *State) Running() bool {
	if len(s.Processes) == 0 {
		return false
	}
	for _, p := range s.Processes {
		if !alive(p.PID, s.StateDir) {
			return false
		}
	}
	return true
}

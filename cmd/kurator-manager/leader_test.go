package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestValidateLeaderElection(t *testing.T) {
	s := time.Second
	cases := []struct {
		name                string
		elect               bool
		lease, renew, retry time.Duration
		wantErr             string // empty: valid
	}{
		{name: "defaults 15s/10s/2s are valid", elect: true, lease: 15 * s, renew: 10 * s, retry: 2 * s},
		{name: "test timings 4s/3s/1s are valid", elect: true, lease: 4 * s, renew: 3 * s, retry: s},
		{name: "election off ignores every timing", elect: false, lease: 0, renew: 0, retry: 0},
		{name: "zero lease duration is refused naming the flag", elect: true, lease: 0, renew: 10 * s, retry: 2 * s, wantErr: "--leader-elect-lease-duration=0s: give a positive duration"},
		{name: "negative retry period is refused naming the flag", elect: true, lease: 15 * s, renew: 10 * s, retry: -s, wantErr: "--leader-elect-retry-period=-1s: give a positive duration"},
		{name: "lease equal to renew deadline is refused", elect: true, lease: 10 * s, renew: 10 * s, retry: 2 * s, wantErr: "must be longer than --leader-elect-renew-deadline=10s"},
		{name: "renew deadline within a jittered retry is refused", elect: true, lease: 15 * s, renew: 2 * s, retry: 2 * s, wantErr: "must be longer than 1.2 x --leader-elect-retry-period=2s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := validateLeaderElection(options{leaderElect: c.elect, leaseDuration: c.lease, renewDeadline: c.renew, retryPeriod: c.retry})
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case c.wantErr != "" && err == nil:
				t.Fatalf("want an error containing %q, got none", c.wantErr)
			case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
				t.Fatalf("error %q does not contain %q", err, c.wantErr)
			}
		})
	}
}

func TestDefaultIdentityIsHostnameAndPid(t *testing.T) {
	id, err := defaultIdentity()
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if want := host + "_" + strconv.Itoa(os.Getpid()); id != want {
		t.Fatalf("identity %q, want %q", id, want)
	}
}

package analysis

import (
	"fmt"
	"maps"
	"strconv"
	"time"
)

// HookType says when a webhook is called and what its answer means
// (Flagger's types and semantics).
type HookType string

// Webhook types. "Passes" means the hook answered 200-202 (HookPassed).
const (
	// ConfirmRollout gates the start of a run: until it passes the rollout
	// waits (retried each interval, nothing counted).
	ConfirmRollout HookType = "confirm-rollout"
	// PreRollout runs at the first analysis check; a failure is a failed
	// check.
	PreRollout HookType = "pre-rollout"
	// Rollout runs at every later check; a failure is a failed check. An
	// empty type means Rollout.
	Rollout HookType = "rollout"
	// ConfirmTrafficIncrease gates each weight increase: a failure holds
	// the weight, nothing counted.
	ConfirmTrafficIncrease HookType = "confirm-traffic-increase"
	// ConfirmPromotion gates promotion: a failure holds the rollout before
	// promotion, nothing counted.
	ConfirmPromotion HookType = "confirm-promotion"
	// PostRollout runs once the rollout succeeded or failed (the phase is
	// in the payload); its answer is only reported.
	PostRollout HookType = "post-rollout"
	// RollbackHook is asked at each check while the rollout runs: passing
	// (2xx) means "roll back now".
	RollbackHook HookType = "rollback"
	// Event receives every rollout event; its answer is ignored.
	Event HookType = "event"
)

// HookTypes lists every type, in the order a run meets them.
var HookTypes = []HookType{ConfirmRollout, PreRollout, Rollout, ConfirmTrafficIncrease,
	ConfirmPromotion, PostRollout, RollbackHook, Event}

// ParseHookType returns the type named s; empty is Rollout (Flagger's
// default). An unknown name is an error listing the known ones.
func ParseHookType(s string) (HookType, error) {
	if s == "" {
		return Rollout, nil
	}
	for _, t := range HookTypes {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("webhook type %q is unknown: use one of %v (empty means rollout)", s, HookTypes)
}

// Payload is the JSON body POSTed to a webhook, field for field what
// Flagger sends, so Flagger's load tester and gates work unchanged.
type Payload struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Phase     string `json:"phase"`
	// Checksum identifies the revision being rolled out.
	Checksum string            `json:"checksum"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// HookPassed reports whether a webhook's HTTP status is a pass: 200, 201 or
// 202 (Flagger: anything above 202 fails; no answer, status 0, fails too).
// For a RollbackHook a pass means the rollout must roll back.
func HookPassed(status int) bool {
	return status >= 200 && status <= 202
}

// EventMetadata returns a copy of an event hook's metadata with the event
// added as Flagger does: eventMessage, eventType and timestamp (Unix
// milliseconds).
func EventMetadata(metadata map[string]string, message, eventType string, at time.Time) map[string]string {
	out := make(map[string]string, len(metadata)+3)
	maps.Copy(out, metadata)
	out["eventMessage"] = message
	out["eventType"] = eventType
	out["timestamp"] = strconv.FormatInt(at.UnixMilli(), 10)
	return out
}

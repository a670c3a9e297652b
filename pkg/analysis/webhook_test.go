package analysis

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseHookType(t *testing.T) {
	cases := []struct {
		in      string
		want    HookType
		wantErr bool
	}{
		{in: "", want: Rollout},
		{in: "confirm-rollout", want: ConfirmRollout},
		{in: "pre-rollout", want: PreRollout},
		{in: "rollout", want: Rollout},
		{in: "confirm-traffic-increase", want: ConfirmTrafficIncrease},
		{in: "confirm-promotion", want: ConfirmPromotion},
		{in: "post-rollout", want: PostRollout},
		{in: "rollback", want: RollbackHook},
		{in: "event", want: Event},
		{in: "Rollback", wantErr: true},
		{in: "pre-promotion", wantErr: true},
	}
	for _, c := range cases {
		got, err := ParseHookType(c.in)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("ParseHookType(%q) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.wantErr)
		}
	}
}

func TestHookPassed(t *testing.T) {
	cases := []struct {
		status int
		want   bool
	}{
		{0, false}, {100, false}, {199, false}, {200, true}, {201, true}, {202, true}, {203, false},
		{204, false}, {302, false}, {403, false}, {500, false},
	}
	for _, c := range cases {
		if got := HookPassed(c.status); got != c.want {
			t.Errorf("HookPassed(%d) = %v, want %v", c.status, got, c.want)
		}
	}
}

func TestPayloadJSONIsFlaggers(t *testing.T) {
	cases := []struct {
		name string
		p    Payload
		want string
	}{
		{name: "every field with metadata",
			p:    Payload{Name: "reviews", Namespace: "bookinfo", Phase: "Progressing", Checksum: "6d5f8b", Metadata: map[string]string{"cmd": "hey -z 1m"}},
			want: `{"name":"reviews","namespace":"bookinfo","phase":"Progressing","checksum":"6d5f8b","metadata":{"cmd":"hey -z 1m"}}`},
		{name: "no metadata leaves the key out; an empty checksum stays",
			p:    Payload{Name: "reviews", Namespace: "bookinfo", Phase: "Failed"},
			want: `{"name":"reviews","namespace":"bookinfo","phase":"Failed","checksum":""}`},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.p)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("%s: JSON = %s, want %s", c.name, b, c.want)
		}
	}
}

func TestEventMetadataAddsTheEventAndKeepsTheCallersMap(t *testing.T) {
	in := map[string]string{"team": "a"}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	got := EventMetadata(in, "Advance reviews weight 20", "Normal", at)
	want := map[string]string{"team": "a", "eventMessage": "Advance reviews weight 20", "eventType": "Normal",
		"timestamp": "1767323045006"}
	if len(got) != len(want) {
		t.Fatalf("EventMetadata = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("EventMetadata[%q] = %q, want %q", k, got[k], v)
		}
	}
	if len(in) != 1 {
		t.Errorf("caller's map changed: %v", in)
	}
}

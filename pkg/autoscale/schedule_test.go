package autoscale

import (
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"
)

func mustSchedule(t testing.TB, expr, zone string) *Schedule {
	t.Helper()
	s, err := ParseSchedule(expr, zone)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseScheduleRefusesBadInput(t *testing.T) {
	cases := []struct {
		name, expr, zone, err string
	}{
		{"six fields are refused with an example", "0 0 8 * * *", "", `schedule "0 0 8 * * *" does not parse`},
		{"a minute of 61 is refused", "61 8 * * *", "", "does not parse"},
		{"words are refused", "every morning", "", `give five fields, minute hour day-of-month month day-of-week, such as "0 8 * * 1-5"`},
		{"an empty schedule is refused", " ", "", "the schedule is empty"},
		{"an unknown zone is refused with examples", "0 8 * * *", "Mars/Olympus", `time zone "Mars/Olympus" is not an IANA time zone name: give one such as Asia/Shanghai`},
		{"Local is refused: it differs between machines", "0 8 * * *", "Local", "is not an IANA time zone name"},
		{"a zone inside the expression is refused", "CRON_TZ=Asia/Shanghai 0 8 * * *", "", "give it in timeZone"},
		{"30 February never fires", "0 0 30 2 *", "", "never fires"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSchedule(c.expr, c.zone)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("error %v, want one containing %q", err, c.err)
			}
		})
	}
}

func TestParseScheduleAcceptsDescriptors(t *testing.T) {
	for _, e := range []string{"@daily", "@hourly", "@weekly", "@every 90s", "*/15 * * * *", "0 8 * * 1-5", "0 0 29 2 *"} {
		if _, err := ParseSchedule(e, "Asia/Shanghai"); err != nil {
			t.Errorf("%s: %v", e, err)
		}
	}
}

func TestScheduleDue(t *testing.T) {
	created := at("2025-11-11T00:00:30Z")
	cases := []struct {
		name     string
		expr     string
		zone     string
		last     *time.Time
		since    time.Time
		now      time.Time
		wantDue  string // "" none
		wantNext string
	}{
		{"Asia/Shanghai 08:00 is 00:00 UTC", "0 8 * * *", "Asia/Shanghai", nil, at("2025-11-10T12:00:00Z"), at("2025-11-11T00:00:10Z"),
			"2025-11-11T00:00:00Z", "2025-11-12T00:00:00Z"},
		{"nothing is due before the first time", "*/5 * * * *", "", nil, created, at("2025-11-11T00:04:59Z"), "", "2025-11-11T00:05:00Z"},
		{"the first time fires", "*/5 * * * *", "", nil, created, at("2025-11-11T00:05:00Z"), "2025-11-11T00:05:00Z", "2025-11-11T00:10:00Z"},
		{"a time that fired does not fire again", "*/5 * * * *", "", ptr.To(at("2025-11-11T00:05:00Z")), created, at("2025-11-11T00:07:00Z"), "", "2025-11-11T00:10:00Z"},
		{"missed times are skipped: only the latest fires", "*/5 * * * *", "", ptr.To(at("2025-11-11T00:05:00Z")), created, at("2025-11-11T00:27:00Z"), "2025-11-11T00:25:00Z", "2025-11-11T00:30:00Z"},
		{"times before the policy existed never fire", "0 * * * *", "", nil, at("2025-11-11T00:30:00Z"), at("2025-11-11T00:59:00Z"), "", "2025-11-11T01:00:00Z"},
		{"a policy a year old with a minutely schedule finds the latest minute", "* * * * *", "", nil, at("2024-11-11T00:00:00Z"), at("2025-11-11T09:41:30Z"),
			"2025-11-11T09:41:00Z", "2025-11-11T09:42:00Z"},
		{"a weekly time four days ago fires once", "0 9 * * 1", "", nil, at("2025-11-01T00:00:00Z"), at("2025-11-14T10:00:00Z"), // Monday 10 Nov
			"2025-11-10T09:00:00Z", "2025-11-17T09:00:00Z"},
		{"a zero creation time (an offline plan) still finds the latest time", "0 0 29 2 *", "", nil, time.Time{}, at("2025-11-11T00:00:00Z"),
			"2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"a last time after now is ignored", "*/5 * * * *", "", ptr.To(at("2025-11-11T01:00:00Z")), created, at("2025-11-11T00:12:00Z"), "", "2025-11-11T00:15:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustSchedule(t, c.expr, c.zone)
			due, next := s.Due(c.last, c.since, c.now)
			got := ""
			if due != nil {
				got = due.UTC().Format(time.RFC3339)
			}
			if got != c.wantDue {
				t.Errorf("due %q, want %q", got, c.wantDue)
			}
			if n := next.UTC().Format(time.RFC3339); n != c.wantNext {
				t.Errorf("next %s, want %s", n, c.wantNext)
			}
		})
	}
}

// Over a day evaluated every 20s, a schedule fires once per schedule time.
func TestCronFiresOncePerScheduleTime(t *testing.T) {
	s := mustSchedule(t, "0 */3 * * *", "Asia/Shanghai")
	created := at("2025-11-11T00:00:05Z")
	var last *time.Time
	var fired []string
	for now := created; now.Before(created.Add(24 * time.Hour)); now = now.Add(20 * time.Second) {
		if due, _ := s.Due(last, created, now); due != nil {
			fired = append(fired, due.UTC().Format("15:04"))
			last = due
		}
	}
	// Every third hour in Shanghai (UTC+8) is 01:00, 04:00, ... 22:00 UTC.
	want := "01:00 04:00 07:00 10:00 13:00 16:00 19:00 22:00"
	if got := strings.Join(fired, " "); got != want {
		t.Errorf("fired at %s, want %s", got, want)
	}
}

func FuzzScheduleDue(f *testing.F) {
	f.Add("*/5 * * * *", int64(3600), int64(600), int64(7200))
	f.Add("0 8 * * 1-5", int64(86400*30), int64(-1), int64(86400*40))
	f.Add("@every 90s", int64(0), int64(100), int64(1000))
	f.Fuzz(func(t *testing.T, expr string, sinceSec, lastSec, nowSec int64) {
		s, err := ParseSchedule(expr, "Asia/Shanghai")
		if err != nil || sinceSec < 0 || nowSec < 0 || sinceSec > 1e9 || nowSec > 1e9 || lastSec > 1e9 {
			return
		}
		base := at("2025-01-01T00:00:00Z")
		since, now := base.Add(time.Duration(sinceSec)*time.Second), base.Add(time.Duration(nowSec)*time.Second)
		var last *time.Time
		if lastSec >= 0 {
			l := base.Add(time.Duration(lastSec) * time.Second)
			last = &l
		}
		due, next := s.Due(last, since, now)
		if !next.IsZero() && !next.After(now) {
			t.Fatalf("next %v not after now %v", next, now)
		}
		if due == nil {
			return
		}
		if due.After(now) || !due.After(since) || (last != nil && !due.After(*last)) {
			t.Fatalf("due %v outside (max(%v, %v), %v]", due, last, since, now)
		}
		if n := s.Next(*due); !n.After(now) {
			t.Fatalf("due %v is not the latest: %v is also due", due, n)
		}
	})
}

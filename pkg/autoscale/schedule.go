package autoscale

import (
	"fmt"
	"strings"
	"time"
	// The policies' time zones must resolve on a manager image without
	// /usr/share/zoneinfo, and the same way on every machine.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
)

// cronParser reads the five standard fields (minute hour day-of-month month
// day-of-week) and the descriptors (@hourly, @daily, @weekly, @monthly,
// @yearly, @every 1h30m): the grammar of Kubernetes CronJobs and of
// Karmada's CronFederatedHPA, which use the same library.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule is a parsed cron expression in a time zone.
type Schedule struct {
	expr  string
	zone  string
	loc   *time.Location
	sched cron.Schedule
}

// scheduleReference is a fixed instant from which ParseSchedule checks that
// an expression fires at all (robfig/cron gives up after five years).
var scheduleReference = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// maxLookBack bounds how far back Due looks for a missed time: further than
// any schedule's period (a leap day recurs within eight years).
const maxLookBack = 10 * 365 * 24 * time.Hour

// ParseSchedule parses a cron expression (five fields or a descriptor) in
// the IANA time zone timeZone (empty: UTC). The error names the expression
// or the zone and gives a valid example.
func ParseSchedule(expr, timeZone string) (*Schedule, error) {
	e := strings.TrimSpace(expr)
	if e == "" {
		return nil, fmt.Errorf("the schedule is empty: give a cron expression such as \"0 8 * * 1-5\" (08:00 Monday to Friday) or @daily")
	}
	if strings.HasPrefix(e, "TZ=") || strings.HasPrefix(e, "CRON_TZ=") {
		return nil, fmt.Errorf("schedule %q carries a time zone: give it in timeZone (for example timeZone: Asia/Shanghai) and the expression alone (\"0 8 * * *\")", expr)
	}
	zone := strings.TrimSpace(timeZone)
	loc := time.UTC
	if zone != "" {
		l, err := time.LoadLocation(zone)
		if err != nil || zone == "Local" {
			return nil, fmt.Errorf("time zone %q is not an IANA time zone name: give one such as Asia/Shanghai, Europe/Berlin or UTC", timeZone)
		}
		loc = l
	} else {
		zone = "UTC"
	}
	sched, err := cronParser.Parse(e)
	if err != nil {
		return nil, fmt.Errorf("schedule %q does not parse (%v): give five fields, minute hour day-of-month month day-of-week, such as \"0 8 * * 1-5\" or \"*/15 * * * *\", or a descriptor such as @daily", expr, err)
	}
	if sched.Next(scheduleReference.In(loc)).IsZero() {
		return nil, fmt.Errorf("schedule %q never fires (no such date): check the day of month and month, for example \"0 0 28 2 *\"", expr)
	}
	return &Schedule{expr: e, zone: zone, loc: loc, sched: sched}, nil
}

// String is the expression and its zone: "0 8 * * * (Asia/Shanghai)".
func (s *Schedule) String() string { return fmt.Sprintf("%s (%s)", s.expr, s.zone) }

// Expression is the cron expression as given, trimmed.
func (s *Schedule) Expression() string { return s.expr }

// Location is the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Next is the first schedule time after t (zero if there is none within five
// years).
func (s *Schedule) Next(t time.Time) time.Time { return s.sched.Next(t.In(s.loc)) }

// Due says which schedule time, if any, fires now: the latest schedule time
// in (max(last, since), now]. Older times in that range were missed (the
// manager was down or the policy suspended); they are skipped, not replayed,
// so a policy fires at most once per evaluation and never for a time before
// it existed. last is the schedule time that fired last (nil: none); since is
// when the policy was created. next is the first schedule time after now.
func (s *Schedule) Due(last *time.Time, since time.Time, now time.Time) (due *time.Time, next time.Time) {
	anchor := since
	if last != nil && last.After(anchor) {
		anchor = *last
	}
	next = s.Next(now)
	if !anchor.Before(now) {
		return nil, next
	}
	// Find a start from which the walk to now is short: look back an hour,
	// then twice as far each time, but never before the anchor. The walk
	// from a start with no time in the recent half of its range is bounded
	// by the times in the older half, so this costs a few dozen steps even
	// for a policy created a year ago with "* * * * *".
	if floor := now.Add(-maxLookBack); anchor.Before(floor) {
		anchor = floor // e.g. a zero creation time in an offline plan
	}
	back := time.Hour
	for {
		start := now.Add(-back)
		if back >= maxLookBack || !start.After(anchor) {
			start = anchor
		}
		t := s.Next(start)
		if !t.IsZero() && !t.After(now) {
			for {
				n := s.Next(t)
				if n.IsZero() || n.After(now) {
					break
				}
				t = n
			}
			d := t
			return &d, next
		}
		if start.Equal(anchor) {
			return nil, next
		}
		back *= 2
	}
}

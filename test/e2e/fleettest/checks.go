package fleettest

import (
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Eventually polls cond until it returns nil, and fails the test with cond's
// last error when timeout passes first.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Consistently checks cond again and again for the whole window and fails
// the test at its first error. It is how a test shows that something does
// not happen: one look right after a change proves nothing.
func Consistently(t testing.TB, window time.Duration, what string, cond func() error) {
	t.Helper()
	begin := time.Now()
	for {
		if err := cond(); err != nil {
			t.Fatalf("%s: broken %s into the %s window: %v", what, time.Since(begin).Round(time.Millisecond), window, err)
		}
		if time.Since(begin) >= window {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Absent turns the error of reading an object into the answer to "is it
// absent?": nil only when the API server answered NotFound. An object that
// exists is an error, and so is any other failure: an unreachable or
// failing server says nothing about the object.
func Absent(what string, err error) error {
	switch {
	case err == nil:
		return fmt.Errorf("%s exists", what)
	case apierrors.IsNotFound(err):
		return nil
	default:
		return fmt.Errorf("cannot tell whether %s is absent: %w", what, err)
	}
}

package netem

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestMain skips the package where it cannot make namespaces (not root, no
// iproute2 or iptables), unless CI=true: there the machine must have them.
func TestMain(m *testing.M) {
	if err := Check(); err != nil {
		if os.Getenv("CI") == "true" {
			println("FAIL: " + err.Error())
			os.Exit(1)
		}
		println("SKIP: " + err.Error())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// echoServer answers every line with the same line, on loopback.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrips sends n one-line messages over c one after the other and
// returns each round trip's time.
func roundTrips(t *testing.T, c net.Conn, n int) []time.Duration {
	t.Helper()
	r := bufio.NewReader(c)
	var rtts []time.Duration
	for range n {
		begin := time.Now()
		if err := c.SetDeadline(begin.Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("ping\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		rtts = append(rtts, time.Since(begin))
	}
	return rtts
}

func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func TestLinkDelaysLosesAndPartitions(t *testing.T) {
	ns := NewForTest(t)
	link := must(ns.AddLink("hub", 201))(t)
	if other := must(ns.AddLink("other", 201))(t); other.HostIP == link.HostIP || other.NSIP.Prev() == link.HostIP {
		t.Fatalf("two links share a subnet: %s and %s", link.HostIP, other.HostIP)
	}
	relay := must(link.Relay(echoServer(t)))(t)

	c, err := ns.Dial(relay.Addr)
	if err != nil {
		t.Fatalf("dial the relay %s from namespace %s: %v", relay.Addr, ns.Name, err)
	}
	defer c.Close()

	plain := median(roundTrips(t, c, 20))
	if plain > 20*time.Millisecond {
		t.Errorf("unshaped link: median round trip %s, want under 20ms", plain)
	}

	ok(t, link.Shape(Impairment{Delay: 80 * time.Millisecond}))
	slow := median(roundTrips(t, c, 10))
	if slow < 80*time.Millisecond || slow > 130*time.Millisecond {
		t.Errorf("link at 80ms: median round trip %s, want 80ms to 130ms", slow)
	}
	t.Logf("link %s shaped by %s: median round trip %s unshaped, %s at 80ms", link.Name, link.Method(), plain, slow)

	// Loss: a bulk transfer through the link at 5%; the shaper's drop
	// share must be near 5% and TCP must still deliver every byte.
	ok(t, link.Shape(Impairment{Loss: 0.05}))
	before, beforeIn := link.Stats()
	payload := make([]byte, 4<<20)
	go func() { _, _ = c.Write(payload) }()
	if err := c.SetDeadline(time.Now().Add(60 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, payload); err != nil {
		t.Fatalf("4 MiB echoed through a link at 5%% loss: %v", err)
	}
	out, in := link.Stats()
	packets := out.Packets - before.Packets + in.Packets - beforeIn.Packets
	dropped := out.Dropped - before.Dropped + in.Dropped - beforeIn.Dropped
	if link.Method() == "nfqueue" {
		share := float64(dropped) / float64(packets)
		if packets < 500 || share < 0.025 || share > 0.075 {
			t.Errorf("5%% loss: %d of %d packets dropped (%.2f%%), want at least 500 packets and 2.5%% to 7.5%%", dropped, packets, 100*share)
		}
		t.Logf("5%% loss: %d of %d packets dropped (%.2f%%), 4 MiB delivered whole", dropped, packets, 100*float64(dropped)/float64(packets))
	}

	// A partition: the same connection gets no answer, and gets it once
	// the link is healed (TCP retransmits, nothing resets).
	ok(t, link.Shape(Impairment{}))
	ok(t, link.Partition())
	if err := c.SetDeadline(time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("lost?\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	var ne net.Error
	if _, err := io.ReadFull(c, buf); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("partitioned link: want a read timeout, got %v", err)
	}
	ok(t, link.Heal())
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "lost?\n" {
		t.Fatalf("healed link: want the message held during the partition, got %q, %v", buf, err)
	}
	if got := relay.Counters(); got.Conns != 1 || got.Up < 4<<20 || got.Down < 4<<20 {
		t.Errorf("relay counters %+v: want 1 connection and at least 4 MiB each way", got)
	}
}

// A test process that died without its cleanup left a namespace and a veth
// pair: the next New removes both, and leaves a live process's alone.
func TestNewRemovesWhatDeadTestsLeft(t *testing.T) {
	dead := 4_000_000
	for processAlive(dead) {
		dead++
	}
	name := "kurator-e2e-" + strconv.Itoa(dead)
	veth := vethPrefix(dead) + "1h"
	ok(t, run("ip", "netns", "add", name))
	ok(t, run("ip", "link", "add", veth, "type", "veth", "peer", "name", vethPrefix(dead)+"1n"))
	t.Cleanup(func() {
		_ = exec.Command("ip", "netns", "del", name).Run()
		_ = exec.Command("ip", "link", "del", veth).Run()
	})
	ns := NewForTest(t)
	if _, err := os.Stat("/var/run/netns/" + name); !os.IsNotExist(err) {
		t.Errorf("namespace %s of dead pid %d still there (%v)", name, dead, err)
	}
	if _, err := net.InterfaceByName(veth); err == nil {
		t.Errorf("veth %s of dead pid %d still there", veth, dead)
	}
	if _, err := os.Stat("/var/run/netns/" + ns.Name); err != nil {
		t.Errorf("this process's namespace %s: %v", ns.Name, err)
	}
}

// Do hands its thread back in the host's namespace, alive: a thread that
// ended instead would kill the processes it started with a parent-death
// signal, and one left in the namespace would run other goroutines there.
func TestDoLeavesEveryThreadInTheHostNamespace(t *testing.T) {
	ns := NewForTest(t)
	host, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	inner := make(chan string, 1)
	ok(t, ns.Do(func() error {
		l, err := os.Readlink("/proc/thread-self/ns/net")
		inner <- l
		return err
	}))
	if got := <-inner; got == host {
		t.Fatalf("fn ran in the host's namespace %s", got)
	}
	// A child started on Do's thread with a parent-death signal lives on.
	child := exec.Command("sleep", "60")
	child.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	ok(t, ns.Do(child.Start))
	t.Cleanup(func() { _ = child.Process.Kill() })
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	select {
	case err := <-exited:
		t.Fatalf("the process started on Do's thread died when Do returned: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	for range 50 {
		ok(t, ns.Do(func() error { return nil }))
	}
	errs := make(chan error, 200)
	for range 200 {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			l, err := os.Readlink("/proc/thread-self/ns/net")
			if err == nil && l != host {
				err = fmt.Errorf("a thread is in %s, not the host's %s", l, host)
			}
			errs <- err
		}()
	}
	for range 200 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// Package netem gives an e2e test slow, lossy and partitioned links of its
// own: a network namespace joined to the host by veth pairs, each pair a
// "link" whose packets can be delayed and dropped (tc netem where the
// kernel has it, else a netfilter queue shaper in the test process), and
// TCP relays on the host ends that carry the namespace's connections to
// servers on the host's loopback. Everything is made with iproute2 (and
// iptables for the queue shaper) as root, named after the test process, and
// removed when the test ends. Traffic flows only between addresses this
// package assigned.
package netem

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Check tells why this package cannot run here, or nil: it needs root,
// `ip` from iproute2 and `iptables`.
func Check() error {
	if os.Geteuid() != 0 {
		return errors.New("network namespaces and veth pairs need root")
	}
	var missing []string
	for _, bin := range []string{"ip", "iptables"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s not found: install them with `apt-get install -y --no-install-recommends iproute2 iptables`", strings.Join(missing, " and "))
	}
	return nil
}

// vethPrefix starts the names of a process's veth ends.
func vethPrefix(pid int) string { return "k" + strconv.FormatInt(int64(pid), 36) + "x" }

// removeStale deletes what test processes that died without cleaning up
// (killed, or a crashed TestMain) left: their namespaces kurator-e2e-<pid>
// and veth pairs, found by name, only when that pid runs no more.
func removeStale() {
	entries, _ := os.ReadDir("/var/run/netns")
	dead := map[int]bool{}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "kurator-e2e-")
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || processAlive(pid) {
			continue
		}
		dead[pid] = true
		_ = exec.Command("ip", "netns", "del", e.Name()).Run()
	}
	ifaces, _ := net.Interfaces()
	for _, i := range ifaces {
		for pid := range dead {
			if strings.HasPrefix(i.Name, vethPrefix(pid)) {
				_ = exec.Command("ip", "link", "del", i.Name).Run()
			}
		}
	}
}

func processAlive(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

// Namespace is a network namespace made by a test.
type Namespace struct {
	Name string

	mu       sync.Mutex
	links    []*Link
	netem    int // 0 unknown, 1 the kernel has netem, -1 it has not
	nextPair int
}

var namespaces atomic.Int32

// New makes the namespace kurator-e2e-<pid>[-n] with its loopback up.
// Close removes it with its links, shapers and relays.
func New() (*Namespace, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	name := "kurator-e2e-" + strconv.Itoa(os.Getpid())
	if n := namespaces.Add(1); n > 1 {
		name += "-" + strconv.Itoa(int(n))
	}
	removeStale()
	ns := &Namespace{Name: name}
	if err := run("ip", "netns", "add", name); err != nil {
		return nil, err
	}
	if err := run("ip", "-n", name, "link", "set", "lo", "up"); err != nil {
		return nil, errors.Join(err, ns.Close())
	}
	return ns, nil
}

// NewForTest is New, failing the test on error, with Close when the test
// ends.
func NewForTest(t testing.TB) *Namespace {
	t.Helper()
	ns, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ns.Close(); err != nil {
			t.Error(err)
		}
	})
	return ns
}

// Close stops the shapers and relays, then deletes the veth pairs and the
// namespace (deleting it would take its veth ends along; the host ends are
// deleted explicitly so that a failed namespace delete leaves no pair).
func (ns *Namespace) Close() error {
	ns.mu.Lock()
	links := ns.links
	ns.links = nil
	ns.mu.Unlock()
	var errs []error
	for _, l := range links {
		l.stop()
		if out, err := exec.Command("ip", "link", "del", l.HostIf).CombinedOutput(); err != nil && !bytes.Contains(out, []byte("Cannot find device")) {
			errs = append(errs, fmt.Errorf("remove veth %s: %v: %s", l.HostIf, err, out))
		}
	}
	if out, err := exec.Command("ip", "netns", "del", ns.Name).CombinedOutput(); err != nil {
		errs = append(errs, fmt.Errorf("remove network namespace %s: %v: %s", ns.Name, err, out))
	}
	return errors.Join(errs...)
}

// Command is name run inside the namespace (`ip netns exec`); `ip` execs
// the program, so the command's pid is the program's.
func (ns *Namespace) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// Do runs fn on an OS thread that has entered the namespace: sockets fn
// creates (net.Dial, a netlink socket) belong to the namespace for good.
// The thread goes back to the host's namespace after. It must not die
// instead: it may be the thread that started a process with a parent-death
// signal (the fleet's processes), which the kernel would then kill.
func (ns *Namespace) Do(fn func() error) error {
	target, err := os.Open("/var/run/netns/" + ns.Name)
	if err != nil {
		return fmt.Errorf("open network namespace %s: %w", ns.Name, err)
	}
	defer target.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open this thread's network namespace: %w", err)
			return
		}
		defer home.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter network namespace %s: %w", ns.Name, err)
			return
		}
		fnErr := fn()
		if err := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); err != nil {
			// Stuck in the namespace: the thread stays locked and ends
			// with this goroutine.
			errc <- errors.Join(fnErr, fmt.Errorf("leave network namespace %s: %w", ns.Name, err))
			return
		}
		runtime.UnlockOSThread()
		errc <- fnErr
	}()
	return <-errc
}

// Dial connects to addr from inside the namespace.
func (ns *Namespace) Dial(addr string) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() error {
		var err error
		c, err = net.Dial("tcp", addr)
		return err
	})
	return c, err
}

// Link is a veth pair between the host and the namespace, in a /30 of its
// own: the host end is .1 of it, the namespace end .2.
type Link struct {
	Name           string
	HostIf, NSIf   string
	HostIP, NSIP   netip.Addr
	ns             *Namespace
	pair           int
	imp            atomic.Pointer[Impairment]
	mu             sync.Mutex
	shaped         Impairment // the impairment set with Shape
	partitioned    bool
	queues         []*queue
	rules          [][]string
	relays         []*Relay
	netemInstalled bool
}

// AddLink makes a veth pair named after the namespace, with a free /30 in
// 10.<second>.0.0/16 (second 201 for a hub link, 202 for a member link,
// say), and brings both ends up.
func (ns *Namespace) AddLink(name string, second byte) (*Link, error) {
	ns.mu.Lock()
	ns.nextPair++
	pair := ns.nextPair
	ns.mu.Unlock()
	host, inner, err := freeSubnet(second, os.Getpid()+pair)
	if err != nil {
		return nil, err
	}
	// Interface names are at most 15 bytes: k<pid base 36>x<pair>h|n.
	base := vethPrefix(os.Getpid()) + strconv.Itoa(pair)
	l := &Link{Name: name, HostIf: base + "h", NSIf: base + "n", HostIP: host, NSIP: inner, ns: ns, pair: pair}
	l.imp.Store(&Impairment{})
	if err := run("ip", "link", "add", l.HostIf, "type", "veth", "peer", "name", l.NSIf); err != nil {
		return nil, err
	}
	ns.mu.Lock()
	ns.links = append(ns.links, l)
	ns.mu.Unlock()
	for _, args := range [][]string{
		{"link", "set", l.NSIf, "netns", ns.Name},
		{"addr", "add", host.String() + "/30", "dev", l.HostIf},
		{"link", "set", l.HostIf, "up"},
		{"-n", ns.Name, "addr", "add", inner.String() + "/30", "dev", l.NSIf},
		{"-n", ns.Name, "link", "set", l.NSIf, "up"},
	} {
		if err := run("ip", args...); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// freeSubnet picks a /30 in 10.<second>.0.0/16 that no interface of the
// host uses, starting from a place given by seed (the test's pid), so that
// concurrent test processes do not collide.
func freeSubnet(second byte, seed int) (host, inner netip.Addr, err error) {
	used := map[netip.Prefix]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return host, inner, err
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP.To4()); ok {
				p, _ := ip.Prefix(30)
				used[p] = true
			}
		}
	}
	const slots = 1 << 14 // /30s in a /16
	for i := range slots {
		s := (seed + i) % slots
		base := netip.AddrFrom4([4]byte{10, second, byte(s >> 6), byte(s&63) << 2})
		if p, _ := base.Prefix(30); !used[p] {
			return base.Next(), base.Next().Next(), nil
		}
	}
	return host, inner, fmt.Errorf("no free /30 in 10.%d.0.0/16", second)
}

// Shape sets the link's delay and loss (both directions); the zero
// Impairment makes it a plain veth again. A partitioned link stays
// partitioned, with the new impairment after Heal.
func (l *Link) Shape(imp Impairment) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.shaped = imp
	if l.partitioned {
		return nil
	}
	if err := l.apply(imp); err != nil {
		return fmt.Errorf("shape link %s (%s): %w", l.Name, imp, err)
	}
	return nil
}

// Partition drops every packet of the link, both ways, as a cut cable or
// a firewall would: connections hang rather than fail at once.
func (l *Link) Partition() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partitioned = true
	if err := l.apply(Impairment{Loss: 1}); err != nil {
		return fmt.Errorf("partition link %s: %w", l.Name, err)
	}
	return nil
}

// Heal ends a partition: the link is as Shape last left it.
func (l *Link) Heal() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partitioned = false
	if err := l.apply(l.shaped); err != nil {
		return fmt.Errorf("heal link %s: %w", l.Name, err)
	}
	return nil
}

// Method tells how the link is shaped: "tc netem" or "nfqueue" (the
// kernel has no netem), or "" while it has never been shaped.
func (l *Link) Method() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.netemInstalled:
		return "tc netem"
	case len(l.queues) > 0:
		return "nfqueue"
	}
	return ""
}

// Stats counts the packets the queue shaper saw and dropped, from the
// namespace's side: Out leaves the namespace, In enters it. Zero with tc
// netem (the kernel counts those: `tc -s qdisc`).
func (l *Link) Stats() (out, in DirectionStats) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queues) == 2 {
		return l.queues[0].stats(), l.queues[1].stats()
	}
	return out, in
}

func (l *Link) apply(imp Impairment) error {
	if l.ns.hasNetem() {
		for _, args := range [][]string{
			{"ip", "netns", "exec", l.ns.Name, "tc", "qdisc", "replace", "dev", l.NSIf, "root", "netem"},
			{"tc", "qdisc", "replace", "dev", l.HostIf, "root", "netem"},
		} {
			args = append(args, "delay", netemDuration(imp.Delay/2), "loss", strconv.FormatFloat(100*imp.Loss, 'f', -1, 64)+"%")
			if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
				return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
			}
		}
		l.netemInstalled = true
		return nil
	}
	l.imp.Store(&imp)
	if len(l.queues) == 0 {
		return l.startQueues()
	}
	return nil
}

func netemDuration(d time.Duration) string {
	return strconv.FormatInt(d.Microseconds(), 10) + "us"
}

// hasNetem tries a netem qdisc once on the namespace's loopback.
func (ns *Namespace) hasNetem() bool {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.netem == 0 {
		ns.netem = -1
		if exec.Command("ip", "netns", "exec", ns.Name, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "0ms").Run() == nil {
			ns.netem = 1
			_ = exec.Command("ip", "netns", "exec", ns.Name, "tc", "qdisc", "del", "dev", "lo", "root").Run()
		}
	}
	return ns.netem == 1
}

// startQueues binds two netfilter queues in the namespace (out of it and
// into it through the link) and sends the link's packets there.
func (l *Link) startQueues() error {
	first := uint16(2 * (l.pair - 1))
	for i := range uint16(2) {
		var q *queue
		err := l.ns.Do(func() error {
			var err error
			q, err = openQueue(first+i, &l.imp)
			return err
		})
		if err != nil {
			return err
		}
		l.queues = append(l.queues, q)
	}
	rules := [][]string{
		{"OUTPUT", "-o", l.NSIf, "-j", "NFQUEUE", "--queue-num", strconv.Itoa(int(first))},
		{"INPUT", "-i", l.NSIf, "-j", "NFQUEUE", "--queue-num", strconv.Itoa(int(first + 1))},
	}
	for _, r := range rules {
		args := append([]string{"netns", "exec", l.ns.Name, "iptables", "-w", "-A"}, r...)
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		l.rules = append(l.rules, r)
	}
	return nil
}

// stop removes the rules that feed the queues, then closes the queues and
// the relays.
func (l *Link) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.rules {
		_ = exec.Command("ip", append([]string{"netns", "exec", l.ns.Name, "iptables", "-w", "-D"}, r...)...).Run()
	}
	l.rules = nil
	for _, q := range l.queues {
		q.close()
	}
	l.queues = nil
	for _, r := range l.relays {
		r.Close()
	}
	l.relays = nil
}

func run(name string, args ...string) error {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

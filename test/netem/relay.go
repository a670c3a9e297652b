package netem

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Relay listens on a link's host end and carries every connection the
// namespace opens to it on to a target on the host (a loopback API server),
// byte for byte: TLS stays end to end, so a client in the namespace checks
// the server's certificate (set its TLS server name to the address the
// certificate names, 127.0.0.1) and the server sees the client's
// certificate. It counts connections and bytes each way: what the link
// carried.
type Relay struct {
	// Addr is host:port in the link's subnet, what the namespace dials.
	Addr   string
	Target string

	ln        net.Listener
	conns     atomic.Int64
	up, down  atomic.Int64
	mu        sync.Mutex
	open      map[net.Conn]struct{}
	closed    bool
	wg        sync.WaitGroup
	onceClose sync.Once
}

// Counters is what a relay has carried since it started: connections
// accepted, bytes from the namespace (Up) and to it (Down).
type Counters struct {
	Conns    int64
	Up, Down int64
}

// Sub is the traffic between two readings.
func (c Counters) Sub(earlier Counters) Counters {
	return Counters{Conns: c.Conns - earlier.Conns, Up: c.Up - earlier.Up, Down: c.Down - earlier.Down}
}

// Relay starts a relay on the link's host address (a free port) to target,
// e.g. "127.0.0.1:6443". It stops with Close or the namespace's Close.
func (l *Link) Relay(target string) (*Relay, error) {
	ln, err := net.Listen("tcp", netip.AddrPortFrom(l.HostIP, 0).String())
	if err != nil {
		return nil, fmt.Errorf("relay on link %s: %w", l.Name, err)
	}
	r := &Relay{Addr: ln.Addr().String(), Target: target, ln: ln, open: map[net.Conn]struct{}{}}
	l.mu.Lock()
	l.relays = append(l.relays, r)
	l.mu.Unlock()
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

// Counters reads the relay's counters.
func (r *Relay) Counters() Counters {
	return Counters{Conns: r.conns.Load(), Up: r.up.Load(), Down: r.down.Load()}
}

// Close stops accepting and closes every open connection.
func (r *Relay) Close() {
	r.onceClose.Do(func() {
		r.ln.Close()
		r.mu.Lock()
		r.closed = true
		for c := range r.open {
			c.Close()
		}
		r.mu.Unlock()
		r.wg.Wait()
	})
}

func (r *Relay) serve() {
	defer r.wg.Done()
	for {
		in, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.conns.Add(1)
		r.wg.Add(1)
		go r.carry(in)
	}
}

// track remembers an open connection; false when the relay is closing.
func (r *Relay) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.open[c] = struct{}{}
	return true
}

func (r *Relay) untrack(c net.Conn) {
	r.mu.Lock()
	delete(r.open, c)
	r.mu.Unlock()
}

// carry copies both ways until either side closes; then it closes both,
// as a middlebox does.
func (r *Relay) carry(in net.Conn) {
	defer r.wg.Done()
	defer in.Close()
	if !r.track(in) {
		return
	}
	defer r.untrack(in)
	out, err := net.Dial("tcp", r.Target)
	if err != nil {
		return
	}
	defer out.Close()
	if !r.track(out) {
		return
	}
	defer r.untrack(out)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn, n *atomic.Int64) {
		_, _ = io.Copy(counting{dst, n}, src)
		// Half-close would keep a dead peer's other half open for ever.
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go pipe(out, in, &r.up)
	go pipe(in, out, &r.down)
	<-done
	<-done
}

// counting adds what it writes to n.
type counting struct {
	w io.Writer
	n *atomic.Int64
}

func (c counting) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	c.n.Add(int64(k))
	return k, err
}

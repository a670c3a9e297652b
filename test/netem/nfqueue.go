package netem

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The kernels this project's machines run have no netem qdisc
// (CONFIG_NET_SCH_NETEM is not set), but they have netfilter's NFQUEUE
// target. A queue shaper holds every packet the kernel hands it (real
// packets of a veth, the kernel's own TCP on both sides) and gives the
// verdict later: accept after the delay, or drop with the loss probability.
// That is what netem does inside the kernel, moved to this process.

// Netlink and nfnetlink_queue constants (linux/netfilter/nfnetlink_queue.h).
const (
	netlinkNetfilter = 12 // NETLINK_NETFILTER
	nfnlSubsysQueue  = 3  // NFNL_SUBSYS_QUEUE

	nfqnlMsgPacket  = 0 // NFQNL_MSG_PACKET
	nfqnlMsgVerdict = 1 // NFQNL_MSG_VERDICT
	nfqnlMsgConfig  = 2 // NFQNL_MSG_CONFIG

	nfqaPacketHdr  = 1 // NFQA_PACKET_HDR
	nfqaVerdictHdr = 2 // NFQA_VERDICT_HDR

	nfqaCfgCmd      = 1 // NFQA_CFG_CMD
	nfqaCfgParams   = 2 // NFQA_CFG_PARAMS
	nfqaCfgQueueMax = 3 // NFQA_CFG_QUEUE_MAXLEN

	nfqnlCfgCmdBind = 1 // NFQNL_CFG_CMD_BIND
	nfqnlCopyMeta   = 1 // NFQNL_COPY_META: the packet header only, no payload

	nfDrop   = 0 // NF_DROP
	nfAccept = 1 // NF_ACCEPT

	nlmFRequest = 0x1 // NLM_F_REQUEST
	nlmFAck     = 0x4 // NLM_F_ACK
	nlmsgError  = 0x2 // NLMSG_ERROR

	netlinkNoENOBUFS = 5 // NETLINK_NO_ENOBUFS

	// queueMaxLen bounds the packets held at once per direction: at 100 ms
	// one way and a busy link a few thousand are in flight.
	queueMaxLen = 16384
)

// Impairment is what a link does to its packets. Delay is added to the
// round trip, half to each direction (a link "at 80 ms" pings 80 ms more);
// Loss is the probability that a packet is dropped, in each direction.
type Impairment struct {
	Delay time.Duration
	Loss  float64
}

func (i Impairment) String() string {
	return fmt.Sprintf("%s round trip, %.3g%% loss", i.Delay, 100*i.Loss)
}

// DirectionStats counts what a shaper did to one direction of a link.
type DirectionStats struct {
	Packets, Dropped uint64
}

// queue is one nfnetlink queue: the packets of one direction of a link.
type queue struct {
	num  uint16
	file *os.File
	// imp is the link's impairment; each direction holds its packets for
	// half the round-trip delay.
	imp              *atomic.Pointer[Impairment]
	packets, dropped atomic.Uint64

	pending chan held
	writeMu sync.Mutex
	seq     uint32
	done    chan struct{}
	wg      sync.WaitGroup
}

// held is a packet waiting for its verdict.
type held struct {
	id  uint32
	due time.Time
}

// openQueue binds queue num of the calling thread's network namespace (see
// Namespace.Do) and starts giving verdicts by imp.
func openQueue(num uint16, imp *atomic.Pointer[Impairment]) (*queue, error) {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, netlinkNetfilter)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("bind netlink socket: %w", err)
	}
	// A full socket buffer would drop queued packets unseen; root may
	// raise the limit past rmem_max.
	_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, 16<<20)
	_ = syscall.SetsockoptInt(fd, unix.SOL_NETLINK, netlinkNoENOBUFS, 1)
	q := &queue{num: num, imp: imp, pending: make(chan held, queueMaxLen), done: make(chan struct{})}
	// Configure with blocking calls, so each request's acknowledgement is
	// read right after it.
	cfg := [][]byte{
		nlattr(nfqaCfgCmd, []byte{nfqnlCfgCmdBind, 0, 0, syscall.AF_INET}),
		nlattr(nfqaCfgParams, []byte{0, 0, 0, 0, nfqnlCopyMeta}),
		nlattr(nfqaCfgQueueMax, be32(queueMaxLen)),
	}
	for _, attr := range cfg {
		if err := q.request(fd, attr); err != nil {
			syscall.Close(fd)
			return nil, fmt.Errorf("configure nfqueue %d: %w", num, err)
		}
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	q.file = os.NewFile(uintptr(fd), fmt.Sprintf("nfqueue-%d", num))
	q.wg.Add(2)
	go q.read()
	go q.release()
	return q, nil
}

// request sends one config message and waits for its acknowledgement.
func (q *queue) request(fd int, attr []byte) error {
	q.seq++
	msg := nlmsg(nfqnlMsgConfig, nlmFRequest|nlmFAck, q.seq, syscall.AF_UNSPEC, q.num, attr)
	if err := syscall.Sendto(fd, msg, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 8192)
	n, _, err := syscall.Recvfrom(fd, buf, 0)
	if err != nil {
		return err
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Header.Type == nlmsgError && len(m.Data) >= 4 {
			if code := int32(binary.NativeEndian.Uint32(m.Data[:4])); code != 0 {
				return syscall.Errno(-code)
			}
			return nil
		}
	}
	return errors.New("no acknowledgement from the kernel")
}

// read takes the kernel's packets: drops the unlucky ones at once and
// hands the others to release in arrival order.
func (q *queue) read() {
	defer q.wg.Done()
	defer close(q.pending)
	buf := make([]byte, 1<<16)
	for {
		n, err := q.file.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			continue // ENOBUFS and the like: the next read goes on
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			continue
		}
		now := time.Now()
		imp := *q.imp.Load()
		for _, m := range msgs {
			if m.Header.Type != nfnlSubsysQueue<<8|nfqnlMsgPacket {
				continue
			}
			id, ok := packetID(m.Data)
			if !ok {
				continue
			}
			q.packets.Add(1)
			if imp.Loss > 0 && rand.Float64() < imp.Loss {
				q.dropped.Add(1)
				q.verdict(id, nfDrop)
				continue
			}
			select {
			case q.pending <- held{id: id, due: now.Add(imp.Delay / 2)}:
			case <-q.done:
				return
			}
		}
	}
}

// release accepts each held packet when its time has come. The delay is
// the same for every packet of a burst, so arrival order is due order.
func (q *queue) release() {
	defer q.wg.Done()
	for p := range q.pending {
		if d := time.Until(p.due); d > 0 {
			select {
			case <-time.After(d):
			case <-q.done:
				return
			}
		}
		q.verdict(p.id, nfAccept)
	}
}

func (q *queue) verdict(id uint32, verdict uint32) {
	q.writeMu.Lock()
	defer q.writeMu.Unlock()
	q.seq++
	hdr := append(be32(verdict), be32(id)...)
	_, _ = q.file.Write(nlmsg(nfqnlMsgVerdict, nlmFRequest, q.seq, syscall.AF_UNSPEC, q.num, nlattr(nfqaVerdictHdr, hdr)))
}

// close stops taking packets. The caller removes the rules that queue
// packets here first: a bound queue without a reader drops them.
func (q *queue) close() {
	close(q.done)
	q.file.Close()
	q.wg.Wait()
}

func (q *queue) stats() DirectionStats {
	return DirectionStats{Packets: q.packets.Load(), Dropped: q.dropped.Load()}
}

// packetID finds NFQA_PACKET_HDR's packet id in an NFQNL_MSG_PACKET body
// (after the 4-byte nfgenmsg).
func packetID(data []byte) (uint32, bool) {
	if len(data) < 4 {
		return 0, false
	}
	attrs := data[4:]
	for len(attrs) >= 4 {
		l := int(binary.NativeEndian.Uint16(attrs[0:2]))
		typ := binary.NativeEndian.Uint16(attrs[2:4]) &^ (1<<15 | 1<<14) // NLA_F_NESTED, NLA_F_NET_BYTEORDER
		if l < 4 || l > len(attrs) {
			return 0, false
		}
		if typ == nfqaPacketHdr && l >= 8 {
			return binary.BigEndian.Uint32(attrs[4:8]), true
		}
		next := align4(l)
		if next >= len(attrs) {
			break
		}
		attrs = attrs[next:]
	}
	return 0, false
}

func align4(n int) int { return (n + 3) &^ 3 }

// nlmsg builds one nfnetlink message: nlmsghdr, nfgenmsg (version 0,
// res_id the queue number, big-endian), then the attributes.
func nlmsg(msgType uint16, flags uint16, seq uint32, family uint8, resID uint16, attrs ...[]byte) []byte {
	body := []byte{family, 0, byte(resID >> 8), byte(resID)}
	for _, a := range attrs {
		body = append(body, a...)
	}
	msg := make([]byte, syscall.NLMSG_HDRLEN, syscall.NLMSG_HDRLEN+len(body))
	binary.NativeEndian.PutUint32(msg[0:4], uint32(syscall.NLMSG_HDRLEN+len(body)))
	binary.NativeEndian.PutUint16(msg[4:6], nfnlSubsysQueue<<8|msgType)
	binary.NativeEndian.PutUint16(msg[6:8], flags)
	binary.NativeEndian.PutUint32(msg[8:12], seq)
	binary.NativeEndian.PutUint32(msg[12:16], 0)
	return append(msg, body...)
}

// nlattr builds one netlink attribute, padded to 4 bytes.
func nlattr(typ uint16, payload []byte) []byte {
	a := make([]byte, 4, align4(4+len(payload)))
	binary.NativeEndian.PutUint16(a[0:2], uint16(4+len(payload)))
	binary.NativeEndian.PutUint16(a[2:4], typ)
	a = append(a, payload...)
	for len(a)%4 != 0 {
		a = append(a, 0)
	}
	return a
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

package rawsock

import (
	"net/netip"
	"time"

	"github.com/socklab/socklab/families"
)

// Two echo servers on one protocol bounce a packet between them for ever,
// each taking the other's echo for a request: two ip4 serve instances did
// 1,530 echoes in 43 ms from one packet, and one server alone answered its
// own echoes once more than 64 were in flight. So every echo ip4 serve
// sends carries a mark, and no ip4 serve echoes a marked packet:
//
// The mark is the echo's IP ID: echoMark, a 16-bit hash of its source,
// destination, protocol and payload. A receiver computes it from the
// packet alone, with no state and no secret, so any ip4 serve, on this
// host or another, recognises any other's echo (and its own, however many
// are in flight), and the echo keeps the header and payload of an ordinary
// packet. A client's packet carries its mark by chance once in 65,536
// (another --id avoids it); such a packet is reported, not echoed.
//
// A reflector that rewrites the ID (another program, or a NAT that
// randomises IDs) loses the mark. Against a loop through one of those,
// repeats counts packets with the same source, protocol and payload: more
// than repeatLimit within repeatWindow are a loop, and not echoed.

// echoMark is the IP ID ip4 serve gives an echo from src to dst of proto
// carrying payload; never 0, which the kernel would replace.
func echoMark(src, dst netip.Addr, proto int, payload []byte) int {
	s, d := src.As4(), dst.As4()
	h := fnv64(fnvOffset, []byte("ip4 serve echo mark"))
	h = fnv64(h, s[:])
	h = fnv64(h, d[:])
	h = fnv64(h, []byte{byte(proto)})
	h = fnv64(h, payload)
	m := int(uint16(h ^ h>>16 ^ h>>32 ^ h>>48))
	if m == 0 {
		m = 1
	}
	return m
}

// hasEchoMark reports whether d is an echo from an ip4 serve: its ID is
// its mark.
func hasEchoMark(d *DecodedIPv4) bool {
	h := d.Header
	return h.ID == echoMark(addrOf(h.Src), addrOf(h.Dst), h.Protocol, d.Payload)
}

const fnvOffset = 14695981039346656037

// fnv64 continues FNV-1a hash h over b.
func fnv64(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// repeats counts, per source, protocol and payload, the packets of the
// current window, in a table of fixed size: sources whose keys meet in a
// slot share it, so a flood of forged sources cannot grow it.
type repeats struct {
	slots [1024]repeatSlot
}

type repeatSlot struct {
	key   uint64
	start int64
	n     int
}

const (
	repeatWindow = time.Second
	// repeatLimit is well above what a person or a script repeats by hand
	// and far below a loop's thousands a second.
	repeatLimit = 16
)

// loop counts a packet of d at now, and reports whether it is one too many
// of its kind within repeatWindow.
func (r *repeats) loop(d *DecodedIPv4, now time.Time) bool {
	h := d.Header
	var b [5]byte
	copy(b[:4], h.Src.To4())
	b[4] = byte(h.Protocol)
	key := fnv64(fnv64(fnvOffset, b[:]), d.Payload) | 1
	sl := &r.slots[key%uint64(len(r.slots))]
	t := now.UnixNano()
	if sl.key != key || t-sl.start > int64(repeatWindow) {
		*sl = repeatSlot{key: key, start: t}
	}
	sl.n++
	return sl.n > repeatLimit
}

// ip4Verdict is whether ip4 serve echoes a packet, and if not, why.
type ip4Verdict uint8

const (
	ip4Echo ip4Verdict = iota
	ip4DropEcho
	ip4DropBroadcast
	ip4DropNotLocal
	ip4DropBadSource
	ip4DropLoop
)

// String names v as IP4Dropped's JSON does.
func (v ip4Verdict) String() string {
	return [...]string{"", "echo", "broadcast", "not_local", "bad_source", "loop"}[v]
}

// IP4Dropped counts the packets ip4 serve read and did not echo, by why.
type IP4Dropped struct {
	Echo      uint64 `json:"echo"`       // an echo: it carries ip4 serve's mark
	Broadcast uint64 `json:"broadcast"`  // sent to a broadcast or multicast address
	NotLocal  uint64 `json:"not_local"`  // sent to an address that is not this host's
	BadSource uint64 `json:"bad_source"` // from an unspecified, broadcast or multicast address
	Loop      uint64 `json:"loop"`       // the same payload from the same source too often
}

// Total is the sum of the counts.
func (d IP4Dropped) Total() uint64 { return d.Echo + d.Broadcast + d.NotLocal + d.BadSource + d.Loop }

func (d *IP4Dropped) count(v ip4Verdict) {
	switch v {
	case ip4DropEcho:
		d.Echo++
	case ip4DropBroadcast:
		d.Broadcast++
	case ip4DropNotLocal:
		d.NotLocal++
	case ip4DropBadSource:
		d.BadSource++
	case ip4DropLoop:
		d.Loop++
	}
}

// verdict decides whether to echo d, read at now: not an echo, sent to
// one of this host's unicast addresses (an echo goes out from the address
// the packet was sent to), from an address that can take the echo, and no
// loop.
func (s *ip4Server) verdict(d *DecodedIPv4, now time.Time) ip4Verdict {
	if hasEchoMark(d) {
		return ip4DropEcho
	}
	switch s.host.Kind(addrOf(d.Header.Dst), now) {
	case families.AddrBroadcast:
		return ip4DropBroadcast
	case families.AddrOther:
		return ip4DropNotLocal
	}
	if s.host.BadSource(addrOf(d.Header.Src), now) {
		return ip4DropBadSource
	}
	if s.loops.loop(d, now) {
		return ip4DropLoop
	}
	return ip4Echo
}

// ownEcho reports whether d is an echo this server sent, which loopback
// hands back to it: marked, with an ID it used lately. (One it sent
// longer ago is still marked, so reported as an echo and not echoed.)
func (s *ip4Server) ownEcho(d *DecodedIPv4) bool {
	return s.mine.has(d.Header.ID) && hasEchoMark(d)
}

package echo

import (
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/socklab/socklab/families"
)

// An echo server is the classic reflection tool (inetd's echo and chargen,
// CVE-1999-0103): a forged source makes it send to a victim, and a source
// that is another echo server, or itself, makes two servers answer each
// other for ever. The guard decides, per datagram and before any reply,
// whether the server answers. By default it drops datagrams
//
//   - from the server's own address, port 0, or a port below 1024 (the
//     well-known services: echo, chargen, daytime, DNS, NTP ...), as
//     inetd's loop check does;
//   - from a broadcast, multicast or unspecified address, which no sender
//     really has;
//   - from its own port on another host: the same service elsewhere, the
//     other end of a loop, since clients send from ephemeral ports;
//   - that end with the reply the server last sent their sender, within
//     loopWindow: the server's own reply reflected back by another echo
//     server, with its prefix added or not, the start of a loop. A reply
//     without a prefix (--reply echo) repeated by a sender on an ephemeral
//     port is answered: a client may well send the same datagram twice.
//     Unix senders are left out: their addresses cannot be forged.
//
// and, as Policy asks, those from sources not allowed, and those over a
// per-source rate.

// Policy is who a server answers beyond the default checks.
type Policy struct {
	// Allow, when not empty, answers only IP sources inside one of the
	// prefixes; Deny drops IP sources inside one. Dropped datagrams are
	// counted, never answered.
	Allow, Deny []netip.Prefix
	// AllowUID and AllowGID, when not empty, answer only unix senders
	// whose credentials (SO_PASSCRED) carry one of the IDs.
	AllowUID, AllowGID []int
	// Rate, when positive, answers each source (an IP address, or a unix
	// sender's name) at most Rate datagrams per second on average, with
	// bursts of Burst (Rate when 0): a token bucket per source. At most
	// maxTracked sources are tracked; past that, sources share buckets.
	Rate  float64
	Burst float64
}

// Dropped counts the datagrams a server read and did not answer, by why.
type Dropped struct {
	Self        uint64 `json:"self"`         // from the server's own address
	Service     uint64 `json:"service"`      // from port 0 or a port below 1024
	Broadcast   uint64 `json:"broadcast"`    // from a broadcast, multicast or unspecified address
	Loop        uint64 `json:"loop"`         // the server's own reply reflected back
	Denied      uint64 `json:"denied"`       // outside Policy's allow lists, or in Deny
	RateLimited uint64 `json:"rate_limited"` // over Policy.Rate
}

// Total is the sum of the counts.
func (d Dropped) Total() uint64 {
	return d.Self + d.Service + d.Broadcast + d.Loop + d.Denied + d.RateLimited
}

func (d *Dropped) add(o Dropped) {
	d.Self += o.Self
	d.Service += o.Service
	d.Broadcast += o.Broadcast
	d.Loop += o.Loop
	d.Denied += o.Denied
	d.RateLimited += o.RateLimited
}

// verdict is the guard's answer for one datagram.
type verdict uint8

const (
	answer verdict = iota
	dropSelf
	dropService
	dropBroadcast
	dropLoop
	dropDenied
	dropRateLimited
)

func (d *Dropped) count(v verdict) {
	switch v {
	case dropSelf:
		d.Self++
	case dropService:
		d.Service++
	case dropBroadcast:
		d.Broadcast++
	case dropLoop:
		d.Loop++
	case dropDenied:
		d.Denied++
	case dropRateLimited:
		d.RateLimited++
	}
}

// source is one datagram's sender as the guard sees it.
type source struct {
	ap       netip.AddrPort // an IP sender; invalid for unix
	portless bool           // a raw or ICMP socket's sender: ap has no port
	key      uint64         // the sender's identity: a hash of its address
	hasCred  bool           // a unix sender's credentials are known
	uid, gid int
}

// guard holds the server's addresses, its policy and the state of the
// loop check and the rate limiter, in tables of fixed size.
type guard struct {
	policy Policy
	eph    [2]uint16 // the ephemeral port range clients send from
	port   uint16    // the server's own port
	// host is this host's addresses and broadcast addresses, for the
	// self and broadcast checks, read again as they change; nil for a
	// server on loopback, which hears only loopback.
	host  *families.HostAddrs
	loops []loopSlot     // direct-mapped by the sender's key
	rates []bucketSlot   // direct-mapped; nil without Policy.Rate
	local netip.AddrPort // the bound address, for Self on a single address
}

const (
	loopSlots  = 4096
	maxTracked = 1 << 16
	// loopWindow is how recent a reply must be for its echo to count as
	// a loop: echo servers bounce within a round trip, while a person
	// who sends the same message again, or a client that retries, waits
	// longer than this.
	loopWindow = 250 * time.Millisecond
)

// newGuard prepares the checks for a server bound to local (the zero
// AddrPort for a unix socket).
func newGuard(local net.Addr, p Policy) *guard {
	g := &guard{policy: p, loops: make([]loopSlot, loopSlots), eph: ephemeralPorts()}
	if ua, ok := local.(*net.UDPAddr); ok {
		g.local = ua.AddrPort()
		g.port = g.local.Port()
		if exposed(local) {
			// Only a server others can reach needs this host's
			// addresses (a netlink dump): loopback hears loopback.
			g.host = families.NewHostAddrs()
		}
	}
	if p.Rate > 0 {
		g.rates = make([]bucketSlot, maxTracked)
		if g.policy.Burst <= 0 {
			g.policy.Burst = max(p.Rate, 1)
		}
	}
	return g
}

// ephemeralPorts is net.ipv4.ip_local_port_range, the ports the kernel
// gives sockets that do not bind one (Linux's default when unreadable).
func ephemeralPorts() [2]uint16 {
	r := [2]uint16{32768, 60999}
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return r
	}
	var lo, hi uint16
	if _, err := fmt.Sscan(string(b), &lo, &hi); err == nil && lo <= hi {
		r = [2]uint16{lo, hi}
	}
	return r
}

// ephemeral reports whether port is one the kernel hands out to clients.
func (g *guard) ephemeral(port uint16) bool { return port >= g.eph[0] && port <= g.eph[1] }

// check is the verdict on a datagram from src of size bytes, data its
// start as read, at now.
func (g *guard) check(src *source, data []byte, size int, now int64) verdict {
	if v := g.checkSender(src, now); v != answer {
		return v
	}
	return g.checkDatagram(src, data, size, now)
}

// checkSender is the verdict on src itself at now, whatever it sends: it
// depends only on the address (or a unix sender's credentials), the
// policy and this host's addresses, so a caller may keep it for the
// sender's next datagrams of the moment.
func (g *guard) checkSender(src *source, now int64) verdict {
	if src.ap.IsValid() {
		return g.checkIP(src.ap, src.portless, now)
	}
	if !g.unixAllowed(src) {
		return dropDenied
	}
	return answer
}

// checkDatagram is the verdict on one datagram from a sender that
// checkSender let through: is it the server's own reply coming back, and
// is the sender within its rate.
func (g *guard) checkDatagram(src *source, data []byte, size int, now int64) verdict {
	if g.loopCounts(src, g.loops[src.key%loopSlots].prefixed) && g.isLoop(src.key, data, size, now) {
		return dropLoop
	}
	if g.rates != nil && !g.take(src, now) {
		return dropRateLimited
	}
	return answer
}

// checkIP applies the checks on an IP sender's address.
func (g *guard) checkIP(ap netip.AddrPort, portless bool, now int64) verdict {
	ip := ap.Addr().Unmap()
	switch {
	case portless:
		// A raw or ICMP sender has no port: only its address counts.
	case ap.Port() < 1024:
		return dropService
	case ap.Port() == g.port && g.isOwn(ip, now):
		return dropSelf
	case ap.Port() == g.port:
		return dropLoop
	}
	switch {
	case ip.IsMulticast() || ip.IsUnspecified() || g.isBroadcast(ip, now):
		return dropBroadcast
	case !g.allowed(ip):
		return dropDenied
	}
	return answer
}

// isBroadcast reports whether ip is a broadcast address: the limited
// one, or one of this host's interfaces' at now.
func (g *guard) isBroadcast(ip netip.Addr, now int64) bool {
	if g.host != nil {
		return g.host.Kind(ip, time.Unix(0, now)) == families.AddrBroadcast
	}
	return ip == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// isOwn reports whether ip is the server's address: the one it is bound
// to, or any of this host's at now when it is bound to a wildcard.
func (g *guard) isOwn(ip netip.Addr, now int64) bool {
	if b := g.local.Addr().Unmap(); !b.IsUnspecified() {
		return b == ip
	}
	if g.host != nil {
		return g.host.Kind(ip, time.Unix(0, now)) == families.AddrLocal
	}
	return ip.IsLoopback()
}

func (g *guard) allowed(ip netip.Addr) bool {
	for _, p := range g.policy.Deny {
		if p.Contains(ip) {
			return false
		}
	}
	if len(g.policy.Allow) == 0 {
		return true
	}
	for _, p := range g.policy.Allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// unixAllowed applies AllowUID and AllowGID to a unix sender; a sender
// whose credentials are unknown is allowed only when neither is set.
func (g *guard) unixAllowed(src *source) bool {
	if len(g.policy.AllowUID) == 0 && len(g.policy.AllowGID) == 0 {
		return true
	}
	if !src.hasCred {
		return false
	}
	return (len(g.policy.AllowUID) == 0 || slices.Contains(g.policy.AllowUID, src.uid)) &&
		(len(g.policy.AllowGID) == 0 || slices.Contains(g.policy.AllowGID, src.gid))
}

// loopSlot remembers the last reply sent to one sender: its length, its
// first 32 and last 16 bytes (where a bench's or sockperf's sequence and
// time stamp are), and when.
type loopSlot struct {
	key      uint64
	at       int64
	n        int
	prefixed bool // the reply added a prefix to the request
	head     [32]byte
	tail     [16]byte
}

// loopCounts reports whether src repeating the server's last reply to it
// (prefixed or not) would be a loop: see the rules at the top. An IP
// sender only; a bare echo repeated from an ephemeral port is a client's.
func (g *guard) loopCounts(src *source, prefixed bool) bool {
	return src.ap.IsValid() && (prefixed || src.portless || !g.ephemeral(src.ap.Port()))
}

// sent records that the server replied reply (prefix, then data) to src
// at now. A reply whose repetition would not count (see loopCounts) is
// recorded as empty, which never matches: the common case, a client's
// echo, copies nothing.
func (g *guard) sent(src *source, prefix, data []byte, now int64) {
	s := &g.loops[src.key%loopSlots]
	s.key, s.at, s.n, s.prefixed = src.key, now, len(prefix)+len(data), len(prefix) > 0
	if !g.loopCounts(src, s.prefixed) {
		s.n = 0
		return
	}
	s.head, s.tail = [32]byte{}, [16]byte{}
	fillHead(s.head[:], prefix, data)
	fillTail(s.tail[:], prefix, data)
}

// isLoop reports whether data (of full length size) ends with the reply
// the server last sent to key, within loopWindow. An empty reply is never
// matched: a client may well send two empty datagrams.
func (g *guard) isLoop(key uint64, data []byte, size int, now int64) bool {
	s := &g.loops[key%loopSlots]
	if s.key != key || s.n == 0 || size < s.n || size != len(data) || now-s.at > int64(loopWindow) {
		return false
	}
	var head [32]byte
	var tail [16]byte
	region := data[size-s.n:]
	fillHead(head[:], nil, region)
	fillTail(tail[:], nil, region)
	return head == s.head && tail == s.tail
}

// fillHead copies the first bytes of prefix+data into dst.
func fillHead(dst, prefix, data []byte) {
	n := copy(dst, prefix)
	copy(dst[n:], data)
}

// fillTail copies the last bytes of prefix+data into the end of dst.
func fillTail(dst, prefix, data []byte) {
	n := len(prefix) + len(data)
	k := min(len(dst), n)
	// The last k bytes: some of prefix's end, then data.
	fromData := min(k, len(data))
	copy(dst[len(dst)-fromData:], data[len(data)-fromData:])
	if rest := k - fromData; rest > 0 {
		copy(dst[len(dst)-k:], prefix[len(prefix)-rest:])
	}
}

// bucketSlot is one token bucket of the rate limiter.
type bucketSlot struct {
	key    uint64
	tokens float64
	at     int64
}

// take spends one token of src's bucket at now, and reports whether there
// was one. Sources whose keys meet in one slot share it, so the table
// never grows.
func (g *guard) take(src *source, now int64) bool {
	key := src.key
	if src.ap.IsValid() {
		key = addrKey(src.ap.Addr()) // per address, whatever the port
	}
	b := &g.rates[key%maxTracked]
	if b.key != key || b.at == 0 {
		*b = bucketSlot{key: key, tokens: g.policy.Burst, at: now}
	}
	elapsed := float64(now-b.at) / 1e9
	b.tokens = math.Min(g.policy.Burst, b.tokens+elapsed*g.policy.Rate)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// hashBytes is FNV-1a over b, a string or its bytes (no conversion): the
// identity of a sender's address.
func hashBytes[T string | []byte](b T) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(b); i++ {
		h ^= uint64(b[i])
		h *= 1099511628211
	}
	return h | 1 // never 0, the key of an empty slot
}

// addrKey is the identity of an IP address.
func addrKey(a netip.Addr) uint64 {
	b := a.As16()
	return hashBytes(b[:])
}

// apKey is the identity of an IP sender: address and port.
func apKey(ap netip.AddrPort) uint64 {
	var b [18]byte
	a := ap.Addr().As16()
	copy(b[:], a[:])
	binary.BigEndian.PutUint16(b[16:], ap.Port())
	return hashBytes(b[:])
}

// wantsCred reports whether the policy filters unix senders by
// credentials, which SO_PASSCRED must then carry on every datagram.
func (g *guard) wantsCred() bool { return len(g.policy.AllowUID) > 0 || len(g.policy.AllowGID) > 0 }

// exposed reports whether a server bound to local can be reached from
// other hosts, where a forged source can aim its replies at a victim: an
// IP address that is not loopback, wildcards included.
func exposed(local net.Addr) bool {
	ua, ok := local.(*net.UDPAddr)
	return ok && !ua.IP.IsLoopback()
}

// maxAmplification bounds a reply on the wire, IP and UDP headers
// included, to 1.5 times its request on a server others can reach.
const maxAmplification = 1.5

// amplifies reports whether the seed reply, prefix then data, to an IP
// sender at ap would be more than maxAmplification times the request on
// the wire: then the bare echo goes back. The seed's prefix is 27 bytes, so
// over IPv4 requests of fewer than 26 bytes get the bare echo, over IPv6
// fewer than 6.
func amplifies(ap netip.AddrPort, prefix, data []byte) bool {
	if len(prefix) == 0 || !ap.IsValid() {
		return false
	}
	hdr := 20 + 8
	if !ap.Addr().Unmap().Is4() {
		hdr = 40 + 8
	}
	return float64(len(prefix)+len(data)+hdr) > maxAmplification*float64(len(data)+hdr)
}

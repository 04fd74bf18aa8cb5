// Package diagram draws the sequence diagram of what socklab's sockets
// did in a run, the picture the seed draws of a connectionless exchange,
// but from the real calls and datagrams: a lifeline for each socket that
// moved a datagram and for each peer, the calls that made and ended the
// socket (socket, bind, connect, close) as boxes on it, and each datagram
// as an arrow between the lifelines, from the call that moved it,
// labelled with its size and the time since the run's first call.
//
// A Recorder takes the run's calls (a families.Tracer) and datagrams (a
// families.Capture); WriteSVG draws the diagram with package viz, and
// WriteMermaid writes it as Mermaid text.
package diagram

import (
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/socklab/socklab/families"
)

// MaxDatagrams is how many datagrams a diagram draws; the rest are counted
// in a note, so that a busy server's diagram stays a picture.
const MaxDatagrams = 200

// event is one row of the diagram: a call that made or ended a socket, or
// a datagram.
type event struct {
	at    time.Time
	fd    int
	label string // a call's box: "socket() = 5", "bind(127.0.0.1:8020)"
	// A datagram: the call that moved it, its size, and the peer.
	call   string
	index  int // its place in a recvmmsg or sendmmsg batch
	dgram  bool
	sent   bool
	size   int
	peer   string
	local  string
	socket string // the socket's triple, "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)"
}

// Recorder keeps the events of a run. Its methods may be called from
// several goroutines.
type Recorder struct {
	mu      sync.Mutex
	name    string // who we are: "socklab udp4 serve"
	events  []event
	dgrams  int
	omitted int
}

// NewRecorder returns a Recorder for a run of the command name
// ("socklab udp4 send").
func NewRecorder(name string) *Recorder { return &Recorder{name: name} }

// Call records a call that makes, names or ends a socket: it is a
// families.Tracer. Other calls are left out: the datagrams stand for the
// calls that moved them.
func (r *Recorder) Call(c families.Call) {
	var label string
	switch {
	case c.Name == "socket" && c.Errno == 0:
		label = c.Name + "() = " + itoa(c.Ret)
	case c.Name == "bind" || c.Name == "connect":
		label = c.Name + "(" + argOr(c.Args, 0) + ")" // quoted by families when it is a strange name
		if c.Errno != 0 {
			label += " failed"
		}
	case c.Name == "close":
		label = "close()"
	default:
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{at: c.Time, fd: c.Fd, label: label})
}

// Empty reports whether nothing was recorded: no call, no datagram.
func (r *Recorder) Empty() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events) == 0 && r.omitted == 0
}

// Datagram records one datagram: it is a families.Capture.
func (r *Recorder) Datagram(d *families.Datagram) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dgrams >= MaxDatagrams {
		r.omitted++
		return
	}
	r.dgrams++
	r.events = append(r.events, event{at: d.Time, fd: d.Fd, call: d.Call, index: d.Index, dgram: true, sent: d.Sent, size: d.Size,
		peer: addrName(d.Peer), local: addrName(d.Local), socket: d.Spec.String()})
}

// addrName is a for a lifeline: "(unbound)" for a unix sender with no
// name.
func addrName(a net.Addr) string {
	if a == nil || a.String() == "" || a.String() == "@" {
		return "(unbound)"
	}
	return families.QuoteName(a.String())
}

func argOr(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }

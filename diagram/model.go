package diagram

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// model is the diagram laid out as lifelines and rows, from the events.
type model struct {
	name    string
	ours    []*life  // this process's sockets that moved datagrams
	peers   []string // the other ends, in order of appearance
	rows    []row
	start   time.Time
	omitted int
}

// life is one socket of this process, from its socket() (or its first
// use, for an adopted one) to its close.
type life struct {
	fd     int
	socket string // its triple
	local  string // its address, as its first datagram saw it
	events []event
	dgrams int
}

// row is one line of the diagram: a call box on one of our lifelines, and
// for a datagram an arrow to or from a peer.
type row struct {
	ev   event
	our  int // index in ours
	peer int // index in peers, for a datagram
}

// build lays out what r recorded.
func (r *Recorder) build() model {
	r.mu.Lock()
	evs := append([]event(nil), r.events...)
	m := model{name: r.name, omitted: r.omitted}
	r.mu.Unlock()
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	if len(evs) > 0 {
		m.start = evs[0].at
	}
	var lives []*life
	current := map[int]*life{}
	for _, e := range evs {
		l := current[e.fd]
		if l == nil || strings.HasPrefix(e.label, "socket(") {
			l = &life{fd: e.fd}
			lives = append(lives, l)
			current[e.fd] = l
		}
		l.events = append(l.events, e)
		if e.dgram {
			l.dgrams++
			if l.local == "" {
				l.socket, l.local = e.socket, e.local
			}
		}
		if e.label == "close()" {
			delete(current, e.fd)
		}
	}
	for _, l := range lives {
		if l.dgrams > 0 {
			m.ours = append(m.ours, l)
		}
	}
	m.rows = rows(m.ours, &m.peers)
	return m
}

// rows are the events of ours in time order, with their datagrams' peers
// added to peers.
func rows(ours []*life, peers *[]string) []row {
	var out []row
	index := map[string]int{}
	for i, l := range ours {
		for _, e := range l.events {
			rw := row{ev: e, our: i, peer: -1}
			if e.dgram {
				p, ok := index[e.peer]
				if !ok {
					p = len(*peers)
					index[e.peer] = p
					*peers = append(*peers, e.peer)
				}
				rw.peer = p
			}
			out = append(out, rw)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ev.at.Before(out[j].ev.at) })
	return out
}

// callLabel names the call that moved a datagram: "recvmsg", or
// "recvmmsg, datagram 2" in a batch.
func callLabel(e event) string {
	if e.call == "recvmmsg" || e.call == "sendmmsg" {
		return fmt.Sprintf("%s, datagram %d", e.call, e.index+1)
	}
	return e.call
}

// arrowLabel is a datagram's size and time: "5 bytes, 0.312 ms".
func (m model) arrowLabel(e event) string {
	ms := float64(e.at.Sub(m.start)) / float64(time.Millisecond)
	unit := "bytes"
	if e.size == 1 {
		unit = "byte"
	}
	return fmt.Sprintf("%d %s, %.3f ms", e.size, unit, ms)
}

// peerRole is what the other ends are: a server's clients, or a client's
// server.
func (m model) peerRole() string {
	if strings.HasSuffix(m.name, " serve") {
		return "client"
	}
	return "server"
}

// ourName is the name of our lifeline i.
func (m model) ourName(i int) string {
	return fmt.Sprintf("%s (fd %d)", m.name, m.ours[i].fd)
}

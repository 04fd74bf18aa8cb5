package main

import (
	"fmt"
	"strconv"
	"strings"
)

// The reference of each mode: the C server, the C load generator, and
// iputils ping.
const (
	refServer = "C"
	refClient = "cload"
	refPinger = "iputils"
)

// runPing measures flood ping on loopback: iputils ping -f, socklab A's
// and B's icmp4 ping -f, the same count each, alternating.
func runPing(m *measurer, rep *report) {
	c := m.cfg
	pinger := func(argv ...string) func(string) []string {
		return func(string) []string {
			return append(argv, "-f", "-c", strconv.Itoa(c.pingCount), "127.0.0.1")
		}
	}
	entries := []entry{{name: refPinger, argv: pinger("ping"), count: c.pingCount}, {name: c.aName, argv: pinger(c.a, "icmp4", "ping"), count: c.pingCount}}
	if c.b != "" {
		entries = append(entries, entry{name: c.bName, argv: pinger(c.b, "icmp4", "ping"), count: c.pingCount})
	}
	progress("ping mode: -f -c %d 127.0.0.1", c.pingCount)
	rounds := m.rounds(entries, nil, "flood")
	rep.cell(cell{mode: "ping", fam: "icmp4", size: 56, load: "flood", entries: entries, rounds: rounds, dropped: m.dropped, total: m.total})
}

// runCell measures one family and size in one mode, every load.
func runCell(m *measurer, rep *report, mode, fam string, size int) error {
	entries, servers, err := m.cfg.start(mode, fam, size)
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	if err != nil {
		return err
	}
	for _, load := range m.cfg.loads {
		progress("%s mode, %s %d B, %s", mode, fam, size, load)
		rounds := m.rounds(entries, servers, load)
		rep.cell(cell{mode: mode, fam: fam, size: size, load: load, entries: entries, servers: servers, rounds: rounds, dropped: m.dropped, total: m.total})
	}
	return nil
}

// start starts the servers of a cell and makes its entries: in server
// mode one server per contestant, each driven by cload; in client mode
// one C server that every load generator drives.
func (c *config) start(mode, fam string, size int) ([]entry, []*server, error) {
	if mode == "client" {
		return c.startClientMode(fam, size)
	}
	type named struct {
		name string
		argv func(endpoint) []string
	}
	list := []named{{refServer, c.cechoArgs}, {c.aName, socklabServe(c.a)}}
	if c.b != "" {
		list = append(list, named{c.bName, socklabServe(c.b)})
	}
	for _, s := range c.servers {
		list = append(list, named{s.name, func(ep endpoint) []string { return expand(c.withBinaries(s.argv), ep, size) }})
	}
	var entries []entry
	var servers []*server
	for i, n := range list {
		ep, err := newEndpoint(fam, c.dir, i)
		if err != nil {
			return nil, servers, err
		}
		s, err := startServer(n.name, n.argv(ep), c.srvCPU, ep)
		if err != nil {
			return nil, servers, err
		}
		servers = append(servers, s)
		entries = append(entries, entry{name: n.name, srv: s, argv: c.cloadArgs(ep, size)})
	}
	return entries, servers, nil
}

func (c *config) startClientMode(fam string, size int) ([]entry, []*server, error) {
	ep, err := newEndpoint(fam, c.dir, 0)
	if err != nil {
		return nil, nil, err
	}
	s, err := startServer(refServer, c.cechoArgs(ep), c.srvCPU, ep)
	if err != nil {
		return nil, nil, err
	}
	entries := []entry{{name: refClient, srv: s, argv: c.cloadArgs(ep, size)}, {name: c.aName, srv: s, argv: c.benchArgs(c.a, ep, size)}}
	if c.b != "" {
		entries = append(entries, entry{name: c.bName, srv: s, argv: c.benchArgs(c.b, ep, size)})
	}
	return entries, []*server{s}, nil
}

// withBinaries replaces {a}, {b}, {cecho} in a -server command with the
// binaries measured.
func (c *config) withBinaries(argv []string) []string {
	r := strings.NewReplacer("{a}", c.a, "{b}", c.b, "{cecho}", c.cecho)
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = r.Replace(a)
	}
	return out
}

// famFlag is the C programs' address flag for a family.
func famFlag(fam string) string {
	switch fam {
	case "udp6":
		return "-6"
	case "unix":
		return "-u"
	}
	return "-4"
}

func (c *config) cechoArgs(ep endpoint) []string {
	return []string{c.cecho, famFlag(ep.family), ep.addr}
}

// socklabServe is socklab's fast path, as issue 10's targets name it.
func socklabServe(bin string) func(endpoint) []string {
	return func(ep endpoint) []string {
		return expand([]string{bin, "{fam}", "serve", "{addrflag}", "{addr}", "--reply", "echo", "-q"}, ep, 0)
	}
}

func (c *config) cloadArgs(ep endpoint, size int) func(string) []string {
	return func(load string) []string {
		a := []string{c.cload, famFlag(ep.family), ep.addr, "-s", strconv.Itoa(size), "-d", fmt.Sprint(c.seconds)}
		if load == "pingpong" {
			return append(a, "-p")
		}
		return append(a, "-n", strconv.Itoa(c.inflight))
	}
}

func (c *config) benchArgs(bin string, ep endpoint, size int) func(string) []string {
	return func(load string) []string {
		a := []string{bin, ep.family, "bench"}
		if ep.family == "unix" {
			a = append(a, "--path", ep.addr)
		} else {
			a = append(a, ep.addr)
		}
		return append(a, "--mode", load, "--size", strconv.Itoa(size), "--duration", fmt.Sprintf("%gs", c.seconds),
			"--inflight", strconv.Itoa(c.inflight), "--json")
	}
}

package main

import (
	"fmt"
	"os"
	"slices"
	"time"
)

// entry is one contestant of a cell: the client command it runs for a
// load, and the server whose CPU time it is measured by.
type entry struct {
	name  string
	argv  func(load string) []string
	srv   *server // nil in ping mode
	count int     // echoes a pinger sends (ping mode), 0 for a JSON report
}

// sample is one run of one entry.
type sample struct {
	res      result
	srvTicks int64 // the server's CPU time over the run
	other    int64 // ticks used by other processes (and stolen) on the CPUs
}

// round is one run of every entry, by name.
type round map[string]sample

// measurer runs rounds on the two pinned CPUs.
type measurer struct {
	cfg     *config
	cpus    []int // the measuring CPUs
	helpers []int // ksoftirqd of the measuring CPUs
	dropped int   // rounds dropped in the last call of rounds
	total   int   // rounds run in the last call (warm-up included)
}

func newMeasurer(cfg *config) *measurer {
	cpus := []int{cfg.srvCPU, cfg.cliCPU}
	switch {
	case cfg.mode == "ping" && cfg.cliCPU >= 0:
		cpus = []int{cfg.cliCPU} // a pinger uses one CPU: others may have the other
	case cfg.cliCPU < 0 || cfg.srvCPU < 0:
		cpus = []int{0, 1}
	}
	return &measurer{cfg: cfg, cpus: cpus, helpers: kernelHelpers(cpus)}
}

// rounds alternates the entries' runs of load until cfg.rounds rounds
// were kept (or cfg.maxRounds were run): each round runs every entry
// once, in an order that turns from round to round so that no entry
// always follows the same one. A run that other processes disturbed is
// left out of its round; a round counts as kept when the reference (the
// first entry) and A (the second) ran undisturbed in it, and a ratio
// takes the rounds in which both its entries did.
func (m *measurer) rounds(entries []entry, servers []*server, load string) []round {
	var kept []round
	m.dropped, m.total = 0, 0
	limit := m.cfg.warmup + m.cfg.maxRounds
	for r := 0; len(kept) < m.cfg.rounds && r < limit; r++ {
		m.total++
		m.waitQuiet(servers)
		rd := m.round(order(entries, r), servers, load)
		_, okRef := rd[entries[0].name]
		_, okA := rd[entries[1].name]
		switch {
		case r < m.cfg.warmup:
		case !okRef || !okA:
			m.dropped++
		default:
			kept = append(kept, rd)
		}
	}
	return kept
}

// round runs every entry once, and keeps the runs no other process
// disturbed.
func (m *measurer) round(entries []entry, servers []*server, load string) round {
	rd := round{}
	limit := m.maxOther()
	for _, e := range entries {
		s, err := m.run(e, servers, load)
		switch {
		case err != nil:
			fmt.Fprintln(os.Stderr, "abrounds:", err)
		case s.other > limit:
			progress("  %s: run dropped: other processes used %d ticks (limit %d)", e.name, s.other, limit)
		default:
			rd[e.name] = s
		}
	}
	return rd
}

// waitQuiet waits, up to -quiet-wait, for a quarter second in which other
// processes left the measuring CPUs alone, so that a round does not start
// in the middle of someone's build.
func (m *measurer) waitQuiet(servers []*server) {
	pids := slices.Clone(m.helpers)
	for _, s := range servers {
		pids = append(pids, s.pid())
	}
	cpus := m.cpus
	limit := int64(m.cfg.maxOther*float64(len(cpus))*0.25*ticksPerSecond + 0.5)
	for i := 0; i < int(m.cfg.quietWait/time.Second); i++ {
		s0 := takeSnapshot(cpus, pids)
		time.Sleep(250 * time.Millisecond)
		if since(s0, takeSnapshot(cpus, pids)).others(0) <= limit {
			return
		}
		if i == 0 {
			progress("  waiting for the CPUs to be quiet")
		}
		time.Sleep(750 * time.Millisecond)
	}
}

// maxOther is the disturbance a run may have, in ticks: -max-other of
// the measuring CPUs.
func (m *measurer) maxOther() int64 {
	return int64(m.cfg.maxOther*float64(len(m.cpus))*m.cfg.seconds*ticksPerSecond + 0.5)
}

// run runs e's client once, with the CPU accounting around it.
func (m *measurer) run(e entry, servers []*server, load string) (sample, error) {
	pids := slices.Clone(m.helpers)
	for _, s := range servers {
		pids = append(pids, s.pid())
	}
	cpus := m.cpus
	limit := time.Duration(m.cfg.seconds*float64(time.Second)) + 15*time.Second
	s0 := takeSnapshot(cpus, pids)
	res, err := runClients(e.argv(load), m.cfg.cliCPU, limit, e.count, m.cfg.clients)
	u := since(s0, takeSnapshot(cpus, pids))
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w", e.name, err)
	}
	s := sample{res: res, other: u.others(res.cpu)}
	if e.srv != nil {
		s.srvTicks = u.proc[e.srv.pid()]
	}
	return s, nil
}

// runClients runs n copies of a client at once: their rates and CPU
// times add up, the latencies are the first one's.
func runClients(argv []string, cpu int, limit time.Duration, count, n int) (result, error) {
	if n <= 1 {
		return runClient(argv, cpu, limit, count)
	}
	type out struct {
		r   result
		err error
	}
	outs := make(chan out, n)
	for range n {
		go func() {
			r, err := runClient(argv, cpu, limit, count)
			outs <- out{r, err}
		}()
	}
	var sum result
	var first error
	for i := range n {
		o := <-outs
		if o.err != nil && first == nil {
			first = o.err
		}
		if i == 0 {
			sum.p50, sum.p99 = o.r.p50, o.r.p99
		}
		sum.rate += o.r.rate
		sum.cpu += o.r.cpu
	}
	return sum, first
}

// order is entries turned by r: round 0 runs A B C, round 1 C B A,
// round 2 B C A, round 3 A C B, ...
func order(entries []entry, r int) []entry {
	n := len(entries)
	out := make([]entry, n)
	for i := range n {
		out[i] = entries[(i+r/2)%n]
	}
	if r%2 == 1 {
		slices.Reverse(out)
	}
	return out
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

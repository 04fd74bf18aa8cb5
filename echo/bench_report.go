package echo

import (
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// BenchReport is what a bench measured. Counts cover the measured part only
// (not the warmup); latencies are round trips in microseconds.
type BenchReport struct {
	Mode     string  `json:"mode"`
	IO       string  `json:"io"` // "sendmmsg/recvmmsg", "sendto/recvfrom", either + " connected"
	Peer     string  `json:"peer"`
	Size     int     `json:"size"`
	Inflight int     `json:"inflight"`
	Rate     float64 `json:"rate"` // the --rate asked for, 0 when unpaced
	Elapsed  float64 `json:"elapsed_s"`
	// Sent is how many datagrams went out; Received how many came back
	// within Timeout, each counted once.
	Sent     uint64 `json:"sent"`
	Received uint64 `json:"received"`
	// Lost is Sent - Received: datagrams with no reply within Timeout.
	Lost    uint64  `json:"lost"`
	LostPct float64 `json:"lost_pct"`
	// Reordered counts replies that arrived after a reply to a later datagram.
	Reordered uint64 `json:"reordered"`
	// Duplicates counts second and later replies to one datagram.
	Duplicates uint64 `json:"duplicates"`
	// Late counts replies that came after Timeout (they are in Lost too).
	Late uint64 `json:"late"`
	// Bad counts replies with no bench header, a sequence never sent, or a
	// payload that differs from what was sent (a truncating server).
	Bad          uint64  `json:"bad"`
	EchoesPerSec float64 `json:"echoes_per_sec"`
	// MbitPerSec is payload bits echoed back per second, one direction.
	MbitPerSec float64 `json:"mbit_per_sec"`
	// JitterUs is the RFC 3550 interarrival jitter of the replies.
	JitterUs  float64  `json:"jitter_us"`
	LatencyUs Latency  `json:"latency_us"`
	CPUUser   float64  `json:"cpu_user_s"` // this process's CPU time while measuring
	CPUSys    float64  `json:"cpu_sys_s"`
	Samples   []Sample `json:"samples"`
	// Percentiles is the whole latency distribution, HdrHistogram's
	// percentile points from 0 to 100%, for plots (socklab plot).
	Percentiles []Percentile `json:"percentiles"`
	// Interrupted is true when the context ended the bench early; datagrams
	// still in flight then are not counted.
	Interrupted bool `json:"interrupted"`
	// Offload says how GSO and GRO were used when asked for (BenchConfig.GSO),
	// or why not.
	Offload string `json:"offload,omitempty"`
	// Timestamps splits the round trips by kernel timestamps
	// (BenchConfig.Timestamps); nil otherwise.
	Timestamps *StampReport `json:"timestamps,omitempty"`
}

// Latency is a round-trip time distribution in microseconds.
type Latency struct {
	Min  float64 `json:"min"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Sample is one second of a bench.
type Sample struct {
	T            float64 `json:"t_s"` // seconds since measuring began, at the sample's end
	Sent         uint64  `json:"sent"`
	Received     uint64  `json:"received"`
	Lost         uint64  `json:"lost"` // datagrams whose Timeout ran out in this second
	EchoesPerSec float64 `json:"echoes_per_sec"`
	MbitPerSec   float64 `json:"mbit_per_sec"`
	P50Us        float64 `json:"p50_us"`
	P99Us        float64 `json:"p99_us"`
	MaxUs        float64 `json:"max_us"`
}

// benchCounters counts one second.
type benchCounters struct{ sent, received uint64 }

// sample is the figures of one second of length nanoseconds ending at at,
// from its counters t and this second's latencies, and starts the next
// second's count of lost datagrams.
func (b *bench) sample(t benchCounters, at, length int64) Sample {
	secs := float64(length) / 1e9
	lost := b.tr.expired - b.tr.tickExpired
	b.tr.tickExpired = b.tr.expired
	return Sample{
		T:            math.Round(float64(at)/1e6) / 1e3,
		Sent:         t.sent,
		Received:     t.received,
		Lost:         lost,
		EchoesPerSec: float64(t.received) / secs,
		MbitPerSec:   float64(t.received) * float64(b.cfg.Size) * 8 / secs / 1e6,
		P50Us:        us(b.ihist.ValueAtQuantile(50)),
		P99Us:        us(b.ihist.ValueAtQuantile(99)),
		MaxUs:        us(b.ihist.Max()),
	}
}

// newLatencyHist is an empty histogram of round trips in nanoseconds, from
// 1 ns to an hour, to 3 significant digits: every bench histogram is one.
func newLatencyHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, int64(time.Hour), 3) }

// us converts nanoseconds to microseconds.
func us(ns int64) float64 { return float64(ns) / 1e3 }

// latency summarizes the round trips in h, in nanoseconds, in microseconds.
func latency(h *hdrhistogram.Histogram) Latency {
	return Latency{
		Min: us(h.Min()), P50: us(h.ValueAtQuantile(50)), P90: us(h.ValueAtQuantile(90)),
		P99: us(h.ValueAtQuantile(99)), P999: us(h.ValueAtQuantile(99.9)),
		Max: us(h.Max()), Mean: h.Mean() / 1e3,
	}
}

// report fills r with the run's figures: elapsed is the measured part in
// nanoseconds, inWindow the replies received in it.
func (b *bench) report(r *BenchReport, elapsed int64, inWindow uint64, cpu benchCPU, interrupted bool) {
	t := &b.tr
	r.Elapsed = float64(elapsed) / 1e9
	r.Sent = t.sentCount
	r.Received = t.received
	r.Lost = t.sentCount - t.received
	if r.Sent > 0 {
		r.LostPct = float64(r.Lost) / float64(r.Sent) * 100
	}
	r.Reordered = t.reordered
	r.Duplicates = t.duplicates
	r.Late = t.late
	r.Bad = t.bad
	if elapsed > 0 {
		r.EchoesPerSec = float64(inWindow) / r.Elapsed
		r.MbitPerSec = r.EchoesPerSec * float64(b.cfg.Size) * 8 / 1e6
	}
	r.JitterUs = t.jitter / 1e3
	if b.hist.TotalCount() > 0 {
		r.LatencyUs = latency(b.hist)
	}
	r.Percentiles = percentiles(b.hist)
	r.CPUUser, r.CPUSys = cpu.user.Seconds(), cpu.sys.Seconds()
	if r.Samples == nil {
		r.Samples = []Sample{}
	}
	r.Interrupted = interrupted
}

// benchCPU is CPU time used by this process.
type benchCPU struct{ user, sys time.Duration }

// sub is the CPU time used from d until c.
func (c benchCPU) sub(d benchCPU) benchCPU { return benchCPU{c.user - d.user, c.sys - d.sys} }

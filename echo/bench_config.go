package echo

import (
	"fmt"
	"math"
	"time"

	"github.com/socklab/socklab/families"
)

// BenchMode is what a bench measures.
type BenchMode int

const (
	// BenchThroughput keeps BenchConfig.Inflight datagrams in flight and
	// measures echoes per second.
	BenchThroughput BenchMode = iota
	// BenchPingPong keeps one datagram in flight and measures latency.
	BenchPingPong
)

// ParseBenchMode reads a --mode value: "throughput" or "pingpong".
func ParseBenchMode(s string) (BenchMode, error) {
	switch s {
	case "throughput", "tp", "":
		return BenchThroughput, nil
	case "pingpong", "ping-pong", "pp", "latency":
		return BenchPingPong, nil
	}
	return 0, fmt.Errorf("unknown bench mode %q: valid are pingpong (one datagram in flight: latency) and throughput (a window of datagrams in flight: echoes per second)", s)
}

// String is the --mode spelling of m.
func (m BenchMode) String() string {
	switch m {
	case BenchThroughput:
		return "throughput"
	case BenchPingPong:
		return "pingpong"
	}
	return fmt.Sprintf("BenchMode(%d)", int(m))
}

// Defaults for BenchConfig's zero values.
const (
	DefaultBenchInflight = 64
	DefaultBenchSize     = 64
	DefaultBenchDuration = 5 * time.Second
	DefaultBenchTimeout  = time.Second
	DefaultBenchBatch    = 64
)

// BenchConfig says what a bench sends, how fast and for how long.
type BenchConfig struct {
	Mode BenchMode
	// Inflight is how many datagrams a throughput bench keeps in flight
	// (DefaultBenchInflight when 0); pingpong always has one.
	Inflight int
	// Size is the payload of each datagram in bytes, header included
	// (DefaultBenchSize when 0, at least BenchHeaderLen).
	Size int
	// Duration is how long to send; Count, when set, is how many datagrams
	// to send instead. With neither, the bench runs DefaultBenchDuration.
	Duration time.Duration
	Count    uint64
	// Rate, when positive, paces sending to at most Rate datagrams per
	// second, to measure latency under a given load.
	Rate float64
	// Warmup is how long to send before measuring; nothing sent during
	// the warmup is counted.
	Warmup time.Duration
	// Timeout is how long a datagram may go unanswered before it is counted
	// lost and its place in the window reused (DefaultBenchTimeout when 0).
	// A reply after that is counted late.
	Timeout time.Duration
	// Plain forces one sendto/recvfrom per datagram through the Conn, even
	// where sendmmsg/recvmmsg would work.
	Plain bool
	// Batch caps the datagrams per sendmmsg/recvmmsg (DefaultBenchBatch
	// when 0).
	Batch int
	// Connect connects c to peer (a UDP or unix socket, on the batch or
	// the plain path): the kernel then sends without a route lookup per
	// datagram, delivers only the peer's datagrams, and, for unix, does
	// not hold the server's replies to c's short receive queue. c stays connected afterwards, so set it only for a Conn
	// that is closed after the bench.
	Connect bool
	// Spin, on the batch path of a UDP socket, is how long a read that
	// finds no reply tries again before it sleeps; negative: it never
	// sleeps (busy polling, the latency floor). See families.SetSpin.
	Spin time.Duration
	// GSO, above 1, sends up to GSO datagrams per UDP_SEGMENT send on the
	// batch path, and reads replies with UDP_GRO where the kernel has it;
	// BenchReport.Offload says what was used, or why not.
	GSO int
	// Timestamps takes the plain path with SO_TIMESTAMPING on, and splits
	// each round trip by the kernel's send and receive timestamps
	// (BenchReport.Timestamps).
	Timestamps bool
	// OnSample, when set, is called once a second with the last second's
	// figures, from the bench's goroutine.
	OnSample func(Sample)
}

// withDefaults fills cfg's zero values with the defaults, and makes a
// pingpong bench's window one datagram.
func (cfg BenchConfig) withDefaults() BenchConfig {
	if cfg.Inflight <= 0 {
		cfg.Inflight = DefaultBenchInflight
	}
	if cfg.Mode == BenchPingPong {
		cfg.Inflight = 1
	}
	if cfg.Size == 0 {
		cfg.Size = DefaultBenchSize
	}
	if cfg.Duration <= 0 && cfg.Count == 0 {
		cfg.Duration = DefaultBenchDuration
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultBenchTimeout
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBenchBatch
	}
	return cfg
}

// check reports what makes cfg, with its defaults, unusable on a socket
// whose datagrams hold at most maxDatagram bytes (no limit when 0).
func (cfg BenchConfig) check(maxDatagram int) error {
	if cfg.Size < BenchHeaderLen {
		return fmt.Errorf("bench size %d: want at least %d bytes, the bench header", cfg.Size, BenchHeaderLen)
	}
	if maxDatagram > 0 && cfg.Size > maxDatagram {
		return fmt.Errorf("bench size %d: one datagram holds at most %d bytes here", cfg.Size, maxDatagram)
	}
	if cfg.GSO > 1 && (cfg.GSO > families.MaxGSOSegments || maxDatagram > 0 && cfg.GSO*cfg.Size > maxDatagram) {
		return fmt.Errorf("bench GSO of %d datagrams of %d bytes: one UDP_SEGMENT send carries at most %d datagrams and %d bytes", cfg.GSO, cfg.Size, families.MaxGSOSegments, maxDatagram)
	}
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		return fmt.Errorf("bench rate %v: want datagrams per second, or 0 for as fast as the window allows", cfg.Rate)
	}
	return nil
}

package main

import (
	"fmt"
	"math"
	"slices"
)

// spread is a median with its interquartile range.
type spread struct {
	med, q1, q3 float64
	n           int
}

// quantile is the q-quantile of sorted v, interpolated between ranks.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (pos-float64(i))*(sorted[i+1]-sorted[i])
}

func spreadOf(v []float64) spread {
	s := slices.Clone(v)
	slices.Sort(s)
	return spread{med: quantile(s, 0.5), q1: quantile(s, 0.25), q3: quantile(s, 0.75), n: len(s)}
}

// String is "0.987 [0.975–0.994] n=10": the median, the quartiles, and
// how many rounds.
func (s spread) String() string {
	if s.n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f [%.3f–%.3f] n=%d", s.med, s.q1, s.q3, s.n)
}

// ratios is a/b within each round, for the value that field picks.
func ratios(rounds []round, a, b string, field func(sample) float64) spread {
	var v []float64
	for _, r := range rounds {
		x, okx := r[a]
		y, oky := r[b]
		if okx && oky && field(y) > 0 {
			v = append(v, field(x)/field(y))
		}
	}
	return spreadOf(v)
}

// median is the median of field over the rounds, for entry name.
func median(rounds []round, name string, field func(sample) float64) float64 {
	var v []float64
	for _, r := range rounds {
		if s, ok := r[name]; ok {
			v = append(v, field(s))
		}
	}
	return spreadOf(v).med
}

func rate(s sample) float64 { return s.res.rate }
func p50(s sample) float64  { return s.res.p50 }
func p99(s sample) float64  { return s.res.p99 }

// cpuPerEcho is the server's CPU time per echo in microseconds: the ticks
// it used over the run, over the echoes the client counted in it.
func cpuPerEcho(seconds float64) func(sample) float64 {
	return func(s sample) float64 {
		if s.res.rate == 0 {
			return 0
		}
		return float64(s.srvTicks) * 1e6 / ticksPerSecond / (s.res.rate * seconds)
	}
}

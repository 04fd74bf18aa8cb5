package echo

import "github.com/HdrHistogram/hdrhistogram-go"

// Percentile is one point of a latency distribution: Pct percent of the
// round trips took at most Us microseconds.
type Percentile struct {
	Pct float64 `json:"pct"`
	Us  float64 `json:"us"`
}

// percentileTicks is how many points the distribution has per halving of
// the remaining percentiles: five from 0 to 50%, five more to 75%, to
// 87.5% and so on, as in HdrHistogram's percentile output. That is about
// 5·log2(N) points for N round trips: some 100 for a million.
const percentileTicks = 5

// percentiles is the distribution of the round trips in h, in nanoseconds,
// from 0% (the least) to 100% (the greatest), in microseconds. Each value
// is the highest of its HdrHistogram bucket, as HdrHistogram reports them.
func percentiles(h *hdrhistogram.Histogram) []Percentile {
	if h.TotalCount() == 0 {
		return []Percentile{}
	}
	d := h.CumulativeDistributionWithTicks(percentileTicks)
	p := make([]Percentile, len(d))
	for i, b := range d {
		p[i] = Percentile{Pct: b.Quantile, Us: us(b.ValueAt)}
	}
	return p
}

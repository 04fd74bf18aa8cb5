package viz

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/socklab/socklab/echo"
)

// Run is one bench report to draw, and the name its curves carry in the
// legend.
type Run struct {
	Label  string
	Report echo.BenchReport
}

// WriteBenchPlot draws runs (one colour each) as BenchFigure does and
// writes the SVG document to w.
func WriteBenchPlot(w io.Writer, runs []Run) error {
	f, err := BenchFigure(runs)
	if err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// BenchFigure draws bench reports overlaid, one colour per run, in three
// panels: the latency percentile distribution in HdrHistogram's classic
// form (x is 1/(1-q) on a log scale, labelled 90%, 99%, 99.9% ...; y is
// the round trip in µs, on a log scale when the tail is long), echoes per second over time, and datagrams lost
// per second over time. A report without its percentiles (one written
// before they were added) is drawn from its summary: min, p50, p90, p99,
// p99.9 and max.
func BenchFigure(runs []Run) (*Figure, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("no bench reports to plot")
	}
	lat := Panel{Title: "Round-trip latency by percentile", Empty: "no round trips were measured",
		X: Axis{Label: "percentile (log scale of 1/(1-q))", Scale: Log10},
		Y: Axis{Label: "round trip (µs)"}}
	rate := Panel{Title: "Echoes per second", Empty: "no per-second samples (the run was shorter than a second)",
		X: Axis{Label: "time (s)"}, Y: Axis{Label: "echoes/s"}}
	loss := Panel{Title: "Datagrams lost per second (no reply within --timeout)", Empty: rate.Empty,
		X: Axis{Label: "time (s)"}, Y: Axis{Label: "lost/s", Integer: true}}
	f := &Figure{Title: "socklab bench"}
	var maxX, maxT float64
	for i, r := range runs {
		pts, summary := percentilePoints(r.Report)
		label := r.Label
		if summary {
			label += " (summary percentiles only)"
		}
		f.Legend = append(f.Legend, label)
		lat.Series = append(lat.Series, Series{Label: r.Label, Index: i, Points: pts})
		rate.Series = append(rate.Series, Series{Label: r.Label, Index: i, Points: samplePoints(r.Report, func(s echo.Sample) float64 { return s.EchoesPerSec })})
		loss.Series = append(loss.Series, Series{Label: r.Label, Index: i, Points: samplePoints(r.Report, func(s echo.Sample) float64 { return float64(s.Lost) })})
		for _, p := range pts {
			maxX = math.Max(maxX, p.X)
		}
		if n := len(r.Report.Samples); n > 0 {
			maxT = math.Max(maxT, r.Report.Samples[n-1].T)
		}
	}
	lat.X.Min, lat.X.Max, lat.X.Ticks = percentileAxis(maxX)
	if longTail(lat.Series) {
		lat.Y = Axis{Label: "round trip (µs, log scale)", Scale: Log10}
	}
	rate.X.Max, loss.X.Max = maxT, maxT
	if len(runs) == 1 {
		f.Title = "socklab bench: " + runs[0].Label
	}
	f.Panels = []Panel{lat, rate, loss}
	return f, nil
}

// longTail reports whether the slowest round trip of the curves is more
// than ten times the highest median: on a linear axis the tail would then
// flatten every curve's body against the floor, so the plot turns log.
func longTail(curves []Series) bool {
	var top, median float64
	for _, s := range curves {
		for _, p := range s.Points {
			top = math.Max(top, p.Y)
			if p.X <= 2 { // up to 50%: 1/(1-0.5)
				median = math.Max(median, p.Y)
			}
		}
	}
	return top > 10*median
}

// percentileX places percentile pct on the classic axis: 1/(1-q). 100% has
// no place there; it is drawn at n, the number of round trips, where the
// single greatest one sits (1/(1-q) for q = 1-1/n).
func percentileX(pct float64, n uint64) float64 {
	if pct >= 100 {
		return math.Max(float64(n), 1)
	}
	return 1 / (1 - pct/100)
}

// percentilePoints is r's latency distribution as plot points, and whether
// they are only the summary's six because r has no percentiles.
func percentilePoints(r echo.BenchReport) ([]Point, bool) {
	ps := r.Percentiles
	summary := false
	if len(ps) == 0 && r.Received > 0 {
		l := r.LatencyUs
		ps = []echo.Percentile{{Pct: 0, Us: l.Min}, {Pct: 50, Us: l.P50}, {Pct: 90, Us: l.P90},
			{Pct: 99, Us: l.P99}, {Pct: 99.9, Us: l.P999}, {Pct: 100, Us: l.Max}}
		summary = true
	}
	pts := make([]Point, 0, len(ps))
	for _, p := range ps {
		x := percentileX(p.Pct, r.Received)
		if n := len(pts); n > 0 && x < pts[n-1].X {
			x = pts[n-1].X // 100% of a report whose count is short
		}
		pts = append(pts, Point{x, p.Us})
	}
	return pts, summary
}

// percentileAxis is the x axis of the percentile plot: from 1 (0%) to the
// decade at or past maxX, with a tick at each decade labelled with its
// percentile, 90%, 99%, 99.9% ...
func percentileAxis(maxX float64) (lo, hi float64, ticks []Tick) {
	decades := max(2, int(math.Ceil(math.Log10(math.Max(maxX, 1))-1e-9)))
	ticks = []Tick{{1, "0%"}}
	for d := 1; d <= decades; d++ {
		ticks = append(ticks, Tick{math.Pow(10, float64(d)), percentileLabel(d)})
	}
	return 1, math.Pow(10, float64(decades)), ticks
}

// percentileLabel names the percentile at 10^d on the classic axis: d
// nines, 90% for one.
func percentileLabel(d int) string {
	if d == 1 {
		return "90%"
	}
	if d == 2 {
		return "99%"
	}
	return "99." + strings.Repeat("9", d-2) + "%"
}

// samplePoints is one figure of each per-second sample of r, at its time.
func samplePoints(r echo.BenchReport, y func(echo.Sample) float64) []Point {
	pts := make([]Point, len(r.Samples))
	for i, s := range r.Samples {
		pts[i] = Point{s.T, y(s)}
	}
	return pts
}

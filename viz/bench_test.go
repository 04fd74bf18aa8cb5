package viz

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/socklab/socklab/echo"
)

// fakeReport is a report of n round trips whose latency grows with the
// percentile from base µs, with secs per-second samples.
func fakeReport(n uint64, base float64, secs int) echo.BenchReport {
	r := echo.BenchReport{Received: n, Sent: n + 3, Lost: 3}
	for _, pct := range []float64{0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100} {
		if pct < 100 && 1/(1-pct/100) >= float64(n) {
			continue // n round trips do not reach that far
		}
		r.Percentiles = append(r.Percentiles, echo.Percentile{Pct: pct, Us: base * (1 + pct/20)})
	}
	for i := 1; i <= secs; i++ {
		r.Samples = append(r.Samples, echo.Sample{T: float64(i), EchoesPerSec: 1000 * base * float64(i), Lost: uint64(i % 2)})
	}
	return r
}

func renderBench(t *testing.T, runs []Run) []element {
	t.Helper()
	var b bytes.Buffer
	if err := WriteBenchPlot(&b, runs); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("SOCKLAB_VIZ_OUT"); dir != "" {
		// For a person to look at: SOCKLAB_VIZ_OUT=/tmp go test ./viz
		os.WriteFile(dir+"/"+strings.ReplaceAll(t.Name(), "/", "_")+".svg", b.Bytes(), 0o644)
	}
	return parseSVG(t, b.Bytes())
}

func TestBenchFigureOneCurvePerRunPerPanel(t *testing.T) {
	runs := []Run{{"a.json", fakeReport(200000, 20, 5)}, {"b.json", fakeReport(5000, 35, 3)}}
	all := renderBench(t, runs)
	curves := withClass(all, "curve")
	bySeries := map[string][]element{}
	for _, c := range curves {
		if s := c.attr["data-series"]; s != "" {
			bySeries[s] = append(bySeries[s], c)
		}
	}
	for i, r := range runs {
		got := bySeries[r.Label]
		if len(got) != 3 {
			t.Fatalf("%s: %d curves, want 3 (percentiles, rate, loss)", r.Label, len(got))
		}
		want := []int{len(r.Report.Percentiles), len(r.Report.Samples), len(r.Report.Samples)}
		for j, c := range got {
			if n := len(polylinePoints(t, c)); n != want[j] {
				t.Errorf("%s curve %d has %d points, want %d", r.Label, j, n, want[j])
			}
			if !c.has(SeriesClass(i)) {
				t.Errorf("%s curve %d is not in its run's colour %s: %v", r.Label, j, SeriesClass(i), c.class)
			}
		}
	}
	texts := map[string]bool{}
	for _, e := range withClass(all, "axis-label") {
		texts[e.text] = true
	}
	for _, want := range []string{"percentile (log scale of 1/(1-q))", "round trip (µs)", "time (s)", "echoes/s", "lost/s"} {
		if !texts[want] {
			t.Errorf("no axis labelled %q; axis labels: %v", want, texts)
		}
	}
	var legend []string
	for _, e := range withClass(all, "legend") {
		legend = append(legend, e.text)
	}
	if strings.Join(legend, ",") != "a.json,b.json" {
		t.Errorf("legend %q, want a.json, b.json", legend)
	}
}

// TestBenchFigurePercentileAxis checks the classic axis: ticks at 0%, 90%,
// 99% ... up to the decade that holds the largest run's 100% point, the
// curve rising left to right, and 100% at the right end for the run of
// 200000 round trips.
func TestBenchFigurePercentileAxis(t *testing.T) {
	all := renderBench(t, []Run{{"big", fakeReport(200000, 20, 2)}, {"small", fakeReport(5000, 35, 2)}})
	var ticks []string
	for _, e := range withClass(all, "tick-label") {
		if strings.HasSuffix(e.text, "%") {
			ticks = append(ticks, e.text)
		}
	}
	if got := strings.Join(ticks, " "); got != "0% 90% 99% 99.9% 99.99% 99.999% 99.9999%" {
		t.Errorf("percentile ticks %q, want 0%% to 99.9999%% (200000 round trips reach 1/(1-q) = 2e5, in the decade to 1e6)", got)
	}
	curves := withClass(all, "curve")
	big := polylinePoints(t, curves[len(curves)-6]) // the percentile curves come first
	small := polylinePoints(t, curves[len(curves)-5])
	for i := 1; i < len(big); i++ {
		if big[i].X < big[i-1].X || big[i].Y > big[i-1].Y {
			t.Errorf("point %d (%v) is left of or below point %d (%v)", i, big[i], i-1, big[i-1])
		}
	}
	// Each run's 100% sits at its count of round trips: 5000 and 2e5.
	x0, x1 := big[0].X, big[len(big)-1].X
	if frac := (small[len(small)-1].X - x0) / (x1 - x0); math.Abs(frac-math.Log10(5000)/math.Log10(200000)) > 0.01 {
		t.Errorf("the 5000-sample run's 100%% sits at %.3f of the big run's, want log(5000)/log(200000)", frac)
	}
}

func TestBenchFigureSummaryFallback(t *testing.T) {
	r := fakeReport(100, 10, 1)
	r.Percentiles = nil
	r.LatencyUs = echo.Latency{Min: 5, P50: 9, P90: 12, P99: 20, P999: 30, Max: 31}
	all := renderBench(t, []Run{{"old.json", r}})
	curves := withClass(all, "curve")
	if n := len(polylinePoints(t, curves[1])); n != 6 {
		t.Errorf("a report without percentiles draws %d points, want the summary's 6", n)
	}
	if l := withClass(all, "legend"); len(l) != 1 || !strings.Contains(l[0].text, "summary percentiles only") {
		t.Errorf("legend %+v does not say the curve is the summary only", l)
	}
}

func TestBenchFigureShortRunSaysWhy(t *testing.T) {
	all := renderBench(t, []Run{{"short", fakeReport(10, 10, 0)}})
	notes := withClass(all, "note")
	if len(notes) != 2 || !strings.Contains(notes[0].text, "shorter than a second") {
		t.Errorf("a run with no samples: notes %+v, want the rate and loss panels to say why they are empty", notes)
	}
}

func TestBenchFigureNeedsARun(t *testing.T) {
	if err := WriteBenchPlot(&bytes.Buffer{}, nil); err == nil {
		t.Error("no runs: want an error")
	}
}

// TestBenchFigureLongTailTurnsLog checks that a tail 100 times the median
// gets a log latency axis, so the curve's body is not flattened, and that
// a short tail keeps the linear one.
func TestBenchFigureLongTailTurnsLog(t *testing.T) {
	r := fakeReport(100000, 20, 1)
	r.Percentiles[len(r.Percentiles)-1].Us = 100 * 20
	f, _ := BenchFigure([]Run{{"tail", r}})
	if f.Panels[0].Y.Scale != Log10 || !strings.Contains(f.Panels[0].Y.Label, "log scale") {
		t.Errorf("a tail 100× the median: latency axis %+v, want a log scale that says so", f.Panels[0].Y)
	}
	f, _ = BenchFigure([]Run{{"flat", fakeReport(100000, 20, 1)}})
	if f.Panels[0].Y.Scale != Linear {
		t.Errorf("a tail 6× the median: latency axis %+v, want linear", f.Panels[0].Y)
	}
}

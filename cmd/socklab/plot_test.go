package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// svgCurve is a polyline of a plot: its run (data-series) and point count.
type svgCurve struct {
	series string
	points int
}

// readSVG parses an SVG file with encoding/xml and returns its curves in
// order and the text of its elements by class.
func readSVG(t *testing.T, path string) ([]svgCurve, map[string][]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	var curves []svgCurve
	texts := map[string][]string{}
	class := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return curves, texts
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			a := map[string]string{}
			for _, at := range tok.Attr {
				a[at.Name.Local] = at.Value
			}
			class = a["class"]
			if tok.Name.Local == "polyline" && a["data-series"] != "" {
				curves = append(curves, svgCurve{a["data-series"], len(strings.Fields(a["points"]))})
			}
		case xml.CharData:
			if class != "" && strings.TrimSpace(string(tok)) != "" {
				texts[class] = append(texts[class], string(tok))
			}
		case xml.EndElement:
			class = ""
		}
	}
}

// benchReport decodes a bench --json report.
func benchReport(t *testing.T, out string) benchJSON {
	t.Helper()
	var r benchJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out)
	}
	return r
}

// checkRunCurves checks that the curves of the run labelled with prefix
// are three, the percentile curve with a point per percentile of r and the
// rate and loss curves with a point per second.
func checkRunCurves(t *testing.T, curves []svgCurve, prefix string, r benchJSON) {
	t.Helper()
	var got []int
	for _, c := range curves {
		if strings.HasPrefix(c.series, prefix) {
			got = append(got, c.points)
		}
	}
	want := []int{len(r.Percentiles), len(r.Samples), len(r.Samples)}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("run %s: curves of %v points, want %v (percentiles, echoes/s, lost/s)", prefix, got, want)
	}
}

// TestBenchPlotAndPlotCompare runs two benches against a server on
// loopback, one drawing its own plot, and overlays both --json reports
// with socklab plot.
func TestBenchPlotAndPlotCompare(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo", "-q")
	dir := t.TempDir()
	one := filepath.Join(dir, "one.svg")
	tp := socklab(t, "udp4", "bench", "-d", "1.2", "--json", "--plot", one, srv.addr)
	mustSucceed(t, tp, "udp4 bench --plot")
	if !strings.Contains(tp.stderr, "plot written to "+one) {
		t.Errorf("bench --plot does not say where the plot went: %q", tp.stderr)
	}
	a := benchReport(t, tp.stdout)
	if n := len(a.Percentiles); n < 10 || a.Percentiles[n-1].Pct != 100 || a.Percentiles[n-1].Us != a.LatencyUs.Max || a.Percentiles[0].Pct != 0 {
		t.Fatalf("the report's percentiles do not run from 0%% to 100%% at the max (%v µs): %+v", a.LatencyUs.Max, a.Percentiles)
	}
	curves, texts := readSVG(t, one)
	checkRunCurves(t, curves, "udp4 throughput", a)
	for _, want := range []string{"percentile (log scale of 1/(1-q))", "round trip (µs", "echoes/s", "lost/s"} {
		if !strings.Contains(strings.Join(texts["axis-label"], "|"), want) {
			t.Errorf("bench --plot: no axis labelled %q in %v", want, texts["axis-label"])
		}
	}

	pp := socklab(t, "udp4", "bench", "--mode", "pingpong", "-d", "1.2", "--json", srv.addr)
	mustSucceed(t, pp, "udp4 bench --mode pingpong")
	b := benchReport(t, pp.stdout)
	aj, bj := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	os.WriteFile(aj, []byte(tp.stdout), 0o644)
	os.WriteFile(bj, []byte(pp.stdout), 0o644)
	cmp := filepath.Join(dir, "cmp.svg")
	r := socklab(t, "plot", aj, bj, "-o", cmp, "--json")
	mustSucceed(t, r, "socklab plot")
	var said struct {
		Output string           `json:"output"`
		Runs   []map[string]any `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &said); err != nil || said.Output != cmp || len(said.Runs) != 2 {
		t.Errorf("plot --json said %q (%v): want the output file and 2 runs", r.stdout, err)
	}
	curves, texts = readSVG(t, cmp)
	checkRunCurves(t, curves, "a.json: udp4 throughput", a)
	checkRunCurves(t, curves, "b.json: udp4 pingpong", b)
	if l := texts["legend"]; len(l) != 2 {
		t.Errorf("legend %q: want one entry per report", l)
	}
}

func TestPlotFromStdinToStdout(t *testing.T) {
	t.Parallel()
	report := `{"event":"bench","family":"unix","mode":"pingpong","received":1000,` +
		`"percentiles":[{"pct":0,"us":5},{"pct":50,"us":8},{"pct":99,"us":20},{"pct":100,"us":31}],` +
		`"samples":[{"t_s":1,"echoes_per_sec":1000,"lost":0}]}`
	r := socklabWith(t, runOpts{stdin: strings.NewReader(report)}, "plot", "-", "-o", "-")
	mustSucceed(t, r, "socklab plot - -o -")
	out := filepath.Join(t.TempDir(), "out.svg")
	os.WriteFile(out, []byte(r.stdout), 0o644)
	curves, _ := readSVG(t, out)
	if len(curves) != 3 || curves[0].points != 4 || !strings.HasPrefix(curves[0].series, "stdin: unix pingpong") {
		t.Errorf("plot of a report on stdin: curves %+v, want 3 for stdin's run, the first of 4 points", curves)
	}
}

func TestPlotRefusesWhatIsNotABenchReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.json")
	os.WriteFile(notes, []byte(`{"event":"summary","datagrams":3}`), 0o644)
	r := socklab(t, "plot", notes, "-o", filepath.Join(dir, "x.svg"))
	checkOneLineError(t, r, notes, "is not a bench --json report")
	if _, err := os.Stat(filepath.Join(dir, "x.svg")); err == nil {
		t.Error("a refused plot left a file behind")
	}
	r = socklab(t, "plot", filepath.Join(dir, "missing.json"), "-o", filepath.Join(dir, "x.svg"))
	checkOneLineError(t, r, "missing.json", "no such file")
}

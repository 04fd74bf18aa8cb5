package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/viz"
)

// plotCmd is socklab plot.
type plotCmd struct {
	Reports []string `arg:"" name:"REPORT" predictor:"json" help:"Files holding a bench --json report each; - reads one from stdin."`
	Output  string   `short:"o" required:"" placeholder:"FILE.svg" predictor:"svg" help:"The SVG file to write; - writes it to stdout."`
	Title   string   `help:"The figure's title (default: socklab bench)."`
	JSON    bool     `name:"json" help:"Say what was drawn as one JSON object."`
}

// Help is socklab plot's detailed help.
func (plotCmd) Help() string {
	return `Draws bench reports overlaid in one SVG, one colour per report, to compare runs:

  socklab udp4 bench --json -d 5 > a.json
  socklab unix bench --json -d 5 > b.json
  socklab plot a.json b.json -o cmp.svg

The first panel is the latency distribution in HdrHistogram's classic form: the x axis
is 1/(1-q) on a log scale, labelled 90%, 99%, 99.9% ..., so the tail gets room; each
curve ends at 100%, placed at its count of round trips. The others are echoes per
second and datagrams lost per second over the run. A browser, an image viewer or
rsvg-convert shows the file. bench --plot FILE.svg draws one run as it ends.`
}

func (c *plotCmd) Run(app *App) error {
	var runs []viz.Run
	for _, name := range c.Reports {
		r, err := readBenchReport(name, app.Stdin)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	f, err := viz.BenchFigure(runs)
	if err != nil {
		return err
	}
	if c.Title != "" {
		f.Title = c.Title
	}
	if err := writeSVG(app, c.Output, f); err != nil {
		return err
	}
	switch {
	case c.Output == "-":
	case c.JSON:
		writeJSON(app.Stdout, plotJSON(c.Output, runs))
	default:
		fmt.Fprintf(app.Stdout, "wrote %s: %d run(s)\n", c.Output, len(runs))
	}
	return nil
}

// plotJSON is what socklab plot --json says it drew.
func plotJSON(out string, runs []viz.Run) map[string]any {
	var rs []map[string]any
	for _, r := range runs {
		rs = append(rs, map[string]any{"label": r.Label, "percentiles": len(r.Report.Percentiles), "samples": len(r.Report.Samples)})
	}
	return map[string]any{"event": "plot", "output": out, "runs": rs}
}

// readBenchReport reads a bench --json report from the file name, or from
// stdin for "-", and labels it with the file and what was measured.
func readBenchReport(name string, stdin io.Reader) (viz.Run, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return viz.Run{}, fmt.Errorf("reading a bench report: %w", err)
	}
	var r benchJSON
	if err := json.Unmarshal(bytes.TrimSpace(b), &r); err != nil || r.Event != "bench" {
		return viz.Run{}, fmt.Errorf("%s is not a bench --json report (want one object with \"event\":\"bench\"): %v", name, orNil(err))
	}
	label := filepath.Base(name)
	if name == "-" {
		label = "stdin"
	}
	label += fmt.Sprintf(": %s %s, %d bytes, %d in flight, to %s", r.Family, r.Mode, r.Size, r.Inflight, r.Peer)
	return viz.Run{Label: label, Report: r.BenchReport}, nil
}

// orNil says what err says, or that the event was not "bench".
func orNil(err error) string {
	if err == nil {
		return "its event is not bench"
	}
	return err.Error()
}

// writeSVG writes f to the file path, or to stdout for "-".
func writeSVG(app *App, path string, f *viz.Figure) error {
	if path == "-" {
		_, err := f.WriteTo(app.Stdout)
		return err
	}
	var b bytes.Buffer
	f.WriteTo(&b)
	if err := os.WriteFile(path, b.Bytes(), 0o666); err != nil {
		return fmt.Errorf("writing the plot: %w", err)
	}
	return nil
}

// benchPlotFlags is bench's --plot, embedded in benchFlags.
type benchPlotFlags struct {
	Plot string `placeholder:"FILE.svg" predictor:"svg" help:"Also draw the run as an SVG: latency by percentile, echoes and losses per second (see socklab plot)."`
}

// plot draws r to --plot's file, when given, and says so on stderr.
func (f benchPlotFlags) plot(app *App, r echo.BenchReport) error {
	if f.Plot == "" {
		return nil
	}
	label := fmt.Sprintf("%s %s, %d bytes, %d in flight, to %s", app.Def.Name, r.Mode, r.Size, r.Inflight, r.Peer)
	fig, err := viz.BenchFigure([]viz.Run{{Label: label, Report: r}})
	if err != nil {
		return err
	}
	if err := writeSVG(app, f.Plot, fig); err != nil {
		return err
	}
	fmt.Fprintln(app.Stderr, "socklab: plot written to", f.Plot)
	return nil
}

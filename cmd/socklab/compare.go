package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/socklab/socklab/compare"
	"github.com/socklab/socklab/lab"
)

// compareCmd is socklab compare: the seed's TCP-vs-UDP table, measured.
type compareCmd struct {
	Loss     string `placeholder:"P%" help:"Measure reliability in a lab (needs root) that drops P% of the packets to the server, e.g. 10%."`
	Messages int    `default:"1000" placeholder:"N" help:"Messages sent one way in the reliability row."`
	JSON     bool   `name:"json" help:"Print every figure as JSON (NDJSON): a result per transport, a claim per row, a summary."`
}

func (c *compareCmd) Run(app *App) error {
	cfg := compare.Config{Messages: c.Messages}
	if c.Loss != "" {
		var err error
		if cfg.Loss, err = lab.ParseLoss(c.Loss); err != nil {
			return fmt.Errorf("--loss: %w", err)
		}
	}
	if c.Messages < 1 {
		return fmt.Errorf("--messages %d: want 1 or more", c.Messages)
	}
	cfg.Progress = func(msg string) { fmt.Fprintln(app.Stderr, "socklab compare:", msg) }
	r, err := compare.Run(app.Ctx, cfg)
	if app.Ctx.Err() != nil {
		return errInterrupted
	}
	if err != nil {
		return err
	}
	if c.JSON {
		printCompareJSON(app.Stdout, r)
		return nil
	}
	printCompare(app.Stdout, r)
	return nil
}

func printCompare(w io.Writer, r *compare.Report) {
	where := "loopback, nothing lost"
	if r.Lab != "" {
		where = fmt.Sprintf("a lab dropping %v%% of packets to the server", r.Loss)
	}
	fmt.Fprintf(w, "The seed's TCP-vs-UDP table, measured on this machine (loopback; reliability: %s)\n\n", where)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, row := range compare.Table(r) {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, cl := range r.Claims {
		fmt.Fprintf(w, "%s: %q %s\n  %s\n", cl.Row, cl.Claim, cl.Verdict, cl.Why)
	}
	for _, res := range r.Results {
		for _, e := range res.Errors {
			fmt.Fprintf(w, "%s failed: %s\n", res.Transport, e)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

func printCompareJSON(w io.Writer, r *compare.Report) {
	for _, res := range r.Results {
		writeJSON(w, eventOf("result", res))
	}
	count := map[string]int{}
	for _, cl := range r.Claims {
		writeJSON(w, eventOf("claim", cl))
		count[cl.Verdict]++
	}
	ev := event("summary")
	ev["held"], ev["not_held"], ev["not_shown"], ev["partly"] = count[compare.Held], count[compare.NotHeld], count[compare.NotShown], count[compare.Partly]
	ev["loss_pct"], ev["lab"], ev["notes"] = r.Loss, r.Lab, r.Notes
	writeJSON(w, ev)
}

// eventOf is v's JSON fields with "event" and "time" added.
func eventOf(name string, v any) map[string]any {
	ev := map[string]any{}
	if b, err := json.Marshal(v); err == nil {
		json.Unmarshal(b, &ev)
	}
	for k, x := range event(name) {
		ev[k] = x
	}
	return ev
}

package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

type familiesCmd struct {
	JSON bool `name:"json" help:"Print one JSON object per family (NDJSON)."`
}

type familyRow struct {
	Event      string `json:"event"` // "family"
	Name       string `json:"name"`
	Socket     string `json:"socket"`
	Also       string `json:"also,omitempty"`
	Network    string `json:"network"`
	Privileged bool   `json:"privileged"`
	Usable     bool   `json:"usable"`
	Why        string `json:"why,omitempty"`
	Summary    string `json:"summary"`
}

func (c *familiesCmd) Run(app *App) error {
	var rows []familyRow
	for _, d := range app.Registry.All() {
		r := familyRow{Event: "family", Name: d.Name, Socket: d.Spec.Triple(), Network: d.Network, Privileged: d.Privileged, Summary: d.Summary, Usable: true}
		for _, s := range d.Also {
			r.Also = s.Triple()
		}
		if err := d.Usable(); err != nil {
			r.Usable, r.Why = false, err.Error()
		}
		rows = append(rows, r)
	}
	if c.JSON {
		for _, r := range rows {
			app.writeJSON(r)
		}
		return nil
	}
	tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOCKET()\tGO NETWORK\tPRIVILEGED\tUSABLE HERE")
	for _, r := range rows {
		usable := "yes"
		if !r.Usable {
			// One line a family: the first line of the reason, and where
			// the whole of it is (raw families try two sockets).
			why, _, more := strings.Cut(r.Why, "\n")
			usable = "no: " + strings.TrimSuffix(why, ":")
			if more {
				usable += "; socklab doctor explains"
			}
		}
		priv := "no"
		if r.Privileged {
			priv = "yes"
		}
		sock := r.Socket
		if r.Also != "" {
			sock += " | " + r.Also
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, sock, r.Network, priv, usable)
	}
	return tw.Flush()
}

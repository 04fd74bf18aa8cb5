package compare

import (
	"fmt"
	"strings"
)

// Table returns r as the seed's table: a header of the transports, then
// one row per measured figure, each row's label first.
func Table(r *Report) [][]string {
	head := []string{"CLAIM"}
	for _, res := range r.Results {
		head = append(head, strings.ToUpper(res.Transport))
	}
	rows := [][]string{head}
	for _, row := range tableRows {
		line := []string{row.label}
		for i := range r.Results {
			line = append(line, cell(&r.Results[i], row))
		}
		rows = append(rows, line)
	}
	return rows
}

// cell is one figure of res, or "-" when its row failed.
func cell(res *Result, row tableRow) string {
	for _, e := range res.Errors {
		if strings.HasPrefix(e, row.step+":") {
			return "failed"
		}
	}
	return row.cell(res)
}

type tableRow struct {
	label, step string // step is the measurement the row comes from
	cell        func(*Result) string
}

var tableRows = []tableRow{
	{"connection: before 1st byte", "connection", func(r *Result) string {
		if r.Connection.CountedBy == "" {
			return "-"
		}
		if r.kind == KindStream && r.ip {
			return fmt.Sprintf("%d segments", r.Connection.Packets)
		}
		return fmt.Sprintf("%d packets", r.Connection.Packets)
	}},
	{"connection: no server", "connection", func(r *Result) string {
		n := r.Connection.NoServer
		if n.Err == "" {
			return "silence"
		}
		return n.Err + " at " + n.At
	}},
	{"reliability: delivered", "reliability", func(r *Result) string {
		rel := r.Reliability
		s := fmt.Sprintf("%d/%d", rel.Delivered, rel.Sent)
		if rel.HaveTCPInfo && rel.Loss > 0 {
			s += fmt.Sprintf(", %d retrans", rel.Retrans)
		}
		return s
	}},
	{fmt.Sprintf("mode: receives for %d sends", modeSends), "transmission mode", func(r *Result) string {
		if r.Mode.Receives < r.Mode.Sends {
			return fmt.Sprintf("%d (%s B)", r.Mode.Receives, splitString(r.Mode.Split, 3))
		}
		return fmt.Sprint(r.Mode.Receives)
	}},
	{"bulk " + mibString + ": rate, delivered", "bulk transfer", func(r *Result) string {
		return mbps(r.Bulk.Mbps) + ", " + pct(r.Bulk.Delivered, r.Bulk.Sent)
	}},
	{fmt.Sprintf("small %d B: msgs/s, delivered", smallSize), "small messages", func(r *Result) string {
		return fmt.Sprintf("%.0fk, %s", r.Small.PerSec/1000, pct(r.Small.Delivered, r.Small.Sent))
	}},
	{"speed: ping-pong p50/p99", "ping-pong", func(r *Result) string {
		return fmt.Sprintf("%.0f/%.0f µs", float64(r.Latency.P50)/1e3, float64(r.Latency.P99)/1e3)
	}},
	{"speed: setup p50", "connection", func(r *Result) string {
		return us(r.Connection.Setup)
	}},
}

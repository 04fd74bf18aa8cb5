package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// cell is one family, size, load and mode, measured.
type cell struct {
	mode, fam, load string
	size            int
	entries         []entry
	servers         []*server
	rounds          []round
	dropped, total  int
}

// ref is the entry the cell's ratios are taken to.
func (c cell) ref() string {
	switch c.mode {
	case "client":
		return refClient
	case "ping":
		return refPinger
	}
	return refServer
}

// report prints markdown tables to stdout as cells finish.
type report struct {
	cfg  *config
	rows []string // the summary table's rows
	load string   // load average at the start
}

func newReport(cfg *config) *report {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	return &report{cfg: cfg, load: strings.Join(f[:min(3, len(f))], " ")}
}

func (r *report) header() {
	c := r.cfg
	kernel, _ := exec.Command("uname", "-r").Output()
	fmt.Printf("# abrounds: alternating rounds\n\n")
	fmt.Printf("- date: %s; %d CPUs, Linux %s; load average at start %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), strings.TrimSpace(string(kernel)), r.load)
	fmt.Printf("- servers on CPU %d, clients on CPU %d (taskset); %g s per run, %d rounds kept per cell after %d warm-up; a run is dropped when other processes used more than %.0f%% of the measuring CPUs during it (ping mode: the pinger's CPU), and a round is kept when the reference and A ran undisturbed in it (a ratio to B takes the rounds where B did too)\n",
		c.srvCPU, c.cliCPU, c.seconds, c.rounds, c.warmup, c.maxOther*100)
	if realtime {
		fmt.Printf("- servers and clients SCHED_FIFO priority 1 (chrt -f 1, -rt)\n")
	}
	fmt.Printf("- A: %s (%s)\n", c.aName, c.a)
	if c.b != "" {
		fmt.Printf("- B: %s (%s)\n", c.bName, c.b)
	}
	fmt.Printf("- ratios are taken within each round; median [interquartile range] over the rounds kept\n")
}

func (r *report) cell(c cell) {
	kind := map[string]string{"server": "server", "client": "client", "ping": "pinger"}[c.mode]
	fmt.Printf("\n### %s mode: %s, %d B, %s (%d rounds kept of %d run, %d dropped)\n\n", c.mode, c.fam, c.size, c.load, len(c.rounds), c.total, c.dropped)
	if c.load == "pingpong" {
		fmt.Printf("| %s | p50 µs | p99 µs | p50 ÷ %s | p99 ÷ %s | p99 ÷ B |\n|---|---:|---:|---:|---:|---:|\n", kind, c.ref(), c.ref())
	} else {
		fmt.Printf("| %s | echoes/s | ÷ %s | ÷ B | server CPU µs/echo | server peak RSS |\n|---|---:|---:|---:|---:|---:|\n", kind, c.ref())
	}
	for _, e := range c.entries {
		fmt.Println(r.line(c, e))
	}
	r.summaryRow(c)
}

// line is one entry's row of a cell's table.
func (r *report) line(c cell, e entry) string {
	vsB := "-"
	if e.name == r.cfg.aName && r.cfg.b != "" {
		field := rate
		if c.load == "pingpong" {
			field = p99
		}
		vsB = ratios(c.rounds, e.name, r.cfg.bName, field).String()
	}
	if c.load == "pingpong" {
		return fmt.Sprintf("| %s | %.1f | %.1f | %s | %s | %s |", e.name, median(c.rounds, e.name, p50), median(c.rounds, e.name, p99),
			ratios(c.rounds, e.name, c.ref(), p50), ratios(c.rounds, e.name, c.ref(), p99), vsB)
	}
	rss, cpu := "-", "-"
	if c.mode == "server" {
		rss = fmt.Sprintf("%.1f MiB", float64(e.srv.peakRSS())/1024)
	}
	if e.srv != nil {
		cpu = fmt.Sprintf("%.2f", median(c.rounds, e.name, cpuPerEcho(r.cfg.seconds)))
	}
	return fmt.Sprintf("| %s | %.0f | %s | %s | %s | %s |", e.name, median(c.rounds, e.name, rate),
		ratios(c.rounds, e.name, c.ref(), rate), vsB, cpu, rss)
}

// summaryRow keeps A's ratios of the cell for the closing table.
func (r *report) summaryRow(c cell) {
	a := r.cfg.aName
	field := rate
	if c.load == "pingpong" {
		field = p99
	}
	vsB := "-"
	if r.cfg.b != "" {
		vsB = ratios(c.rounds, a, r.cfg.bName, field).String()
	}
	what := "echoes/s"
	if c.load == "pingpong" {
		what = "p99"
	}
	r.rows = append(r.rows, fmt.Sprintf("| %s | %s | %d | %s | %s | %s | %s | %d/%d |", c.mode, c.fam, c.size, c.load, what,
		ratios(c.rounds, a, c.ref(), field), vsB, len(c.rounds), c.total))
}

// summary prints A's ratios in one table.
func (r *report) summary(took time.Duration) {
	fmt.Printf("\n### Summary: A (%s) within each round\n\n", r.cfg.aName)
	fmt.Printf("| mode | family | size | load | measure | A ÷ C (server) or cload (client) | A ÷ B | rounds kept/run |\n|---|---|---:|---|---|---:|---:|---:|\n")
	for _, row := range r.rows {
		fmt.Println(row)
	}
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	fmt.Printf("\nLoad average at end: %s (start: %s); %.0f s in all.\n", strings.Join(f[:min(3, len(f))], " "), r.load, took.Seconds())
}

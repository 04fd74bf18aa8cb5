package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/socklab/socklab/lab"
)

// labCmd is socklab lab: network namespaces joined by veth pairs.
type labCmd struct {
	Up     labUpCmd     `cmd:"" help:"Build a lab: 2 hosts (client, server) or 3 (client, router, server) in network namespaces, with loss, rate and MTU on the link to the server."`
	Down   labDownCmd   `cmd:"" help:"Remove a lab: its namespaces with the veths and nftables rules inside, processes still in them, its state file; also one left by a killed socklab."`
	Status labStatusCmd `cmd:"" help:"Show the labs here, their hosts and addresses, and any left half-built."`
	Exec   labExecCmd   `cmd:"" help:"Run a command (socklab, ping, ss, ...) inside a host of the lab."`
}

type labUpCmd struct {
	Name    string `default:"lab" help:"Name of the lab; its namespaces are socklab-NAME-client and so on."`
	Hosts   int    `default:"2" enum:"2,3" help:"2 (client, server) or 3 (client, router, server; the router forwards)."`
	Loss    string `placeholder:"P%" help:"Drop P% of the packets the server receives (nftables numgen random: this kernel has no netem), e.g. 10%."`
	Rate    string `placeholder:"RATE" help:"Limit the link to the server to RATE each way (tc tbf, a shaper with a queue), e.g. 10mbit."`
	MTU     int    `name:"mtu" placeholder:"N" help:"MTU of the link to the server (router-server with 3 hosts), 1280 to 65535."`
	Verbose bool   `short:"v" help:"Print each ip, nft and tc command as it runs."`
	JSON    bool   `name:"json" help:"Print the lab as JSON (NDJSON)."`
}

type labDownCmd struct {
	Name string `default:"lab" help:"Name of the lab to remove."`
	All  bool   `help:"Remove every lab here, whatever its name."`
	JSON bool   `name:"json" help:"Print what was removed as JSON (NDJSON)."`
}

type labStatusCmd struct {
	JSON bool `name:"json" help:"Print the labs as JSON (NDJSON)."`
}

type labExecCmd struct {
	Name    string   `default:"lab" help:"Name of the lab."`
	Host    string   `arg:"" enum:"client,router,server" help:"The host to run in: client, router (3 hosts) or server."`
	Command []string `arg:"" optional:"" passthrough:"" help:"The command and its arguments, after --. \"socklab\" runs this socklab binary."`
}

// event starts a JSON event: its name and the time.
func event(name string) map[string]any {
	return map[string]any{"event": name, "time": time.Now().Format(time.RFC3339Nano)}
}

func (c *labUpCmd) config(app *App) (lab.Config, error) {
	cfg := lab.Config{Name: c.Name, Hosts: c.Hosts, MTU: c.MTU}
	var err error
	if c.Loss != "" {
		if cfg.Loss, err = lab.ParseLoss(c.Loss); err != nil {
			return cfg, fmt.Errorf("--loss: %w", err)
		}
	}
	if c.Rate != "" {
		if cfg.Rate, err = lab.ParseRate(c.Rate); err != nil {
			return cfg, fmt.Errorf("--rate: %w", err)
		}
	}
	if c.MTU != 0 && (c.MTU < lab.MinMTU || c.MTU > lab.MaxMTU) {
		return cfg, fmt.Errorf("--mtu %d: want %d (IPv6's minimum, and every host has IPv6) to %d", c.MTU, lab.MinMTU, lab.MaxMTU)
	}
	if err := lab.CheckName(c.Name); err != nil {
		return cfg, fmt.Errorf("--name: %w", err)
	}
	if c.Verbose {
		cfg.Notify = func(cmd string) {
			if c.JSON {
				ev := event("step")
				ev["cmd"] = cmd
				writeJSON(app.Stdout, ev)
				return
			}
			fmt.Fprintln(app.Stderr, "+", cmd)
		}
	}
	return cfg, nil
}

func (c *labUpCmd) Run(app *App) error {
	cfg, err := c.config(app)
	if err != nil {
		return err
	}
	l, err := lab.Up(cfg)
	if errors.Is(err, lab.ErrExists) {
		return fmt.Errorf("%w: socklab lab down%s removes it, or choose another --name", err, nameFlag(c.Name))
	}
	if err != nil {
		return err
	}
	if c.JSON {
		ev := event("up")
		ev["lab"], ev["exec"] = l, labHints(l)
		writeJSON(app.Stdout, ev)
		return nil
	}
	printLab(app.Stdout, l)
	fmt.Fprintln(app.Stdout, "Run socklab inside it:")
	for _, h := range labHints(l) {
		fmt.Fprintln(app.Stdout, "  "+h)
	}
	fmt.Fprintf(app.Stdout, "Remove it: socklab lab down%s\n", nameFlag(l.Name))
	return nil
}

// nameFlag is the --name flag a command needs to name lab name.
func nameFlag(name string) string {
	if name == lab.DefaultName {
		return ""
	}
	return " --name " + name
}

// printLab prints a lab's settings and a table of its hosts.
func printLab(w io.Writer, l *lab.Lab) {
	inner := "client-server"
	if len(l.Hosts) == 3 {
		inner = "router-server"
	}
	fmt.Fprintf(w, "lab %s: %d hosts; link %s: %s\n", l.Name, len(l.Hosts), inner, linkSettings(l))
	if l.Netem != "" {
		fmt.Fprintln(w, "  "+l.Netem)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tNETNS\tADDRESSES\tDEFAULT ROUTE")
	for _, h := range l.Hosts {
		var addrs []string
		for _, i := range h.Links {
			addrs = append(addrs, i.Name+" "+joinPrefixes(i.Addrs))
		}
		route := "-"
		if h.Gateway4.IsValid() {
			route = "via " + h.Gateway4.String() + " " + h.Gateway6.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Role, h.Netns, strings.Join(addrs, ", "), route)
	}
	tw.Flush()
}

func linkSettings(l *lab.Lab) string {
	s := []string{fmt.Sprintf("loss %v%% of packets to the server", l.Loss)}
	if l.Rate != 0 {
		s = append(s, "rate "+lab.FormatRate(l.Rate)+" each way")
	}
	mtu := "1500"
	if l.MTU != 0 {
		mtu = fmt.Sprint(l.MTU)
	}
	return strings.Join(append(s, "mtu "+mtu), ", ")
}

func joinPrefixes(ps []netip.Prefix) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, " ")
}

// labHints are commands that run socklab across the lab.
func labHints(l *lab.Lab) []string {
	srv, _ := l.Host(lab.Server)
	n := nameFlag(l.Name)
	v4 := srv.Addr(4).String() + ":8020"
	v6 := netip.AddrPortFrom(srv.Addr(6), 8020).String()
	return []string{
		"socklab lab exec" + n + " server -- socklab udp4 serve --bind " + v4 + " &",
		"socklab lab exec" + n + " client -- socklab udp4 send " + v4 + " hello",
		"socklab lab exec" + n + " client -- socklab udp4 bench -d 5 " + v4,
		"socklab lab exec" + n + " server -- socklab udp6 serve --bind " + v6 + " &",
		"socklab lab exec" + n + " client -- socklab udp6 send " + v6 + " hello",
		"socklab lab exec" + n + " client -- socklab icmp4 ping -c 3 " + srv.Addr(4).String(),
	}
}

func (c *labDownCmd) Run(app *App) error {
	var done []lab.Removed
	var err error
	if c.All {
		done, err = lab.DownAll(nil)
	} else {
		var r lab.Removed
		r, err = lab.Down(c.Name, nil)
		done = []lab.Removed{r}
	}
	for _, r := range done {
		c.print(app, r)
	}
	if c.All && len(done) == 0 && !c.JSON {
		fmt.Fprintln(app.Stdout, "no lab here: nothing to remove")
	}
	return err
}

func (c *labDownCmd) print(app *App, r lab.Removed) {
	if c.JSON {
		ev := event("removed")
		ev["lab"] = r
		writeJSON(app.Stdout, ev)
		return
	}
	if r.Empty() {
		fmt.Fprintf(app.Stdout, "no lab %s here: nothing to remove (socklab lab status lists the labs)\n", r.Name)
		return
	}
	if r.Leftover != "" {
		fmt.Fprintf(app.Stdout, "lab %s was incomplete: %s\n", r.Name, r.Leftover)
	}
	if len(r.Killed) > 0 {
		fmt.Fprintf(app.Stdout, "lab %s: sent SIGTERM to %d processes still running in it: %v\n", r.Name, len(r.Killed), r.Killed)
	}
	fmt.Fprintf(app.Stdout, "lab %s removed: namespaces %s, with the veth pairs and nftables rules inside them\n", r.Name, strings.Join(r.Netns, ", "))
}

func (c *labStatusCmd) Run(app *App) error {
	all, err := lab.List()
	if err != nil {
		return err
	}
	for _, st := range all {
		if c.JSON {
			ev := event("lab")
			ev["lab"] = st
			writeJSON(app.Stdout, ev)
			continue
		}
		printStatus(app.Stdout, st)
	}
	if c.JSON {
		ev := event("status")
		ev["labs"] = len(all)
		writeJSON(app.Stdout, ev)
	} else if len(all) == 0 {
		fmt.Fprintln(app.Stdout, "no lab here (socklab lab up builds one)")
	}
	return nil
}

func printStatus(w io.Writer, st lab.Status) {
	if st.Problem != "" {
		fmt.Fprintf(w, "lab %s: %s; namespaces: %s; socklab lab down%s removes it\n", st.Name, st.Problem, orDefault(strings.Join(st.Netns, ", "), "none"), nameFlag(st.Name))
	}
	if st.Lab == nil {
		return
	}
	printLab(w, st.Lab)
	if st.HaveDropped {
		fmt.Fprintf(w, "  the loss rule has dropped %d packets\n", st.Dropped)
	}
	fmt.Fprintf(w, "  built by pid %d at %s\n", st.Lab.PID, st.Lab.Created.Local().Format(time.DateTime))
}

func (c *labExecCmd) Run(app *App) error {
	if len(c.Command) > 0 && c.Command[0] == "--" {
		c.Command = c.Command[1:] // kong passes the -- through
	}
	if len(c.Command) == 0 {
		return errors.New("lab exec needs a command after --: e.g. socklab lab exec client -- socklab udp4 send 192.0.2.20:8020 hello")
	}
	if err := lab.CheckName(c.Name); err != nil {
		return fmt.Errorf("--name: %w", err)
	}
	ns := lab.NetnsName(c.Name, c.Host)
	if _, err := os.Stat(lab.NetnsDir + "/" + ns); err != nil {
		return fmt.Errorf("lab %s has no host %s (no namespace %s): socklab lab status shows what is here, socklab lab up%s builds it", c.Name, c.Host, ns, nameFlag(c.Name))
	}
	path, err := commandPath(c.Command[0])
	if err != nil {
		return err
	}
	return lab.Exec(ns, path, c.Command)
}

// commandPath finds the program to run; "socklab" is this binary, so that
// the hints work however socklab was started (go run, a path, $PATH).
func commandPath(name string) (string, error) {
	if name == "socklab" {
		return os.Executable()
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("lab exec: %s: not found (give a path, or install it)", name)
	}
	return p, nil
}

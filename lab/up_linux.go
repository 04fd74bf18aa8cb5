package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Up builds the lab c describes and returns it. It refuses (ErrExists)
// when a lab of that name, or any namespace it would use, is already
// there. It writes the lab's state file before it makes anything, so a Up
// that is killed halfway leaves a lab that Down finds; when a step fails,
// Up removes what it made and says which command failed and why.
func Up(c Config) (*Lab, error) {
	c, err := c.Check()
	if err != nil {
		return nil, err
	}
	if err := needTools(c); err != nil {
		return nil, err
	}
	if err := checkFree(c); err != nil {
		return nil, err
	}
	l := newLab(c)
	l.PID, l.Created = os.Getpid(), time.Now().UTC()
	if err := l.save(); err != nil {
		return nil, fmt.Errorf("lab %s: write its state file: %w (Up needs root)", l.Name, err)
	}
	for _, s := range plan(l) {
		if err := run(s, c.Notify); err != nil {
			Down(l.Name, nil)
			return nil, fmt.Errorf("lab %s: %w", l.Name, err)
		}
	}
	if l.Loss > 0 {
		l.Netem = probeNetem(NetnsName(l.Name, Server))
	}
	l.State = "up"
	if err := l.save(); err != nil {
		Down(l.Name, nil)
		return nil, fmt.Errorf("lab %s: write its state file: %w", l.Name, err)
	}
	return l, nil
}

// needTools checks that the commands the lab needs are installed.
func needTools(c Config) error {
	if tool, pkg := MissingTool(c); tool != "" {
		return fmt.Errorf("a lab needs the %s command, which is not installed: apt-get install %s", tool, pkg)
	}
	return nil
}

// checkFree fails with ErrExists when lab c.Name has a state file or any
// of its namespaces exists.
func checkFree(c Config) error {
	old, err := load(c.Name)
	if err != nil {
		return err
	}
	list, err := listNetns()
	if err != nil {
		return err
	}
	have := groupNetns(list)[c.Name]
	if old == nil && len(have) == 0 {
		return nil
	}
	what := "its state file " + statePath(c.Name)
	if len(have) > 0 {
		what = "namespaces " + strings.Join(have, ", ")
	}
	return fmt.Errorf("%w: lab %s is already here (%s)", ErrExists, c.Name, what)
}

// run runs one step, telling notify first.
func run(s step, notify func(string)) error {
	if notify != nil {
		notify(s.String())
	}
	if s.sysctl != "" {
		if err := writeSysctl(s.netns, s.sysctl, s.value); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		return nil
	}
	var out bytes.Buffer
	c := exec.Command(s.argv[0], s.argv[1:]...)
	c.Stdout, c.Stderr = &out, &out
	if err := c.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", s, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// probeNetem says whether this kernel has netem, by adding the qdisc to
// the server's loopback and removing it.
func probeNetem(ns string) string {
	if _, err := exec.LookPath("tc"); err != nil {
		return "loss is an nftables rule (numgen random); tc is not installed to tell whether netem exists"
	}
	out, err := exec.Command("tc", "-n", ns, "qdisc", "add", "dev", "lo", "root", "netem", "loss", "0%").CombinedOutput()
	if err != nil {
		return "this kernel has no netem (tc: " + strings.TrimRight(strings.TrimSpace(strings.TrimPrefix(string(out), "Error: ")), ".") + "): loss is an nftables rule, numgen random"
	}
	exec.Command("tc", "-n", ns, "qdisc", "del", "dev", "lo", "root").Run()
	return "loss is an nftables rule (numgen random), which counts its drops; this kernel also has netem"
}

// SetLoss replaces the loss rule of l's server: pct percent of the packets
// it receives are dropped from now on (0 drops none).
func (l *Lab) SetLoss(pct float64) error {
	if pct < 0 || pct > 100 {
		return fmt.Errorf("loss %v%% is not a share: want 0%% to 100%%", pct)
	}
	if _, err := exec.LookPath("nft"); err != nil {
		return errors.New("loss needs the nft command, which is not installed: apt-get install nftables")
	}
	if err := run(lossStep(NetnsName(l.Name, Server), pct), nil); err != nil {
		return fmt.Errorf("lab %s: %w", l.Name, err)
	}
	l.Loss = pct
	return l.save()
}

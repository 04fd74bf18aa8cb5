package lab

import (
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
)

// The roles a host can have. A two-host lab has a client and a server; a
// three-host lab puts a router between them.
const (
	Client = "client"
	Router = "router"
	Server = "server"
)

// DefaultName is the name of the lab when none is given.
const DefaultName = "lab"

// Prefix starts the name of every namespace of a lab: "socklab-NAME-ROLE".
const Prefix = "socklab-"

// Limits of a lab's settings.
const (
	// MinMTU is the smallest MTU of the inner link: every host has an IPv6
	// address, and IPv6 needs links of at least 1280 bytes (the kernel
	// removes IPv6 from a smaller one).
	MinMTU = 1280
	// MaxMTU is the largest MTU a veth takes.
	MaxMTU = 65535
	// maxName keeps names readable; a namespace name is a file name.
	maxName = 32
)

// Config says what lab to build.
type Config struct {
	// Name tells labs apart; "" is DefaultName. Letters, digits, '-'
	// and '_', starting with a letter or digit.
	Name string
	// Hosts is 2 (client, server) or 3 (client, router, server); 0 is 2.
	Hosts int
	// Loss is the share of packets arriving at the server that are
	// dropped, in percent (0 to 100, down to 0.01).
	Loss float64
	// Rate limits the inner link to this many bits per second, each way;
	// 0 is no limit.
	Rate uint64
	// MTU of the inner link, MinMTU to MaxMTU; 0 leaves the veth's 1500.
	MTU int
	// Notify, when set, is told each command as it runs.
	Notify func(cmd string)
}

// Check returns c with its defaults filled in, or an error saying what is
// wrong with it.
func (c Config) Check() (Config, error) {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if err := CheckName(c.Name); err != nil {
		return c, err
	}
	if c.Hosts == 0 {
		c.Hosts = 2
	}
	if c.Hosts != 2 && c.Hosts != 3 {
		return c, fmt.Errorf("a lab has 2 hosts (client, server) or 3 (client, router, server), not %d", c.Hosts)
	}
	if c.Loss < 0 || c.Loss > 100 || math.IsNaN(c.Loss) {
		return c, fmt.Errorf("loss %v%% is not a share: want 0%% to 100%%", c.Loss)
	}
	if c.MTU != 0 && (c.MTU < MinMTU || c.MTU > MaxMTU) {
		return c, fmt.Errorf("MTU %d is out of range: want %d (IPv6's minimum) to %d", c.MTU, MinMTU, MaxMTU)
	}
	if c.Rate != 0 && c.Rate < minRate {
		return c, fmt.Errorf("rate %s is too slow to carry one full packet in a second: want at least %s", FormatRate(c.Rate), FormatRate(minRate))
	}
	return c, nil
}

// minRate is the slowest rate: one 1500-byte packet a second, about.
const minRate = 16000

// CheckName checks a lab's name: it is part of its namespaces' names.
func CheckName(name string) error {
	if name == "" || len(name) > maxName {
		return fmt.Errorf("lab name %q: want 1 to %d letters, digits, '-' or '_'", name, maxName)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || i > 0 && (r == '-' || r == '_')
		if !ok {
			return fmt.Errorf("lab name %q: want letters, digits, '-' or '_', starting with a letter or digit", name)
		}
	}
	return nil
}

// NetnsName is the name (for ip netns) of the namespace of host role in
// lab name.
func NetnsName(name, role string) string { return Prefix + name + "-" + role }

// Roles returns the roles of a lab of n hosts, client first.
func Roles(n int) []string {
	if n == 3 {
		return []string{Client, Router, Server}
	}
	return []string{Client, Server}
}

// ParseLoss reads a loss percentage: "10%", "0.5%" or "10". Two decimals
// are kept, the precision of the drop rule.
func ParseLoss(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || v < 0 || v > 100 || math.IsNaN(v) {
		return 0, fmt.Errorf("loss %q: want a percentage from 0%% to 100%%, e.g. 10%% or 0.5%%", s)
	}
	return math.Round(v*100) / 100, nil
}

// rateUnits are the units ParseRate takes, as tc spells them: bits per
// second.
var rateUnits = []struct {
	name string
	mult uint64
}{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}}

var errRate = errors.New("want a number and a unit of bits per second: bit, kbit, mbit or gbit, e.g. 10mbit")

// ParseRate reads a rate in bits per second, as tc writes it: "10mbit",
// "1.5gbit", "512kbit".
func ParseRate(s string) (uint64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, u := range rateUnits {
		num, ok := strings.CutSuffix(t, u.name)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || v <= 0 || math.IsInf(v, 0) || v*float64(u.mult) > 1e12 {
			break
		}
		return uint64(v * float64(u.mult)), nil
	}
	return 0, fmt.Errorf("rate %q: %w", s, errRate)
}

// FormatRate writes bits per second as tc does: "10mbit", "1.5gbit".
func FormatRate(bps uint64) string {
	for _, u := range rateUnits {
		if bps >= u.mult {
			return strconv.FormatFloat(float64(bps)/float64(u.mult), 'f', -1, 64) + u.name
		}
	}
	return strconv.FormatUint(bps, 10) + "bit"
}

// MissingTool is the first command a lab like c needs that is not
// installed (ip; nft for loss; tc for a rate), and the package that has
// it; "" when none is missing.
func MissingTool(c Config) (tool, pkg string) {
	tools := [][2]string{{"ip", "iproute2"}}
	if c.Loss > 0 {
		tools = append(tools, [2]string{"nft", "nftables"})
	}
	if c.Rate > 0 {
		tools = append(tools, [2]string{"tc", "iproute2"})
	}
	for _, t := range tools {
		if _, err := exec.LookPath(t[0]); err != nil {
			return t[0], t[1]
		}
	}
	return "", ""
}

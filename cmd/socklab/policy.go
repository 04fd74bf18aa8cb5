package main

import (
	"net/netip"
	"os/user"
	"strconv"
	"strings"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
)

// policy reads serve's --allow, --deny, --rate-limit, --allow-uid and
// --allow-gid into the echo server's Policy.
func (f serveFlags) policy(app *App, ip ipFlags, creds credFlags) (echo.Policy, error) {
	var p echo.Policy
	var err error
	if len(ip.Allow)+len(ip.Deny) > 0 && app.Def.Spec.Family == families.AF_UNIX {
		return p, usagef("--allow and --deny filter IP sources; unix senders have none (use --allow-uid or --allow-gid)")
	}
	if p.Allow, err = prefixes("--allow", ip.Allow); err != nil {
		return p, err
	}
	if p.Deny, err = prefixes("--deny", ip.Deny); err != nil {
		return p, err
	}
	if p.Rate, p.Burst, err = parseRateLimit(f.RateLimit); err != nil {
		return p, err
	}
	if len(creds.AllowUID)+len(creds.AllowGID) > 0 && app.Def.Spec.Family != families.AF_UNIX {
		return p, usagef("--allow-uid and --allow-gid filter unix senders by their credentials; %s senders have none (use --allow)", app.Def.Name)
	}
	if p.AllowUID, err = ids("--allow-uid", creds.AllowUID, lookupUser); err != nil {
		return p, err
	}
	p.AllowGID, err = ids("--allow-gid", creds.AllowGID, lookupGroup)
	return p, err
}

// prefixes reads CIDR prefixes; an address alone is a prefix of one host.
func prefixes(flag string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, usagef("%s %s: want an address or a prefix, e.g. 127.0.0.0/8 or ::1", flag, showName(s))
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// parseRateLimit reads N/s[:BURST]: a rate per second and a burst, both
// positive; "" is no limit.
func parseRateLimit(s string) (rate, burst float64, err error) {
	if s == "" {
		return 0, 0, nil
	}
	bad := usagef("--rate-limit %s: want N/s or N/s:BURST with N and BURST positive, e.g. 1000/s or 1000/s:2000", showName(s))
	r, b, hasBurst := strings.Cut(s, ":")
	r, ok := strings.CutSuffix(r, "/s")
	if !ok {
		return 0, 0, bad
	}
	if rate, err = strconv.ParseFloat(r, 64); err != nil || !(rate > 0) || rate > 1e12 {
		return 0, 0, bad
	}
	if !hasBurst {
		return rate, 0, nil
	}
	if burst, err = strconv.ParseFloat(b, 64); err != nil || !(burst >= 1) || burst > 1e12 {
		return 0, 0, bad
	}
	return rate, burst, nil
}

// ids reads user or group IDs, numbers or names.
func ids(flag string, list []string, lookup func(string) (string, error)) ([]int, error) {
	var out []int
	for _, s := range list {
		if n, err := strconv.ParseUint(s, 10, 32); err == nil {
			out = append(out, int(n))
			continue
		}
		id, err := lookup(s)
		if err != nil {
			return nil, usagef("%s %s: no such name here, and not a number", flag, showName(s))
		}
		n, _ := strconv.Atoi(id)
		out = append(out, n)
	}
	return out, nil
}

func lookupUser(name string) (string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return "", err
	}
	return u.Uid, nil
}

func lookupGroup(name string) (string, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return "", err
	}
	return g.Gid, nil
}

package rawsock

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/socklab/socklab/families"
)

// DoctorReport is what socklab doctor finds: which sockets open here right
// now, the process's privileges, and the fix for each socket that does not.
type DoctorReport struct {
	Sockets []SocketCheck `json:"sockets"`
	// CapNetRaw is CAP_NET_RAW in the process's capability sets.
	CapNetRaw CapState `json:"cap_net_raw"`
	// Executable is this program's path and FileCaps its file capabilities
	// ("cap_net_raw=ep"), "" when it has none.
	Executable   string `json:"executable"`
	FileCaps     string `json:"file_caps"`
	FileCapsNote string `json:"file_caps_note,omitempty"`
	// PingGroupRange is net.ipv4.ping_group_range as read from /proc (the
	// one of this network namespace), and the groups it is checked against.
	PingGroupRange string `json:"ping_group_range"`
	PingGroupLow   int64  `json:"ping_group_low"`
	PingGroupHigh  int64  `json:"ping_group_high"`
	RealGID        int    `json:"real_gid"`
	EffectiveGID   int    `json:"effective_gid"`
	Groups         []int  `json:"groups"`
	// PingGroupMatch is the first of the process's groups (effective, then
	// supplementary, as the kernel checks) inside the range, or -1.
	PingGroupMatch int `json:"ping_group_match"`
	// UserNamespace is true when the process runs in a user namespace other
	// than the initial one (its capabilities count only there).
	UserNamespace bool `json:"user_namespace"`
	// Fixes are the distinct fixes for the sockets that did not open.
	Fixes []string `json:"fixes"`
	// Notes are findings that are not failures.
	Notes []string `json:"notes,omitempty"`
}

// CapState is one capability in the effective, permitted and bounding sets.
type CapState struct {
	Effective bool `json:"effective"`
	Permitted bool `json:"permitted"`
	Bounding  bool `json:"bounding"`
}

// SocketCheck is the result of opening one socket() triple of a family.
type SocketCheck struct {
	Family string `json:"family"`
	Socket string `json:"socket"`
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
	Fix    string `json:"fix,omitempty"`
}

// Doctor opens every triple of every definition, reads the process's
// privileges, and says what to fix. It never decides by user ID: each
// socket is tried.
func Doctor(defs []*families.Definition) *DoctorReport {
	r := &DoctorReport{PingGroupMatch: -1}
	for _, d := range defs {
		for _, s := range d.Specs() {
			c := checkSocket(d.Name, s)
			if c.Fix != "" && !slices.Contains(r.Fixes, c.Fix) {
				r.Fixes = append(r.Fixes, c.Fix)
			}
			r.Sockets = append(r.Sockets, c)
		}
	}
	probeSystem(r)
	return r
}

// checkSocket opens and closes a socket of s, of family.
func checkSocket(family string, s families.Spec) SocketCheck {
	c := SocketCheck{Family: family, Socket: s.String(), OK: true}
	err := probe(s)
	if err == nil {
		return c
	}
	c.OK, c.Error = false, err.Error()
	var fe *families.Error
	if errors.As(err, &fe) {
		c.Error, c.Fix = families.Cause(fe.Err).Error(), fe.Hint
	}
	return c
}

// OK reports whether every socket opened.
func (r *DoctorReport) OK() bool {
	for _, c := range r.Sockets {
		if !c.OK {
			return false
		}
	}
	return true
}

// WriteText prints the report for people.
func (r *DoctorReport) WriteText(w io.Writer) {
	fmt.Fprintln(w, "sockets (each opened and closed now):")
	for _, c := range r.Sockets {
		c.writeText(w)
	}
	fmt.Fprintf(w, "CAP_NET_RAW: effective %s, permitted %s, bounding set %s\n", yes(r.CapNetRaw.Effective), yes(r.CapNetRaw.Permitted), yes(r.CapNetRaw.Bounding))
	r.writeFileCaps(w)
	r.writePingGroup(w)
	fmt.Fprintf(w, "user namespace: %s\n", map[bool]string{true: "not the initial one (capabilities count in it only)", false: "initial"}[r.UserNamespace])
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	r.writeFixes(w)
}

func (c SocketCheck) writeText(w io.Writer) {
	mark := "ok  "
	if !c.OK {
		mark = "FAIL"
	}
	fmt.Fprintf(w, "  %s %-6s %s", mark, c.Family, c.Socket)
	if !c.OK {
		fmt.Fprintf(w, ": %s", c.Error)
	}
	fmt.Fprintln(w)
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (r *DoctorReport) writeFileCaps(w io.Writer) {
	fc := r.FileCaps
	if fc == "" {
		fc = "none"
	}
	fmt.Fprintf(w, "file capabilities of %s: %s\n", r.Executable, fc)
	if r.FileCapsNote != "" {
		fmt.Fprintf(w, "  note: %s\n", r.FileCapsNote)
	}
}

func (r *DoctorReport) writePingGroup(w io.Writer) {
	fmt.Fprintf(w, "net.ipv4.ping_group_range: %s (this network namespace)\n", r.PingGroupRange)
	fmt.Fprintf(w, "  gids: real %d, effective %d, supplementary %v: ", r.RealGID, r.EffectiveGID, r.Groups)
	if r.PingGroupMatch >= 0 {
		fmt.Fprintf(w, "gid %d is in the range, unprivileged ICMP sockets open\n", r.PingGroupMatch)
	} else {
		fmt.Fprintln(w, "none in the range (the kernel checks the effective and supplementary gids)")
	}
}

func (r *DoctorReport) writeFixes(w io.Writer) {
	if len(r.Fixes) == 0 {
		fmt.Fprintln(w, "every socket opens: nothing to fix")
		return
	}
	fmt.Fprintln(w, "to fix:")
	for _, c := range r.Sockets {
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(w, "  %s %s: %s\n", c.Family, c.Socket, c.Fix)
		}
	}
}

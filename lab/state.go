package lab

import (
	"errors"
	"strings"
)

// StateDir holds one state file per lab, NAME.json. It is under /run, a
// tmpfs, so it goes at reboot as the namespaces do.
var StateDir = "/run/socklab/labs"

// NetnsDir is where ip netns keeps a file for each named namespace.
const NetnsDir = "/run/netns"

// ErrExists is returned by Up when a lab of that name, or a namespace it
// would use, is already there.
var ErrExists = errors.New("lab exists")

// parseNetns splits a namespace name made by NetnsName into the lab's
// name and the host's role; ok is false for any other name.
func parseNetns(ns string) (name, role string, ok bool) {
	rest, ok := strings.CutPrefix(ns, Prefix)
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return "", "", false
	}
	name, role = rest[:i], rest[i+1:]
	if role != Client && role != Router && role != Server || CheckName(name) != nil {
		return "", "", false
	}
	return name, role, true
}

package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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

func statePath(name string) string { return filepath.Join(StateDir, name+".json") }

// save writes l's state file, replacing it whole.
func (l *Lab) save() error {
	if err := os.MkdirAll(StateDir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	tmp := statePath(l.Name) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, statePath(l.Name))
}

// load reads lab name's state file; (nil, nil) when there is none.
func load(name string) (*Lab, error) {
	b, err := os.ReadFile(statePath(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var l Lab
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("lab state %s is damaged (%v): remove it by hand", statePath(name), err)
	}
	return &l, nil
}

// stateNames lists the labs that have a state file.
func stateNames() ([]string, error) {
	ents, err := os.ReadDir(StateDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	var names []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok && CheckName(n) == nil {
			names = append(names, n)
		}
	}
	return names, err
}

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

// groupNetns maps each lab name to the namespaces of it in list, sorted.
func groupNetns(list []string) map[string][]string {
	m := map[string][]string{}
	for _, ns := range list {
		if name, _, ok := parseNetns(ns); ok {
			m[name] = append(m[name], ns)
		}
	}
	for _, v := range m {
		sort.Strings(v)
	}
	return m
}

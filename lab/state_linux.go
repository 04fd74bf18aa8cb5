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

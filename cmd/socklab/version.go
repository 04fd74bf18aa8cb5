package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// versionCmd is socklab version.
type versionCmd struct {
	JSON bool `name:"json" help:"Print the version as one JSON object."`
}

// Help is socklab version's detailed help.
func (versionCmd) Help() string {
	return `Prints what the binary was built from, as Go recorded it (runtime/debug.ReadBuildInfo):
the module version ("(devel)" for a build from a checkout, v1.2.3 for go install
...@v1.2.3, or what -ldflags "-X main.version=..." set), the VCS commit, its time and
whether the tree had changes not committed ("dirty"), the Go version and the platform.
socklab --version prints the same line.`
}

func (c *versionCmd) Run(app *App) error {
	v := buildVersion()
	if c.JSON {
		writeJSON(app.Stdout, v)
		return nil
	}
	fmt.Fprintln(app.Stdout, v)
	return nil
}

// versionInfo is what the binary was built from.
type versionInfo struct {
	Event    string `json:"event"` // "version"
	Version  string `json:"version"`
	Module   string `json:"module"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"commit_time,omitempty"`
	Dirty    bool   `json:"dirty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// String is the one line of socklab --version:
// "socklab (devel) commit 95e22ce0c1a2 (dirty) 2026-11-25T07:10:20Z go1.26.8 linux/amd64".
func (v versionInfo) String() string {
	var b strings.Builder
	b.WriteString("socklab " + v.Version)
	if v.Commit != "" {
		b.WriteString(" commit " + v.Commit[:min(12, len(v.Commit))])
		if v.Dirty {
			b.WriteString(" (dirty)")
		}
		if v.Time != "" {
			b.WriteString(" " + v.Time)
		}
	}
	b.WriteString(" " + v.Go + " " + v.Platform)
	return b.String()
}

// buildVersion reads the build information Go stamped into the binary.
// -ldflags "-X main.version=..." overrides the module version.
func buildVersion() versionInfo {
	v := versionInfo{Event: "version", Version: version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Module = bi.Main.Path
	if version == "dev" && bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Dirty = s.Value == "true"
		}
	}
	return v
}

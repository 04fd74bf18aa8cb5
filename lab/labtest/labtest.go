// Package labtest makes a lab (see package lab) for one test: with a name
// no other test run shares, removed when the test ends, and skipped with
// the reason where labs cannot be made (not root, ip or nft missing).
package labtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/socklab/socklab/lab"
)

// New builds the lab cfg describes, under a name of its own (cfg.Name is
// ignored), and removes it when t ends, failing t if anything of it is
// left. It skips t when labs cannot be made here.
func New(t testing.TB, cfg lab.Config) *lab.Lab {
	t.Helper()
	Need(t, cfg)
	cfg.Name = UniqueName()
	l, err := lab.Up(cfg)
	if err != nil {
		t.Fatalf("lab up: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Down(); err != nil {
			t.Errorf("lab down: %v", err)
		}
	})
	return l
}

// Need skips t unless a lab like cfg can be made here: Linux, root, and
// the ip command, with nft for loss and tc for a rate.
func Need(t testing.TB, cfg lab.Config) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("labs are network namespaces, which only Linux has")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to make network namespaces (CI runs as root)")
	}
	if tool, pkg := lab.MissingTool(cfg); tool != "" {
		t.Skipf("needs the %s command to build a lab: apt-get install %s", tool, pkg)
	}
}

// UniqueName is a lab name no other test, in this run or another running
// beside it, uses: this process's PID and a random tag.
func UniqueName() string {
	var b [3]byte
	rand.Read(b[:])
	return fmt.Sprintf("t%d%s", os.Getpid(), hex.EncodeToString(b[:]))
}

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// versionJSON runs socklab version --json with o and decodes it.
func versionJSON(t *testing.T, o runOpts) versionInfo {
	t.Helper()
	r := socklabWith(t, o, "version", "--json")
	mustSucceed(t, r, "socklab version --json")
	var v versionInfo
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("version --json is not a JSON object: %v\n%s", err, r)
	}
	return v
}

func TestVersionSaysModuleAndGo(t *testing.T) {
	t.Parallel()
	v := versionJSON(t, runOpts{})
	if v.Event != "version" || v.Module != "github.com/socklab/socklab" || v.Go != runtime.Version() ||
		v.Platform != runtime.GOOS+"/"+runtime.GOARCH || v.Version == "" || v.Version == "dev" {
		t.Errorf("version --json = %+v: want the module path, a module version, %s and %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	}
	flag := socklab(t, "--version")
	cmd := socklab(t, "version")
	mustSucceed(t, flag, "socklab --version")
	if flag.stdout != cmd.stdout || !strings.HasPrefix(flag.stdout, "socklab "+v.Version+" ") || !strings.Contains(flag.stdout, runtime.Version()) {
		t.Errorf("socklab --version printed %q and socklab version %q: want the same line, naming %s and %s", flag.stdout, cmd.stdout, v.Version, runtime.Version())
	}
}

// TestVersionFromVCS builds socklab as a release would be, stamped with the
// VCS state and a version from -ldflags, and checks that it reports the
// commit git has checked out and whether the tree differs from it.
func TestVersionFromVCS(t *testing.T) {
	t.Parallel()
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("no git work tree here to stamp the build from: %v", err)
	}
	status, err := exec.Command("git", "status", "--porcelain").Output()
	if err != nil {
		t.Skipf("git status: %v", err)
	}
	stamped := filepath.Join(t.TempDir(), "socklab")
	ctx, cancel := context.WithTimeout(context.Background(), 4*cmdTimeout)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-buildvcs=true", "-ldflags", "-X main.version=v9.8.7", "-o", stamped, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
	}
	v := versionJSON(t, runOpts{bin: stamped})
	if v.Commit == "" && inWorktree() {
		t.Skip("go does not stamp VCS information in a git worktree (its .git is a file); a clone has it")
	}
	if want := strings.TrimSpace(string(head)); v.Commit != want {
		t.Errorf("commit %q, want git's HEAD %q", v.Commit, want)
	}
	if dirty := len(strings.TrimSpace(string(status))) > 0; v.Dirty != dirty {
		t.Errorf("dirty = %v, but git status says the tree is %s", v.Dirty, map[bool]string{true: "changed", false: "clean"}[dirty])
	}
	if v.Version != "v9.8.7" || v.Time == "" {
		t.Errorf("version %q at %q: want v9.8.7 from -ldflags and the commit's time", v.Version, v.Time)
	}
	line := socklabWith(t, runOpts{bin: stamped}, "--version").stdout
	if !strings.HasPrefix(line, "socklab v9.8.7 commit "+v.Commit[:12]) {
		t.Errorf("--version printed %q, want socklab v9.8.7 commit %s...", line, v.Commit[:12])
	}
}

// inWorktree reports whether the git work tree here is a linked worktree,
// whose .git is a file naming the repository.
func inWorktree() bool {
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return false
	}
	fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git"))
	return err == nil && !fi.IsDir()
}

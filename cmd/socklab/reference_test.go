package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// referenceFile is the generated reference, checked against the binary.
const referenceFile = "../../docs/reference.md"

// TestHelpReferenceUpToDate checks docs/reference.md against socklab help
// --all --markdown; -update rewrites it.
func TestHelpReferenceUpToDate(t *testing.T) {
	t.Parallel()
	// A narrow terminal must not change it: the width is fixed inside.
	r := socklabWith(t, runOpts{env: []string{"COLUMNS=60"}}, "help", "--all", "--markdown")
	mustSucceed(t, r, "socklab help --all --markdown")
	if *update {
		if err := os.WriteFile(referenceFile, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Fatalf("%v (run: go test ./cmd/socklab -run Help -update)", err)
	}
	if string(want) != r.stdout {
		t.Errorf("docs/reference.md differs from socklab help --all --markdown (if the change is intended, run: go test ./cmd/socklab -run Help -update)\n%s",
			lineDiff(string(want), r.stdout))
	}
}

// TestHelpAllIsEveryHelp checks that socklab help --all holds every
// command's --help exactly as its golden file has it, in tree order.
func TestHelpAllIsEveryHelp(t *testing.T) {
	t.Parallel()
	r := socklabWith(t, runOpts{env: []string{helpColumns}}, "help", "--all")
	mustSucceed(t, r, "socklab help --all")
	rest := r.stdout
	for _, path := range commandPaths(t) {
		golden, err := os.ReadFile(filepath.Join(helpDir, goldenName(path)))
		if err != nil {
			t.Fatal(err)
		}
		want := "$ " + strings.Join(append([]string{"socklab"}, path...), " ") + " --help\n" + string(golden) + "\n"
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("help --all does not hold, after the commands before it, the help of socklab %s as --help prints it", strings.Join(path, " "))
		}
		rest = rest[i+len(want):]
	}
	if rest != "" {
		t.Errorf("help --all has more than every command's help: %q", rest)
	}
}

func TestHelpCommand(t *testing.T) {
	t.Parallel()
	o := runOpts{env: []string{helpColumns}}
	got := socklabWith(t, o, "help", "udp4", "serve")
	want := socklabWith(t, o, "udp4", "serve", "--help")
	mustSucceed(t, got, "socklab help udp4 serve")
	if got.stdout != want.stdout {
		t.Errorf("socklab help udp4 serve differs from socklab udp4 serve --help\n%s", lineDiff(want.stdout, got.stdout))
	}
	checkOneLineError(t, socklab(t, "help", "udp5"), "help udp5", "udp5")
}

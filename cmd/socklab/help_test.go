package main

// Golden files of every command's --help, in testdata/help. The commands
// are found by walking the kong model, so a new command fails this test
// until its golden file exists. Regenerate with
//
//	go test ./cmd/socklab -run Help -update

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

var update = flag.Bool("update", false, "rewrite testdata/help/*.golden from the current --help output")

const helpDir = "testdata/help"

// helpColumns fixes kong's wrap width (it reads $COLUMNS before asking the
// terminal), so the goldens do not depend on who runs the tests where.
const helpColumns = "COLUMNS=100"

// commandPaths walks the command tree and returns the argument path of
// every command, the root (an empty path) first.
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	var c cli
	parser, err := kong.New(&c, kong.Name("socklab"), kong.Vars{"version": version, "messages": messagesHelp}, kong.Exit(func(int) {}))
	if err != nil {
		t.Fatalf("building the kong model: %v", err)
	}
	var paths [][]string
	var walk func(n *kong.Node, path []string)
	walk = func(n *kong.Node, path []string) {
		if n.Hidden {
			return
		}
		switch n.Type {
		case kong.CommandNode:
			path = append(path, n.Name)
		case kong.ArgumentNode:
			// A branching argument: any value reaches its help.
			path = append(path, n.Name)
		}
		paths = append(paths, append([]string(nil), path...))
		for _, child := range n.Children {
			walk(child, path)
		}
	}
	walk(parser.Model.Node, nil)
	return paths
}

func goldenName(path []string) string {
	if len(path) == 0 {
		return "socklab.golden"
	}
	return strings.Join(path, "_") + ".golden"
}

func TestHelpGolden(t *testing.T) {
	paths := commandPaths(t)
	if *update {
		os.MkdirAll(helpDir, 0o755)
	}
	want := map[string]bool{}
	for _, path := range paths {
		name := goldenName(path)
		want[name] = true
		args := append(append([]string(nil), path...), "--help")
		t.Run(strings.TrimSuffix(name, ".golden"), func(t *testing.T) {
			t.Parallel()
			r := socklabWith(t, runOpts{env: []string{helpColumns}}, args...)
			mustSucceed(t, r, "socklab "+strings.Join(args, " "))
			if r.stderr != "" {
				t.Errorf("--help wrote to stderr: %q", r.stderr)
			}
			usage := "Usage: socklab"
			if len(path) > 0 {
				usage += " " + strings.Join(path, " ")
			}
			if !strings.HasPrefix(r.stdout, usage) {
				t.Errorf("help does not start with %q:\n%s", usage, r.stdout)
			}
			for _, l := range strings.Split(r.stdout, "\n") {
				if len(l) > 100 {
					t.Errorf("help line wider than COLUMNS=100: %q", l)
				}
			}
			file := filepath.Join(helpDir, name)
			if *update {
				if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			golden, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("no golden help for socklab %s: %v (run: go test ./cmd/socklab -run Help -update)", strings.Join(path, " "), err)
			}
			if string(golden) != r.stdout {
				t.Errorf("socklab %s differs from %s (if the change is intended, run: go test ./cmd/socklab -run Help -update)\n%s",
					strings.Join(args, " "), file, lineDiff(string(golden), r.stdout))
			}
		})
	}

	// A golden file whose command is gone is stale.
	files, _ := filepath.Glob(filepath.Join(helpDir, "*.golden"))
	sort.Strings(files)
	for _, f := range files {
		if want[filepath.Base(f)] {
			continue
		}
		if *update {
			os.Remove(f)
			continue
		}
		t.Errorf("%s belongs to no command (run: go test ./cmd/socklab -run Help -update)", f)
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  golden: " + wl + "\n  now:    " + gl + "\n")
			shown++
		}
	}
	return b.String()
}

// TestHelpListsEveryCommand checks that socklab --help names every leaf
// command, so nothing is reachable only by guessing.
func TestHelpListsEveryCommand(t *testing.T) {
	t.Parallel()
	r := socklabWith(t, runOpts{env: []string{helpColumns}}, "--help")
	mustSucceed(t, r, "socklab --help")
	for _, path := range commandPaths(t) {
		if len(path) == 0 {
			continue
		}
		if !strings.Contains(r.stdout, "  "+strings.Join(path, " ")) {
			t.Errorf("socklab --help does not list %q", strings.Join(path, " "))
		}
	}
}

func TestHelpWidthFromColumns(t *testing.T) {
	t.Parallel()
	// A narrow terminal wraps the same text more: the goldens hold only
	// because COLUMNS is fixed.
	narrow := socklabWith(t, runOpts{env: []string{"COLUMNS=60"}}, "udp4", "serve", "--help")
	wide := socklabWith(t, runOpts{env: []string{helpColumns}}, "udp4", "serve", "--help")
	if narrow.stdout == wide.stdout {
		t.Errorf("COLUMNS does not change the help width; the goldens may depend on the terminal")
	}
}

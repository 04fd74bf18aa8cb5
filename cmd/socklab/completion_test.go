package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/socklab/socklab/families"
)

// bashComplete sources socklab's bash completion in a bash and runs its
// completion function on line, with the cursor at the end, as bash does on
// TAB: COMP_WORDS split at bash's word breaks, COMP_CWORD the last word.
// It returns what the function put in COMPREPLY.
func bashComplete(t *testing.T, script, line string) []string {
	t.Helper()
	prog := `source "$1"
COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}
COMP_WORDS=(); for w in $2; do COMP_WORDS+=("$w"); done
[[ "$2" == *" " ]] && COMP_WORDS+=("")
COMP_WORDS[0]="$3"; COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_socklab
printf '%s\n' "${COMPREPLY[@]}"`
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", "--norc", "--noprofile", "-c", prog, "bash", script, line, bin).Output()
	if err != nil {
		t.Fatalf("bash completing %q: %v", line, err)
	}
	var words []string
	for _, w := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if w != "" {
			words = append(words, w)
		}
	}
	slices.Sort(words)
	return words
}

func TestBashCompletion(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	r := socklab(t, "completion", "bash")
	mustSucceed(t, r, "socklab completion bash")
	script := filepath.Join(t.TempDir(), "socklab.bash")
	os.WriteFile(script, []byte(r.stdout), 0o644)
	for _, c := range []struct {
		line string
		want []string
	}{
		{"socklab ud", []string{"udp4", "udp6"}},
		{"socklab ic", []string{"icmp4", "icmp6"}},
		{"socklab udp4 ", []string{"bench", "pmtu", "send", "serve"}},
		{"socklab udp4 serve --rep", []string{"--reply"}},
		{"socklab udp4 serve --reply ", []string{"echo", "seed", "sockperf"}},
		{"socklab udp6 bench --mode ", []string{"pingpong", "throughput"}},
		{"socklab unix serve --systemd r", []string{"require"}},
		{"socklab icmp4 ping --mode ", []string{"auto", "dgram", "raw"}},
		{"socklab socket --family ", familyWords},
		{"socklab socket --type d", []string{"dgram"}},
		{"socklab completion ", []string{"bash", "fish", "zsh"}},
		{"socklab plot --ti", []string{"--title"}},
	} {
		want := slices.Sorted(slices.Values(c.want))
		if got := bashComplete(t, script, c.line); !slices.Equal(got, want) {
			t.Errorf("TAB on %q completes %q, want %q", c.line, got, want)
		}
	}
	// Every top-level command is offered on an empty line.
	all := bashComplete(t, script, "socklab ")
	for _, path := range commandPaths(t) {
		if len(path) == 1 && !slices.Contains(all, path[0]) {
			t.Errorf("TAB on \"socklab \" does not offer %q: %q", path[0], all)
		}
	}
}

// TestCompletedSocketWordsParse checks that each --family, --type and
// --proto value offered on TAB is one socklab socket accepts.
func TestCompletedSocketWordsParse(t *testing.T) {
	for _, w := range familyWords {
		if _, err := families.ParseFamily(w); err != nil {
			t.Errorf("--family %s is offered but refused: %v", w, err)
		}
	}
	for _, w := range typeWords {
		if _, err := families.ParseType(w); err != nil {
			t.Errorf("--type %s is offered but refused: %v", w, err)
		}
	}
	for _, w := range protoWords {
		if _, err := families.ParseProto(w); err != nil {
			t.Errorf("--proto %s is offered but refused: %v", w, err)
		}
	}
}

// TestZshAndFishCompletionParse checks that the zsh and fish scripts are
// valid in their shells, where those are installed.
func TestZshAndFishCompletionParse(t *testing.T) {
	t.Parallel()
	for shell, check := range map[string][]string{"zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}} {
		r := socklab(t, "completion", shell)
		mustSucceed(t, r, "socklab completion "+shell)
		if !strings.Contains(r.stdout, "COMP_LINE") {
			t.Errorf("the %s script does not hand the line to socklab:\n%s", shell, r.stdout)
		}
		if _, err := exec.LookPath(check[0]); err != nil {
			t.Logf("%s is not installed: its script's syntax is not checked", shell)
			continue
		}
		f := filepath.Join(t.TempDir(), "socklab."+shell)
		os.WriteFile(f, []byte(r.stdout), 0o644)
		if out, err := exec.Command(check[0], append(check[1:], f)...).CombinedOutput(); err != nil {
			t.Errorf("%s rejects its script: %v\n%s", shell, err, out)
		}
	}
}

// TestFishCompletion asks fish itself to complete lines (complete -C) with
// socklab's fish script loaded.
func TestFishCompletion(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("fish"); err != nil {
		t.Skip("fish is not installed")
	}
	prog := `socklab completion fish | source; complete -C "socklab udp4 serve --reply "; complete -C "socklab ud"`
	cmd := exec.Command("fish", "--no-config", "-c", prog)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fish: %v", err)
	}
	if got := strings.Fields(string(out)); !slices.Equal(got, []string{"echo", "seed", "sockperf", "udp4", "udp6"}) {
		t.Errorf("fish completes %q, want the --reply values then udp4 and udp6", got)
	}
}

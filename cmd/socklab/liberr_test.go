package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// libraryPackages are the packages whose words are the library's: their
// errors and hints name what is wrong in library terms, and never a flag
// or a command of socklab's (cmd/ adds those; see families.Term).
var libraryPackages = []string{"families", "families/familytest", "echo", "echo/echotest", "rawsock"}

// notErrorText are the string literals of the library packages that may
// say "socklab" or "--x" because they are not error or hint text, each with
// the reason. Keep it short: a new entry needs a reason as good.
var notErrorText = map[string]string{
	`"@socklab"`: "families/unix.go: the default abstract name is an address, not words",
	`"raw IPv4, header built by socklab (IP_HDRINCL; CAP_NET_RAW)"`: "rawsock/defs.go: a family's summary for the families table",
	`"socklab: %s (%s mode), echo id %d (%#04x) on the wire%s\n"`:   "rawsock/pingprint.go: PingPrinter's note line, printed as ping's output, not an error",
}

// flagOrCommand is what library text must not contain: a long flag, or the
// program's name.
var flagOrCommand = regexp.MustCompile(`--[A-Za-z]|(?i)\bsocklab\b`)

// TestLibraryTextNamesNoFlag reads every string literal of the library
// packages (imports and struct tags aside) and refuses a flag or the word
// socklab: a library hint says "a longer timeout", and Error.Terms lets
// the command line add "(--timeout)".
func TestLibraryTextNamesNoFlag(t *testing.T) {
	for _, dir := range libraryPackages {
		files, err := filepath.Glob(filepath.Join("..", "..", dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			for _, bad := range flagLiterals(t, f) {
				t.Errorf("%s: %s names a flag or socklab: say it in library words, and list the setting in Error.Terms", bad.pos, bad.lit)
			}
		}
	}
}

type literal struct {
	pos token.Position
	lit string
}

// flagLiterals returns the string literals of file that name a flag or
// socklab and are not in notErrorText.
func flagLiterals(t *testing.T, file string) []literal {
	t.Helper()
	fset := token.NewFileSet()
	af, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	skip := map[*ast.BasicLit]bool{}
	for _, im := range af.Imports {
		skip[im.Path] = true
	}
	var bad []literal
	ast.Inspect(af, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			if n.Tag != nil {
				skip[n.Tag] = true
			}
		case *ast.BasicLit:
			if n.Kind == token.STRING && !skip[n] && flagOrCommand.MatchString(n.Value) && notErrorText[n.Value] == "" {
				bad = append(bad, literal{fset.Position(n.Pos()), n.Value})
			}
		}
		return true
	})
	return bad
}

// TestLibraryTextCheckSees: the check finds what it looks for, so a pass
// means something.
func TestLibraryTextCheckSees(t *testing.T) {
	for _, s := range []string{`"choose another --path"`, `"start socklab udp4 serve"`, "`use --workers`", `"Socklab"`} {
		if !flagOrCommand.MatchString(s) {
			t.Errorf("the check does not see %s", s)
		}
	}
	for _, s := range []string{`"a longer timeout"`, `"-- a dash"`, `"socklabs"`} {
		if flagOrCommand.MatchString(s) {
			t.Errorf("the check refuses %s", s)
		}
	}
}

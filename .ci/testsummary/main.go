// Command testsummary reads `go test -json` on stdin and writes what a CI
// log needs: each package's result line, the output of every test that
// failed, and at the end one line of counts, "N passed, N failed, N
// skipped", then each skipped test's name and reason. Tests and subtests
// count alike; a package that failed with no test failing (a build error,
// TestMain, a panic outside a test) counts as one failed. It exits 1 when
// anything failed, 0 otherwise; CI also keeps go test's own exit status.
//
//	go test -json ./... | go run .ci/testsummary/main.go
//
// It lives under .ci, which ./... patterns skip: go test ./... and go vet
// ./... do not build it. It uses the standard library only.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is one line of go test -json (cmd/test2json), with the build
// events of Go 1.24.
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output, build-fail
}

type key struct{ pkg, test string }

type summary struct {
	w                       io.Writer
	output                  map[key][]string // each running test's output
	passed, failed, skipped int
	skips                   []string            // "pkg Test: reason", in order
	pkgTestFailed           map[string]bool     // a test of the package failed
	pkgFailed               []string            // packages that failed with no failed test
	buildOutput             map[string][]string // by import path
}

func newSummary(w io.Writer) *summary {
	return &summary{w: w, output: map[key][]string{}, pkgTestFailed: map[string]bool{}, buildOutput: map[string][]string{}}
}

func (s *summary) line(raw string) {
	var e event
	if err := json.Unmarshal([]byte(raw), &e); err != nil || e.Action == "" {
		fmt.Fprintln(s.w, raw) // not go test -json: pass it on
		return
	}
	k := key{e.Package, e.Test}
	switch {
	case e.Action == "build-output":
		fmt.Fprint(s.w, e.Output)
	case e.Test == "" && e.Action == "output":
		if e.Output != "PASS\n" {
			fmt.Fprint(s.w, e.Output)
		}
	case e.Test == "" && e.Action == "fail":
		if !s.pkgTestFailed[e.Package] {
			s.pkgFailed = append(s.pkgFailed, e.Package)
		}
	case e.Test == "":
	case e.Action == "output":
		s.output[k] = append(s.output[k], e.Output)
	case e.Action == "pass":
		s.passed++
		delete(s.output, k)
	case e.Action == "fail":
		s.failed++
		s.pkgTestFailed[e.Package] = true
		fmt.Fprint(s.w, strings.Join(s.output[k], ""))
		delete(s.output, k)
	case e.Action == "skip":
		s.skipped++
		s.skips = append(s.skips, fmt.Sprintf("%s %s: %s", e.Package, e.Test, reason(s.output[k])))
		delete(s.output, k)
	}
}

// reason is what a skipped test said, on one line: its log lines without
// the === and --- lines of the test runner.
func reason(out []string) string {
	var r []string
	for _, l := range strings.Split(strings.Join(out, ""), "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP: ") {
			continue
		}
		r = append(r, t)
	}
	if len(r) == 0 {
		return "(no reason given)"
	}
	return strings.Join(r, " ")
}

// finish prints the closing lines and reports whether everything passed.
func (s *summary) finish() bool {
	failed := s.failed + len(s.pkgFailed)
	for _, p := range s.pkgFailed {
		fmt.Fprintf(s.w, "package %s failed outside its tests (build, TestMain or a panic): see its output above\n", p)
	}
	fmt.Fprintf(s.w, "%d passed, %d failed, %d skipped\n", s.passed, failed, s.skipped)
	for _, sk := range s.skips {
		fmt.Fprintln(s.w, "  skipped", sk)
	}
	return failed == 0
}

func main() {
	s := newSummary(os.Stdout)
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		s.line(sc.Text())
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stdout, "testsummary: reading go test -json:", err)
		s.pkgFailed = append(s.pkgFailed, "(the go test -json stream)")
	}
	if !s.finish() {
		os.Exit(1)
	}
}

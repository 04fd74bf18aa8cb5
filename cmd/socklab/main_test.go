package main

// Test harness for the socklab command: TestMain builds the binary once, and
// the helpers here run it as a user would, start servers and read what they
// print. The tests themselves are in e2e_test.go (the command's behaviour),
// interop_test.go (the Python seed) and help_test.go (golden help).

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bin is the socklab binary TestMain builds; its directory is world
// readable so that tests can run it as an unprivileged user.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "socklab-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "socklab tests:", err)
		os.Exit(2)
	}
	os.Chmod(dir, 0o755)
	bin = filepath.Join(dir, "socklab")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "socklab tests: go build:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cmdTimeout bounds every child process, so that a hung socklab fails its
// test instead of the whole run.
const cmdTimeout = 15 * time.Second

// runOpts says how to run the binary.
type runOpts struct {
	stdin  io.Reader
	env    []string   // added to the environment
	files  []*os.File // ExtraFiles: the first is fd 3
	nobody bool       // run as uid/gid 65534 through setpriv (root only)
	// netns runs the command inside that network namespace, through
	// ip netns exec (root only); see newNetns.
	netns string
	// wrap is a command prefix that ends by running the binary, such as
	// setpriv dropping a capability.
	wrap []string
	// bin runs another binary than the one TestMain built (a copy of it).
	bin string
}

// result is what a finished command did.
type result struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

func command(ctx context.Context, o runOpts, args ...string) *exec.Cmd {
	argv := []string{bin}
	if o.bin != "" {
		argv[0] = o.bin
	}
	if o.nobody {
		argv = append([]string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, argv...)
	}
	argv = append(append([]string(nil), o.wrap...), argv...)
	if o.netns != "" {
		// ip netns exec execs the command: the process is socklab's.
		argv = append([]string{"ip", "netns", "exec", o.netns}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], append(argv[1:], args...)...)
	cmd.Env = append(os.Environ(), o.env...)
	cmd.ExtraFiles = o.files
	cmd.Stdin = o.stdin
	return cmd
}

// socklab runs the binary to completion.
func socklab(t *testing.T, args ...string) result {
	t.Helper()
	return socklabWith(t, runOpts{}, args...)
}

func socklabWith(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := command(ctx, o, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("socklab %s: still running after %v\n%s", strings.Join(args, " "), cmdTimeout, r)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("socklab %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// mustSucceed fails the test unless r exited 0.
func mustSucceed(t *testing.T, r result, what string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: want exit 0\n%s", what, r)
	}
}

// checkOneLineError checks what a user sees when socklab refuses: a non-zero
// exit, exactly one line on stderr that starts "socklab:", containing every
// want, and nothing on stdout.
func checkOneLineError(t *testing.T, r result, want ...string) {
	t.Helper()
	if r.code == 0 {
		t.Errorf("want a non-zero exit\n%s", r)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasSuffix(r.stderr, "\n") || !strings.HasPrefix(lines[0], "socklab: ") {
		t.Errorf("want exactly one stderr line starting \"socklab: \", got %q", r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q does not say %q", r.stderr, w)
		}
	}
	if r.stdout != "" {
		t.Errorf("want nothing on stdout, got %q", r.stdout)
	}
}

// lines collects a stream's lines as they come, for waiting on them.
type lines struct {
	mu   sync.Mutex
	all  []string
	done bool
	// more is closed (and forgotten) when a line comes or the stream
	// ends, to wake whoever waits for one.
	more chan struct{}
}

func (l *lines) read(r io.Reader, wg *sync.WaitGroup) {
	defer wg.Done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		l.mu.Lock()
		l.all = append(l.all, sc.Text())
		l.wake()
		l.mu.Unlock()
	}
	io.Copy(io.Discard, r)
	l.mu.Lock()
	l.done = true
	l.wake()
	l.mu.Unlock()
}

// wake tells the waiters that l changed; l.mu is held.
func (l *lines) wake() {
	if l.more != nil {
		close(l.more)
		l.more = nil
	}
}

func (l *lines) snapshot() ([]string, bool) {
	all, done, _ := l.watch()
	return all, done
}

// watch returns the lines so far, whether the stream has ended, and a
// channel closed at the next change.
func (l *lines) watch() ([]string, bool, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.more == nil {
		l.more = make(chan struct{})
	}
	return append([]string(nil), l.all...), l.done, l.more
}

func (l *lines) String() string {
	all, _ := l.snapshot()
	return strings.Join(all, "\n")
}

// waitFor waits until ok is true of l's lines and returns true, or returns
// false once l has ended without it, or after cmdTimeout. It sleeps on no
// clock: each new line wakes it.
func (l *lines) waitFor(ok func(all []string) bool) bool {
	timeout := time.NewTimer(cmdTimeout)
	defer timeout.Stop()
	for {
		all, done, more := l.watch()
		if ok(all) {
			return true
		}
		if done {
			return false
		}
		select {
		case <-more:
		case <-timeout.C:
			return false
		}
	}
}

// proc is a socklab process running in the background, a server mostly.
type proc struct {
	t              *testing.T
	args           []string
	cmd            *exec.Cmd
	stdout, stderr lines
	readers        sync.WaitGroup
	exited         chan struct{}
	waitErr        error
}

// start runs socklab in the background; t.Cleanup kills it if the test did
// not stop it.
func start(t *testing.T, o runOpts, args ...string) *proc {
	t.Helper()
	return startCmd(t, command(context.Background(), o, args...), args)
}

// startCmd starts cmd (socklab, or a peer such as the seed's Python
// server) with its output collected line by line; t.Cleanup kills it if
// the test did not stop it. args names it in messages.
func startCmd(t *testing.T, cmd *exec.Cmd, args []string) *proc {
	t.Helper()
	p := &proc{t: t, args: args, cmd: cmd, exited: make(chan struct{})}
	so, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	se, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s %s: %v", cmd.Path, strings.Join(args, " "), err)
	}
	p.readers.Add(2)
	go p.stdout.read(so, &p.readers)
	go p.stderr.read(se, &p.readers)
	go func() {
		p.readers.Wait()
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

func (p *proc) String() string {
	return fmt.Sprintf("socklab %s\nstdout:\n%s\nstderr:\n%s", strings.Join(p.args, " "), &p.stdout, &p.stderr)
}

// waitLine waits for a line of l that matches re and returns its
// submatches; it fails the test when none comes.
func (p *proc) waitLine(l *lines, re *regexp.Regexp) []string {
	p.t.Helper()
	m := p.awaitLine(l, re)
	if m == nil {
		p.t.Fatalf("no line matching %q\n%s", re, p)
	}
	return m
}

// awaitLine is waitLine for a line that may not come: it returns nil when
// the stream ends (or cmdTimeout passes) without one.
func (p *proc) awaitLine(l *lines, re *regexp.Regexp) []string {
	var m []string
	l.waitFor(func(all []string) bool {
		for _, s := range all {
			if m = re.FindStringSubmatch(s); m != nil {
				return true
			}
		}
		return false
	})
	return m
}

// countLines waits until l has n lines matching re, then returns them.
func (p *proc) countLines(l *lines, re *regexp.Regexp, n int) []string {
	p.t.Helper()
	var got []string
	l.waitFor(func(all []string) bool {
		got = got[:0]
		for _, s := range all {
			if re.MatchString(s) {
				got = append(got, s)
			}
		}
		return len(got) >= n
	})
	if len(got) != n {
		p.t.Fatalf("want %d lines matching %q, got %d\n%s", n, re, len(got), p)
	}
	return got
}

// stop sends sig and waits for the process to exit, returning its exit code.
func (p *proc) stop(sig os.Signal) int {
	p.t.Helper()
	p.cmd.Process.Signal(sig)
	return p.wait()
}

func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(cmdTimeout):
		p.t.Fatalf("socklab did not exit\n%s", p)
	}
	if ee, ok := p.waitErr.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.t.Fatalf("socklab was killed by %v instead of exiting\n%s", ws.Signal(), p)
		}
		return ee.ExitCode()
	}
	return 0
}

var listeningRE = regexp.MustCompile(`^socklab: (\S+) (socket\(.*\)(?: fd \d+)?) listening on (\S+), reply (\w+)$`)

// server is a running socklab serve, ready for datagrams.
type server struct {
	*proc
	family string // as the listening line names it: udp4, udp6, unix
	socket string // socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)
	addr   string // the address it is bound to
}

// startServer starts socklab with args (a serve command) and waits until it has
// said where it listens and printed the seed's "waiting for message...".
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	return startServerWith(t, runOpts{}, args...)
}

func startServerWith(t *testing.T, o runOpts, args ...string) *server {
	t.Helper()
	p := start(t, o, args...)
	m := p.waitLine(&p.stderr, listeningRE)
	if !slices.Contains(args, "-q") && !slices.Contains(args, "--quiet") {
		// -q prints nothing on stdout but the summary.
		p.waitLine(&p.stdout, regexp.MustCompile(`^waiting for message\.\.\.$`))
	}
	return &server{proc: p, family: m[1], socket: m[2], addr: m[3]}
}

// summaryRE is the server's summary line, the first of its last lines.
var summaryRE = regexp.MustCompile(`^summary: (\d+) datagrams?, (\d+) bytes?, (\d+\+?) peers?(?: \(more are not counted\))?, (\d+) truncated, (\d+) unanswerable, (\d+) send errors? in [\d.]+s$`)

// stopServer stops s with sig, checks that it exits 0, and returns the
// numbers of its summary line: datagrams, bytes, peers, truncated,
// unanswerable, send errors.
func (s *server) stopServer(sig os.Signal) [6]string {
	s.t.Helper()
	if code := s.stop(sig); code != 0 {
		s.t.Fatalf("server stopped by %v: want exit 0, got %d\n%s", sig, code, s)
	}
	all, _ := s.stdout.snapshot()
	var m []string
	for i := len(all) - 1; i >= 0 && m == nil; i-- {
		m = summaryRE.FindStringSubmatch(all[i])
		if m != nil && i < len(all)-1 && !summaryTail(all[i+1:]) {
			m = nil
		}
	}
	if m == nil {
		s.t.Fatalf("the server did not end with its summary\n%s", s)
	}
	var n [6]string
	copy(n[:], m[1:])
	return n
}

// summaryTail reports whether lines are what may follow the summary line:
// the lines that count drops and full queues.
func summaryTail(lines []string) bool {
	for _, l := range lines {
		if !regexp.MustCompile(`^(dropped|queue full|kernel drops): `).MatchString(l) {
			return false
		}
	}
	return true
}

// ctimeRE matches Python's time.ctime(): "Tue Nov 24 19:08:00 2026", the day
// of the month padded with a space.
const ctimeRE = `\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}`

// seedReply matches the seed's reply to msg.
func seedReply(msg string) *regexp.Regexp {
	return regexp.MustCompile(`^\[` + ctimeRE + `\] ` + regexp.QuoteMeta(msg) + `$`)
}

// freeUDPPort returns a port that was free a moment ago on ip (for programs
// that cannot bind port 0 and say which port they got).
func freeUDPPort(t *testing.T, network, ip string) int {
	t.Helper()
	c, err := net.ListenPacket(network, net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	return port
}

// haveIPv6 reports whether ::1 can be bound here.
func haveIPv6() bool {
	c, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func needIPv6(t *testing.T) {
	t.Helper()
	if !haveIPv6() {
		t.Skip("no IPv6 loopback here: cannot bind [::1]:0")
	}
}

func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to " + why)
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv (util-linux) is not installed: cannot drop to an unprivileged user")
	}
}

var python struct {
	once sync.Once
	path string
}

// needPython returns the python3 interpreter, or skips the test. It asks
// python3 for its real executable once, so that tests do not pay for a
// version manager's shim (pyenv) on every run.
func needPython(t *testing.T) string {
	t.Helper()
	python.once.Do(func() {
		py, err := exec.LookPath("python3")
		if err != nil {
			return
		}
		python.path = py
		out, err := exec.Command(py, "-c", "import sys; print(sys.executable)").Output()
		if real := strings.TrimSpace(string(out)); err == nil && real != "" {
			python.path = real
		}
	})
	if python.path == "" {
		t.Skip("python3 is not installed: cannot run the seed's programs")
	}
	return python.path
}

// shortTempDir returns a fresh directory with a short path, for unix
// sockets: t.TempDir() paths with long test names can approach sun_path's
// 107 bytes. The directory is world-searchable (for tests that drop root)
// and removed at the end of the test.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sl")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// fileOf returns an *os.File holding a duplicate of c's descriptor, to hand
// to a child process as ExtraFiles.
func fileOf(t *testing.T, c interface {
	File() (*os.File, error)
}) *os.File {
	t.Helper()
	f, err := c.File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

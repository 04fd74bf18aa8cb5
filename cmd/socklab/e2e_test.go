package main

// End-to-end tests of socklab's families, serve and send commands: every
// test runs the built binary on loopback or on unix sockets in a temporary
// directory, and checks what a user would read.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// --- socklab families ---

type familyJSON struct {
	Event      string `json:"event"`
	Time       string `json:"time"`
	Name       string `json:"name"`
	Socket     string `json:"socket"`
	Also       string `json:"also"`
	Network    string `json:"network"`
	Privileged *bool  `json:"privileged"`
	Usable     *bool  `json:"usable"`
	Why        string `json:"why"`
	Summary    string `json:"summary"`
}

// familiesJSON runs socklab families --json and decodes it strictly: one
// "family" event per line.
func familiesJSON(t *testing.T, o runOpts) []familyJSON {
	t.Helper()
	r := socklabWith(t, o, "families", "--json")
	mustSucceed(t, r, "families --json")
	var rows []familyJSON
	for _, l := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		var f familyJSON
		if err := dec.Decode(&f); err != nil || f.Event != "family" || f.Time == "" {
			t.Fatalf("families --json: line %q is not a family event with a time: %v", l, err)
		}
		rows = append(rows, f)
	}
	for _, f := range rows {
		if f.Name == "" || f.Socket == "" || f.Network == "" || f.Privileged == nil || f.Usable == nil || f.Summary == "" {
			t.Errorf("families --json: incomplete row %+v", f)
		}
		if !*f.Usable && f.Why == "" {
			t.Errorf("families --json: %s is not usable and does not say why", f.Name)
		}
	}
	return rows
}

// familiesTable runs socklab families and returns its rows by name, as
// the columns NAME, SOCKET(), GO NETWORK, PRIVILEGED, USABLE HERE.
func familiesTable(t *testing.T, o runOpts) map[string][5]string {
	t.Helper()
	r := socklabWith(t, o, "families")
	mustSucceed(t, r, "families")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	head := lines[0]
	cols := []string{"NAME", "SOCKET()", "GO NETWORK", "PRIVILEGED", "USABLE HERE"}
	var at []int
	for _, c := range cols {
		i := strings.Index(head, c)
		if i < 0 {
			t.Fatalf("families: header %q has no column %q", head, c)
		}
		at = append(at, i)
	}
	rows := map[string][5]string{}
	for _, l := range lines[1:] {
		var row [5]string
		for i := range cols {
			end := len(l)
			if i+1 < len(cols) {
				end = at[i+1]
			}
			if at[i] > len(l) || end > len(l) {
				t.Fatalf("families: row %q does not line up with the header %q", l, head)
			}
			row[i] = strings.TrimSpace(l[at[i]:end])
		}
		rows[row[0]] = row
	}
	return rows
}

func TestFamiliesTableAndJSON(t *testing.T) {
	t.Parallel()
	table := familiesTable(t, runOpts{})
	rows := familiesJSON(t, runOpts{})

	// The three families of issue 2, as a user reads them.
	want := map[string][4]string{
		"udp4": {"AF_INET SOCK_DGRAM IPPROTO_UDP", "udp4", "no", "yes"},
		"udp6": {"AF_INET6 SOCK_DGRAM IPPROTO_UDP", "udp6", "no", "yes"},
		"unix": {"AF_UNIX SOCK_DGRAM 0", "unixgram", "no", "yes"},
	}
	if !haveIPv6() {
		want["udp6"] = [4]string{"AF_INET6 SOCK_DGRAM IPPROTO_UDP", "udp6", "no", "no: "}
	}
	for name, w := range want {
		row, ok := table[name]
		if !ok {
			t.Errorf("families: no row for %s", name)
			continue
		}
		if row[1] != w[0] || row[2] != w[1] || row[3] != w[2] || !strings.HasPrefix(row[4], w[3]) {
			t.Errorf("families row %s = %q, want socket %q, network %q, privileged %q, usable %q", name, row, w[0], w[1], w[2], w[3])
		}
	}

	// Every registered family is listed once, in both forms, and they agree.
	names := registry().Names()
	if len(rows) != len(names) || len(table) != len(names) {
		t.Errorf("families lists %d rows, --json %d, want one per family %v", len(table), len(rows), names)
	}
	for i, f := range rows {
		if i < len(names) && f.Name != names[i] {
			t.Errorf("families --json row %d is %s, want %s (registration order)", i, f.Name, names[i])
		}
		row, ok := table[f.Name]
		if !ok {
			t.Errorf("families: --json has %s, the table does not", f.Name)
			continue
		}
		sock := f.Socket
		if f.Also != "" {
			sock += " | " + f.Also
		}
		priv := map[bool]string{true: "yes", false: "no"}[*f.Privileged]
		usable := "yes"
		if !*f.Usable {
			// The table keeps one line a family: a reason of several
			// lines shows its first, and points to doctor.
			why, _, more := strings.Cut(f.Why, "\n")
			usable = "no: " + strings.TrimSuffix(why, ":")
			if more {
				usable += "; socklab doctor explains"
			}
		}
		if row != [5]string{f.Name, sock, f.Network, priv, usable} {
			t.Errorf("families: table row %q disagrees with --json %+v", row, f)
		}
	}
}

// TestFamiliesUnprivileged runs socklab families as nobody: the plain
// families still open, and a family that only has raw sockets cannot,
// and says why.
func TestFamiliesUnprivileged(t *testing.T) {
	t.Parallel()
	needRoot(t, "run socklab families as an unprivileged user")
	nobody := runOpts{nobody: true}
	rows := familiesJSON(t, nobody)
	table := familiesTable(t, nobody)
	for _, f := range rows {
		switch {
		case f.Name == "udp4" || f.Name == "unix" || f.Name == "udp6" && haveIPv6():
			if !*f.Usable {
				t.Errorf("as nobody, %s should be usable: %s", f.Name, f.Why)
			}
		case strings.Contains(f.Socket, "SOCK_RAW") && (f.Also == "" || strings.Contains(f.Also, "SOCK_RAW")):
			// The kernel gives raw sockets to CAP_NET_RAW only.
			if *f.Usable || !strings.Contains(f.Why, "CAP_NET_RAW") {
				t.Errorf("as nobody, %s (%s) needs CAP_NET_RAW: got usable=%v, why %q", f.Name, f.Socket, *f.Usable, f.Why)
			}
			if !*f.Privileged {
				t.Errorf("%s (%s) should say it needs privileges", f.Name, f.Socket)
			}
		}
		if row := table[f.Name]; *f.Usable != (row[4] == "yes") {
			t.Errorf("as nobody, the table says %s usable %q, --json says %v", f.Name, row[4], *f.Usable)
		}
	}
}

// --- serve and send ---

var (
	gotFromRE  = regexp.MustCompile(`^Got message from (\S+)$`)
	responseRE = regexp.MustCompile(`^Response: (.*)$`)
)

// responses returns the replies send printed, one per "Response: " line,
// and fails on any other line.
func responses(t *testing.T, r result) []string {
	t.Helper()
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		m := responseRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("send printed %q, want only \"Response: ...\" lines\n%s", l, r)
		}
		got = append(got, m[1])
	}
	return got
}

func TestUDP4ServeSend(t *testing.T) {
	t.Parallel()
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0")
	if s.family != "udp4" || s.socket != "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)" {
		t.Errorf("listening line names %s %s, want udp4 socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)", s.family, s.socket)
	}
	host, port, err := net.SplitHostPort(s.addr)
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("server listens on %q, want 127.0.0.1 and the port the kernel chose", s.addr)
	}

	before := time.Now().Truncate(time.Second)
	r := socklab(t, "udp4", "send", s.addr, "hello", "", "wörld")
	after := time.Now()
	mustSucceed(t, r, "udp4 send")
	msgs := []string{"hello", "", "wörld"}
	got := responses(t, r)
	if len(got) != len(msgs) {
		t.Fatalf("want %d responses, got %q", len(msgs), got)
	}
	for i, m := range msgs {
		if !seedReply(m).MatchString(got[i]) {
			t.Errorf("response %d = %q, want [ctime] %s", i, got[i], m)
		}
	}
	// The ctime is the server's clock now, to the second.
	stamp, err := time.ParseInLocation(time.ANSIC, got[0][1:25], time.Local)
	if err != nil || stamp.Before(before) || stamp.After(after) {
		t.Errorf("reply time %q (%v) is not between %v and %v", got[0][1:25], err, before, after)
	}

	s.countLines(&s.stdout, gotFromRE, 3)
	n := s.stopServer(os.Interrupt)
	all, _ := s.stdout.snapshot()
	from := gotFromRE.FindStringSubmatch(all[1])[1]
	want := []string{"waiting for message...",
		"Got message from " + from, "Received message: hello",
		"Got message from " + from, "Received message: ",
		"Got message from " + from, "Received message: wörld"}
	if strings.Join(all[:len(all)-1], "\n") != strings.Join(want, "\n") {
		t.Errorf("server printed\n%s\nwant\n%s", strings.Join(all, "\n"), strings.Join(want, "\n"))
	}
	if h, _, _ := net.SplitHostPort(from); h != "127.0.0.1" || from == s.addr {
		t.Errorf("Got message from %q: want the client's 127.0.0.1 address", from)
	}
	if n != [6]string{"3", "11", "1", "0", "0", "0"} {
		t.Errorf("summary = %v, want 3 datagrams, 11 bytes, 1 peer, nothing truncated", n)
	}
}

func TestUDP6ServeSend(t *testing.T) {
	t.Parallel()
	needIPv6(t)
	s := startServer(t, "udp6", "serve", "--bind", "[::1]:0")
	if s.family != "udp6" || s.socket != "socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)" || !strings.HasPrefix(s.addr, "[::1]:") {
		t.Fatalf("listening line: %s %s on %s, want udp6 socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP) on [::1]:PORT", s.family, s.socket, s.addr)
	}
	r := socklab(t, "udp6", "send", s.addr, "hello six")
	mustSucceed(t, r, "udp6 send")
	if got := responses(t, r); len(got) != 1 || !seedReply("hello six").MatchString(got[0]) {
		t.Errorf("responses %q, want one [ctime] hello six", got)
	}
	from := s.waitLine(&s.stdout, gotFromRE)[1]
	if !strings.HasPrefix(from, "[::1]:") {
		t.Errorf("Got message from %q, want [::1]:PORT", from)
	}
	s.waitLine(&s.stdout, regexp.MustCompile(`^Received message: hello six$`))
	// udp6 is IPv6 only: a udp4 client cannot reach it through a v4-mapped address.
	if n := s.stopServer(syscall.SIGTERM); n[0] != "1" {
		t.Errorf("summary %v, want 1 datagram", n)
	}
}

// TestServeDefaults checks the seed's addresses: udp4 serve binds
// 127.0.0.1:8020, udp6 [::1]:8020, unix @socklab; send without an address
// goes there. It skips a family whose default is taken on this host.
func TestServeDefaults(t *testing.T) {
	for _, c := range []struct{ family, addr string }{
		{"udp4", "127.0.0.1:8020"},
		{"udp6", "[::1]:8020"},
		{"unix", "@socklab"},
	} {
		t.Run(c.family, func(t *testing.T) {
			t.Parallel()
			if c.family == "udp6" {
				needIPv6(t)
			}
			p := start(t, runOpts{}, c.family, "serve")
			first := p.waitLine(&p.stderr, regexp.MustCompile(`^socklab: .*$`))[0]
			if m := listeningRE.FindStringSubmatch(first); m == nil {
				p.wait()
				if strings.Contains(first, "in use") {
					t.Skipf("the default %s is taken on this host: %s", c.addr, first)
				}
				t.Fatalf("%s serve with no address failed\n%s", c.family, p)
			} else if m[3] != c.addr {
				t.Errorf("%s serve listens on %s, want the default %s", c.family, m[3], c.addr)
			}
			p.waitLine(&p.stdout, regexp.MustCompile(`^waiting for message\.\.\.$`))
			r := socklab(t, c.family, "send", "default "+c.family)
			mustSucceed(t, r, c.family+" send to the default address")
			if got := responses(t, r); len(got) != 1 || !seedReply("default "+c.family).MatchString(got[0]) {
				t.Errorf("responses %q, want [ctime] default %s", got, c.family)
			}
			p.waitLine(&p.stdout, regexp.MustCompile(`^Received message: default `+c.family+`$`))
			if code := p.stop(os.Interrupt); code != 0 {
				t.Errorf("exit %d after SIGINT\n%s", code, p)
			}
		})
	}
}

func TestUnixServeSend(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	path := filepath.Join(dir, "s.sock")
	s := startServer(t, "unix", "serve", "--path", path)
	if s.family != "unix" || s.socket != "socket(AF_UNIX, SOCK_DGRAM, 0)" || s.addr != path {
		t.Fatalf("listening line: %s %s on %s, want unix socket(AF_UNIX, SOCK_DGRAM, 0) on %s", s.family, s.socket, s.addr, path)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("no socket file at %s: %v", path, err)
	}

	// Autobind: the kernel names the client @ and five hex digits.
	r := socklab(t, "unix", "send", "--path", path, "hello unix")
	mustSucceed(t, r, "unix send (autobind)")
	if got := responses(t, r); len(got) != 1 || !seedReply("hello unix").MatchString(got[0]) {
		t.Errorf("responses %q, want [ctime] hello unix", got)
	}
	if from := s.waitLine(&s.stdout, gotFromRE)[1]; !regexp.MustCompile(`^@[0-9a-f]{5}$`).MatchString(from) {
		t.Errorf("autobound client is %q, want @ and five hex digits", from)
	}

	// --bind PATH: the server sees that path, and the client removes it.
	client := filepath.Join(dir, "c.sock")
	r = socklab(t, "unix", "send", "--path", path, "--bind", client, "from a path")
	mustSucceed(t, r, "unix send --bind")
	if got := responses(t, r); len(got) != 1 || !seedReply("from a path").MatchString(got[0]) {
		t.Errorf("responses %q, want [ctime] from a path", got)
	}
	if from := s.countLines(&s.stdout, gotFromRE, 2)[1]; from != "Got message from "+client {
		t.Errorf("server says %q, want Got message from %s", from, client)
	}
	if _, err := os.Lstat(client); !os.IsNotExist(err) {
		t.Errorf("unix send left its --bind socket %s behind (%v)", client, err)
	}

	n := s.stopServer(os.Interrupt)
	if n != [6]string{"2", "21", "2", "0", "0", "0"} {
		t.Errorf("summary %v, want 2 datagrams, 21 bytes, 2 peers", n)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("server left its socket file %s behind (%v)", path, err)
	}
}

// TestUnixSendInterruptedRemovesBind stops a client that waits for a reply:
// the --bind socket file it created goes with it.
func TestUnixSendInterruptedRemovesBind(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	silent, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "silent.sock"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		client := filepath.Join(dir, "client.sock")
		// --timeout 1h: a send that missed the signal would still be
		// waiting when p.stop gives up (cmdTimeout), and fail the test.
		p := start(t, runOpts{}, "unix", "send", "--timeout", "1h", "--path", silent.LocalAddr().String(), "--bind", client, "hello?")
		// The message arrives once the client is bound.
		silent.SetReadDeadline(time.Now().Add(cmdTimeout))
		buf := make([]byte, 64)
		n, from, err := silent.ReadFrom(buf)
		if err != nil || string(buf[:n]) != "hello?" || from.String() != client {
			t.Fatalf("silent peer got %q from %v (%v), want hello? from %s", buf[:n], from, err, client)
		}
		// Signal at once: send may be anywhere between its send and its
		// wait for the reply, and stops all the same.
		if code := p.stop(sig); code != 130 {
			t.Errorf("after %v, exit %d, want 130 (interrupted)\n%s", sig, code, p)
		}
		if _, err := os.Lstat(client); !os.IsNotExist(err) {
			t.Errorf("after %v, unix send left its --bind socket %s behind (%v)", sig, client, err)
		}
	}
}

func TestUnixAbstract(t *testing.T) {
	t.Parallel()
	name := fmt.Sprintf("@socklab-test-%d", os.Getpid())
	s := startServer(t, "unix", "serve", "--path", name)
	if s.addr != name {
		t.Errorf("listening on %s, want %s", s.addr, name)
	}
	client := name + "-client"
	r := socklab(t, "unix", "send", "--path", name, "--bind", client, "abstract")
	mustSucceed(t, r, "unix send to an abstract name")
	if got := responses(t, r); len(got) != 1 || !seedReply("abstract").MatchString(got[0]) {
		t.Errorf("responses %q, want [ctime] abstract", got)
	}
	if from := s.waitLine(&s.stdout, gotFromRE)[1]; from != client {
		t.Errorf("Got message from %s, want %s", from, client)
	}
	s.stopServer(os.Interrupt)
	// An abstract name has no file: nothing may appear in the working directory.
	if _, err := os.Lstat(name); !os.IsNotExist(err) {
		t.Errorf("a file named %s exists", name)
	}
}

func TestUnixMode(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	for _, mode := range []os.FileMode{0o600, 0o640, 0o666} {
		path := filepath.Join(dir, fmt.Sprintf("m%o.sock", mode))
		s := startServer(t, "unix", "serve", "--path", path, "--mode", fmt.Sprintf("0%o", mode))
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != mode {
			t.Errorf("--mode 0%o: socket file is %v", mode, fi.Mode())
		}
		if os.Geteuid() == 0 && mode != 0o640 {
			// The bits matter: nobody may not write to 0600, may to 0666.
			if _, err := exec.LookPath("setpriv"); err == nil {
				r := socklabWith(t, runOpts{nobody: true}, "unix", "send", "--path", path, "--timeout", "1s", "hi")
				if mode == 0o600 {
					checkOneLineError(t, r, "permission denied")
				} else {
					mustSucceed(t, r, "nobody sends to a 0666 socket")
				}
			}
		}
		s.stopServer(os.Interrupt)
	}
	for _, bad := range []string{"999", "0", "1777", "rw"} {
		r := socklab(t, "unix", "serve", "--path", filepath.Join(dir, "bad.sock"), "--mode", bad)
		checkOneLineError(t, r, "--mode", "octal")
	}
	if _, err := os.Lstat(filepath.Join(dir, "bad.sock")); !os.IsNotExist(err) {
		t.Errorf("a refused --mode left a socket file behind")
	}
}

// TestUnixUnboundSender sends from unix sockets that never bound an
// address: the server cannot answer them, says so once per sender, and
// goes on serving.
func TestUnixUnboundSender(t *testing.T) {
	t.Parallel()
	py := needPython(t)
	path := filepath.Join(shortTempDir(t), "s.sock")
	s := startServer(t, "unix", "serve", "--path", path)
	send := func(n int) string {
		script := `import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(b'no return address', sys.argv[1])
print(os.getpid())
`
		out, err := exec.Command(py, "-c", script, path, strconv.Itoa(n)).CombinedOutput()
		if err != nil {
			t.Fatalf("python3 unbound sender: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	pid1 := send(2)
	pid2 := send(1)
	cannot := s.countLines(&s.stdout, regexp.MustCompile(`^cannot reply: `), 2)
	for i, pid := range []string{pid1, pid2} {
		if !strings.Contains(cannot[i], "(pid "+pid+")") || !strings.Contains(cannot[i], "no address") {
			t.Errorf("cannot-reply line %q should name pid %s and say it has no address", cannot[i], pid)
		}
	}
	// Still serving.
	r := socklab(t, "unix", "send", "--path", path, "still there?")
	mustSucceed(t, r, "unix send after unbound senders")
	n := s.stopServer(os.Interrupt)
	if n[0] != "4" || n[4] != "3" || n[2] != "1" {
		t.Errorf("summary %v, want 4 datagrams, 1 peer, 3 unanswerable", n)
	}
	all, _ := s.stdout.snapshot()
	if c := len(regexp.MustCompile(`(?m)^cannot reply: `).FindAllString(strings.Join(all, "\n"), -1)); c != 2 {
		t.Errorf("server said cannot reply %d times, want once per sender (2)\n%s", c, s)
	}
}

// TestReplyEchoBinary sends bytes that are not text from the test process:
// --reply echo returns them byte for byte, and the server prints them
// quoted, or as a hex dump with -x.
func TestReplyEchoBinary(t *testing.T) {
	t.Parallel()
	payload := []byte{0xff, 0x00, 0x01, 'a', 'b', 'c', 0xfe, '\n', '\t'}
	for _, hexFlag := range []bool{false, true} {
		args := []string{"udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo"}
		if hexFlag {
			args = append(args, "-x")
		}
		s := startServer(t, args...)
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		to, _ := net.ResolveUDPAddr("udp4", s.addr)
		for _, p := range [][]byte{payload, {}} {
			if _, err := c.WriteTo(p, to); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 100)
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				t.Fatalf("no echo of %q: %v", p, err)
			}
			if !bytes.Equal(buf[:n], p) || from.String() != s.addr {
				t.Errorf("echo of %q = %q from %v, want the same bytes from %s", p, buf[:n], from, s.addr)
			}
		}
		s.countLines(&s.stdout, gotFromRE, 2)
		s.stopServer(os.Interrupt)
		out := s.stdout.String()
		if hexFlag {
			if !strings.Contains(out, "\n00000000  ff 00 01 61 62 63 fe 0a  09 ") || !strings.Contains(out, "|...abc...|") {
				t.Errorf("-x: want a hex dump of the datagram\n%s", out)
			}
		} else if !strings.Contains(out, "\nReceived message: \"\\xff\\x00\\x01abc\\xfe\\n\\t\"\n") {
			t.Errorf("want the binary datagram printed quoted\n%s", out)
		}
		if strings.ContainsRune(out, 0) || strings.Contains(out, "\xff") {
			t.Errorf("the server wrote raw binary to the terminal\n%q", out)
		}
	}
}

// TestSendShowsBinarySafely pipes bytes that are not text to send: they
// go out unchanged and the reply is printed quoted, or as a hex dump with -x.
func TestSendShowsBinarySafely(t *testing.T) {
	t.Parallel()
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo")
	in := "\xff\x00abc\x1b[2J\n"
	r := socklabWith(t, runOpts{stdin: strings.NewReader(in)}, "udp4", "send", s.addr)
	mustSucceed(t, r, "udp4 send < binary")
	if want := "Response: \"\\xff\\x00abc\\x1b[2J\"\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	r = socklabWith(t, runOpts{stdin: strings.NewReader(in)}, "udp4", "send", "-x", s.addr)
	mustSucceed(t, r, "udp4 send -x < binary")
	if want := "Response: \n00000000  ff 00 61 62 63 1b 5b 32  4a                       |..abc.[2J|\n"; r.stdout != want {
		t.Errorf("-x: stdout %q, want %q", r.stdout, want)
	}
	s.stopServer(os.Interrupt)
}

func TestZeroLengthDatagram(t *testing.T) {
	t.Parallel()
	for _, reply := range []string{"seed", "echo"} {
		s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", reply)
		r := socklab(t, "udp4", "send", s.addr, "")
		mustSucceed(t, r, "udp4 send \"\"")
		want := "Response: \n"
		if reply == "seed" {
			if got := responses(t, r); len(got) != 1 || !seedReply("").MatchString(got[0]) {
				t.Errorf("--reply seed: response to an empty datagram %q, want \"[ctime] \"", r.stdout)
			}
		} else if r.stdout != want {
			t.Errorf("--reply echo: stdout %q, want %q", r.stdout, want)
		}
		s.waitLine(&s.stdout, regexp.MustCompile(`^Received message: $`))
		if n := s.stopServer(os.Interrupt); n[0] != "1" || n[1] != "0" {
			t.Errorf("summary %v, want 1 datagram of 0 bytes", n)
		}
	}
}

func TestSendPipedStdin(t *testing.T) {
	t.Parallel()
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0")
	in := "first\nsecond\n\nwindows\r\nno newline at the end"
	r := socklabWith(t, runOpts{stdin: strings.NewReader(in)}, "udp4", "send", s.addr)
	mustSucceed(t, r, "udp4 send < pipe")
	msgs := []string{"first", "second", "", "windows", "no newline at the end"}
	got := responses(t, r)
	if len(got) != len(msgs) {
		t.Fatalf("want one response per line (%d), got %q", len(msgs), got)
	}
	for i, m := range msgs {
		if !seedReply(m).MatchString(got[i]) {
			t.Errorf("response %d = %q, want [ctime] %s", i, got[i], m)
		}
	}
	if strings.Contains(r.stdout, "Wanna send") {
		t.Errorf("prompted although stdin is a pipe: %q", r.stdout)
	}
	if n := s.stopServer(os.Interrupt); n[0] != "5" {
		t.Errorf("summary %v, want 5 datagrams (the empty line is one)", n)
	}
}

// syncBuffer is a bytes.Buffer that a command writes while the test reads,
// and waits on: for output that does not end a line, such as a prompt.
type syncBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	more chan struct{} // closed (and forgotten) at the next Write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.more != nil {
		close(s.more)
		s.more = nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the output contains want, or ctx ends.
func (s *syncBuffer) waitFor(ctx context.Context, want string) bool {
	for {
		s.mu.Lock()
		found := strings.Contains(s.b.String(), want)
		if s.more == nil {
			s.more = make(chan struct{})
		}
		more := s.more
		s.mu.Unlock()
		if found {
			return true
		}
		select {
		case <-more:
		case <-ctx.Done():
			return false
		}
	}
}

// TestSendTerminalPrompt runs send on a terminal (a pty from script(1)): it
// prompts like the seed and stops at the first empty line.
func TestSendTerminalPrompt(t *testing.T) {
	t.Parallel()
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script (util-linux) is not installed: no pty to test the prompt")
	}
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0")
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	// No echo, so that the output is socklab's alone.
	cmd := exec.CommandContext(ctx, script, "-qec", "stty -echo && exec "+bin+" udp4 send "+s.addr, "/dev/null")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Type only after the first prompt, when echo is off. stdin stays open
	// until send exits: the empty line alone must stop it.
	out.waitFor(ctx, "Wanna send: ")
	stdin.Write([]byte("hello\nworld\n\nnever sent\n"))
	err = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("send at a terminal did not stop at the empty line\n%q", out.String())
	}
	if err != nil {
		t.Fatalf("send at a terminal: %v\n%q", err, out.String())
	}
	text := strings.ReplaceAll(out.String(), "\r\n", "\n")
	want := regexp.MustCompile(`^Wanna send: Response: \[` + ctimeRE + `\] hello\nWanna send: Response: \[` + ctimeRE + `\] world\nWanna send: $`)
	if !want.MatchString(text) {
		t.Errorf("at a terminal, send printed %q, want the seed's prompt before each line: %s", text, want)
	}
	n := s.stopServer(os.Interrupt)
	if n[0] != "2" || strings.Contains(s.stdout.String(), "never sent") {
		t.Errorf("server got %s datagrams, want 2: the empty line stops the client\n%s", n[0], s)
	}
}

// silentUDP returns a bound UDP socket that never answers.
func silentUDP(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// drain returns every datagram c receives until it is quiet for quiet.
func drain(c net.PacketConn, quiet time.Duration) []string {
	var got []string
	buf := make([]byte, 70000)
	for {
		c.SetReadDeadline(time.Now().Add(quiet))
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			return got
		}
		got = append(got, string(buf[:n]))
	}
}

func TestSendTimeoutRetries(t *testing.T) {
	t.Parallel()
	silent := silentUDP(t)
	r := socklab(t, "udp4", "send", "--timeout", "200ms", "--retries", "2", silent.LocalAddr().String(), "anyone?")
	checkOneLineError(t, r, "no reply after 3 tries of 200ms", silent.LocalAddr().String(), "--retries")
	if r.elapsed < 600*time.Millisecond {
		t.Errorf("gave up after %v, want 3 waits of 200ms", r.elapsed)
	}
	if got := drain(silent, 100*time.Millisecond); len(got) != 3 || got[0] != "anyone?" {
		t.Errorf("the silent peer got %q, want the message 3 times (1 + 2 retries)", got)
	}
	r = socklab(t, "udp4", "send", "--timeout", "100ms", silent.LocalAddr().String(), "once")
	checkOneLineError(t, r, "no reply after 1 try of 100ms")
}

func TestSendPortUnreachable(t *testing.T) {
	t.Parallel()
	port := freeUDPPort(t, "udp4", "127.0.0.1")
	addr := "127.0.0.1:" + strconv.Itoa(port)
	// A --timeout far longer than any load delays the kernel's answer: the
	// wait ends well before it, or the error says no reply.
	r := socklab(t, "udp4", "send", "--timeout", "30s", addr, "hello?")
	checkOneLineError(t, r, addr, "connection refused", "udp4 serve")
	if r.elapsed > 10*time.Second {
		t.Errorf("took %v: the kernel's port unreachable should end the wait at once", r.elapsed)
	}
}

// --- truncation ---

// TestTruncationReported sends a datagram longer than --bufsize: the
// server says how much was lost, and the client says so of a long reply.
func TestTruncationReported(t *testing.T) {
	t.Parallel()
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--bufsize", "1024")
	msg := strings.Repeat("b", 2000)
	r := socklab(t, "udp4", "send", "--bufsize", "100", s.addr, msg)
	mustSucceed(t, r, "udp4 send 2000 bytes")
	// The server echoes what it read: "[ctime] " (27 bytes) + 1024.
	want := "truncated: reply was 1051 bytes, read 100, 951 lost (raise --bufsize)\n"
	if !strings.HasPrefix(r.stdout, want) {
		t.Errorf("client stdout starts %q, want %q", r.stdout[:min(len(r.stdout), 80)], want)
	}
	s.waitLine(&s.stdout, regexp.MustCompile(`^truncated: datagram was 2000 bytes, read 1024, 976 lost`))
	s.waitLine(&s.stdout, regexp.MustCompile(`^Received message: `+strings.Repeat("b", 1024)+`$`))

	// The full reply, with a big enough buffer: only the 1024 bytes read came back.
	r = socklab(t, "udp4", "send", s.addr, msg)
	mustSucceed(t, r, "udp4 send 2000 bytes")
	if got := responses(t, r); len(got) != 1 || !seedReply(msg[:1024]).MatchString(got[0]) {
		t.Errorf("reply should carry the 1024 bytes the server read, got %d bytes", len(r.stdout))
	}
	if n := s.stopServer(os.Interrupt); n[0] != "2" || n[1] != "4000" || n[3] != "2" {
		t.Errorf("summary %v, want 2 datagrams, 4000 bytes, 2 truncated", n)
	}
	for _, args := range [][]string{{"udp4", "serve", "--bufsize", "0"}, {"udp4", "send", "--bufsize", "-1", "127.0.0.1:9", "x"}} {
		r := socklab(t, args...)
		if r.code == 0 {
			t.Errorf("socklab %v: want an error", args)
		}
	}
}

// TestDatagramRestIsLost shows what the seed gets wrong: on a datagram
// socket the part of a datagram beyond the buffer cannot be read by calling
// recv again; the next read returns the next datagram, or nothing.
func TestDatagramRestIsLost(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"udp4", "unixgram"} {
		t.Run(network, func(t *testing.T) {
			t.Parallel()
			var rx, tx net.PacketConn
			var err error
			if network == "udp4" {
				rx, err = net.ListenPacket("udp4", "127.0.0.1:0")
				if err == nil {
					tx, err = net.ListenPacket("udp4", "127.0.0.1:0")
				}
			} else {
				dir := shortTempDir(t)
				rx, err = net.ListenPacket("unixgram", filepath.Join(dir, "rx"))
				if err == nil {
					tx, err = net.ListenPacket("unixgram", filepath.Join(dir, "tx"))
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rx.Close()
			defer tx.Close()
			first := bytes.Repeat([]byte("0123456789"), 200) // 2000 bytes
			tx.WriteTo(first, rx.LocalAddr())
			tx.WriteTo([]byte("next"), rx.LocalAddr())
			buf := make([]byte, 1024)
			rx.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, _, _ := rx.ReadFrom(buf)
			if n != 1024 || !bytes.Equal(buf[:n], first[:1024]) {
				t.Fatalf("first recv(1024) got %d bytes, want the first 1024 of the datagram", n)
			}
			n, _, err = rx.ReadFrom(buf)
			if err != nil || string(buf[:n]) != "next" {
				t.Errorf("second recv got %q (%v), want the next datagram, not the rest of the first", buf[:n], err)
			}
			rx.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			if n, _, err = rx.ReadFrom(buf); err == nil {
				t.Errorf("third recv got %q: the 976 bytes beyond the buffer should be gone", buf[:n])
			}
		})
	}
}

// --- socklab socket: the generic form ---

func TestSocketGenericForm(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	cases := []struct {
		triple []string
		bind   string
		want   string // family that must serve it
		socket string
	}{
		{[]string{"--family", "inet6", "--type", "dgram"}, "[::1]:0", "udp6", "socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)"},
		{[]string{"--family", "AF_INET6", "--type", "SOCK_DGRAM"}, "[::1]:0", "udp6", "socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)"},
		{[]string{"--family", "inet6", "--type", "dgram", "--proto", "udp"}, "[::1]:0", "udp6", "socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)"},
		{[]string{"--family", "AF_INET6", "--type", "SOCK_DGRAM", "--proto", "IPPROTO_UDP"}, "[::1]:0", "udp6", "socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)"},
		{[]string{"--family", "10", "--type", "2", "--proto", "17"}, "[::1]:0", "udp6", "socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)"},
		{[]string{"--family", "inet", "--type", "dgram"}, "127.0.0.1:0", "udp4", "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)"},
		{[]string{"--family", "AF_INET", "--type", "SOCK_DGRAM", "--proto", "0"}, "127.0.0.1:0", "udp4", "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)"},
		{[]string{"--family", "unix", "--type", "dgram"}, filepath.Join(dir, "g.sock"), "unix", "socket(AF_UNIX, SOCK_DGRAM, 0)"},
		{[]string{"--family", "AF_UNIX", "--type", "SOCK_DGRAM", "--proto", "0"}, "@socklab-generic-" + strconv.Itoa(os.Getpid()), "unix", "socket(AF_UNIX, SOCK_DGRAM, 0)"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.triple, " "), func(t *testing.T) {
			if c.want == "udp6" {
				needIPv6(t)
			}
			args := append(append([]string{"socket"}, c.triple...), "serve", "--bind", c.bind)
			s := startServer(t, args...)
			if s.family != c.want || s.socket != c.socket {
				t.Errorf("socklab %s: serves as %s %s, want %s %s", strings.Join(args, " "), s.family, s.socket, c.want, c.socket)
			}
			// The dedicated command reaches it ...
			dedicated := []string{c.want, "send", s.addr, "via " + c.want}
			if c.want == "unix" {
				dedicated = []string{"unix", "send", "--path", s.addr, "via unix"}
			}
			r := socklab(t, dedicated...)
			mustSucceed(t, r, strings.Join(dedicated, " "))
			// ... and so does the generic send.
			send := append(append([]string{"socket"}, c.triple...), "send", "--to", s.addr, "generic")
			r2 := socklab(t, send...)
			mustSucceed(t, r2, strings.Join(send, " "))
			if got := responses(t, r2); len(got) != 1 || !seedReply("generic").MatchString(got[0]) {
				t.Errorf("generic send: responses %q, want [ctime] generic", got)
			}
			if n := s.stopServer(os.Interrupt); n[0] != "2" {
				t.Errorf("summary %v, want 2 datagrams", n)
			}
		})
	}
}

func TestSocketInvalidCombinations(t *testing.T) {
	t.Parallel()
	triples := []string{"udp4 = AF_INET SOCK_DGRAM IPPROTO_UDP", "udp6 = AF_INET6 SOCK_DGRAM IPPROTO_UDP", "unix = AF_UNIX SOCK_DGRAM 0"}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"socket", "--family", "unix", "--type", "raw", "serve"}, append([]string{"AF_UNIX, SOCK_RAW"}, triples...)},
		{[]string{"socket", "--family", "AF_INET6", "--type", "SOCK_SEQPACKET", "--proto", "udp", "send", "x"}, append([]string{"AF_INET6, SOCK_SEQPACKET, IPPROTO_UDP"}, triples...)},
		{[]string{"socket", "--family", "inet", "--type", "dgram", "--proto", "tcp", "serve"}, append([]string{"IPPROTO_TCP"}, triples...)},
		{[]string{"socket", "--family", "appletalk", "--type", "dgram", "serve"}, []string{`"appletalk"`, "unix (AF_UNIX)", "inet (AF_INET)", "inet6 (AF_INET6)"}},
		{[]string{"socket", "--family", "inet", "--type", "circuit", "serve"}, []string{`"circuit"`, "dgram (SOCK_DGRAM)", "raw (SOCK_RAW)"}},
		{[]string{"socket", "--family", "inet", "--type", "dgram", "--proto", "dccp", "serve"}, []string{`"dccp"`, "udp (IPPROTO_UDP)"}},
		{[]string{"socket", "--family", "inet", "--type", "dgram", "--proto", "256", "serve"}, []string{"256", "0 to 255"}},
		{[]string{"socket", "serve"}, []string{"--family", "--type"}},
		{[]string{"socket", "--type", "dgram", "send", "x"}, []string{"--family"}},
		{[]string{"udp5", "serve"}, []string{"udp5"}},
		{[]string{"udp4", "listen"}, []string{"listen"}},
		{[]string{"udp4", "serve", "--reply", "shout"}, []string{"seed", "echo", "shout"}},
	}
	for _, c := range cases {
		r := socklab(t, c.args...)
		t.Run(strings.Join(c.args, " "), func(t *testing.T) { checkOneLineError(t, r, c.want...) })
	}
}

// --- --fd: adopting an open socket ---

func TestFdAdoptServe(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	type sock interface {
		net.PacketConn
		File() (*os.File, error)
	}
	open := func(t *testing.T, network, addr string) sock {
		t.Helper()
		c, err := net.ListenPacket(network, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c.(sock)
	}
	cases := []struct {
		name, network, addr string
		serve               []string
		family, socket      string
	}{
		{"udp4", "udp4", "127.0.0.1:0", []string{"udp4", "serve", "--fd", "3"}, "udp4", "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) fd 3"},
		{"udp6", "udp6", "[::1]:0", []string{"udp6", "serve", "--fd", "3"}, "udp6", "socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP) fd 3"},
		{"unix", "unixgram", filepath.Join(dir, "fd.sock"), []string{"unix", "serve", "--fd", "3"}, "unix", "socket(AF_UNIX, SOCK_DGRAM, 0) fd 3"},
		{"socket-udp4", "udp4", "127.0.0.1:0", []string{"socket", "serve", "--fd", "3"}, "udp4", "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) fd 3"},
		{"socket-udp6", "udp6", "[::1]:0", []string{"socket", "serve", "--fd", "3"}, "udp6", "socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP) fd 3"},
		{"socket-unix", "unixgram", filepath.Join(dir, "gfd.sock"), []string{"socket", "serve", "--fd", "3"}, "unix", "socket(AF_UNIX, SOCK_DGRAM, 0) fd 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.network == "udp6" {
				needIPv6(t)
			}
			conn := open(t, c.network, c.addr)
			s := startServerWith(t, runOpts{files: []*os.File{fileOf(t, conn)}}, c.serve...)
			if s.family != c.family || s.socket != c.socket || s.addr != conn.LocalAddr().String() {
				t.Errorf("socklab %s: %s %s on %s, want %s %s on %s", strings.Join(c.serve, " "), s.family, s.socket, s.addr, c.family, c.socket, conn.LocalAddr())
			}
			send := []string{c.family, "send", s.addr, "adopted"}
			if c.family == "unix" {
				send = []string{"unix", "send", "--path", s.addr, "adopted"}
			}
			r := socklab(t, send...)
			mustSucceed(t, r, strings.Join(send, " "))
			if got := responses(t, r); len(got) != 1 || !seedReply("adopted").MatchString(got[0]) {
				t.Errorf("responses %q, want [ctime] adopted", got)
			}
			s.stopServer(os.Interrupt)
		})
	}
}

func TestFdAdoptSend(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	udp := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0")
	unixPath := filepath.Join(dir, "s.sock")
	ux := startServer(t, "unix", "serve", "--path", unixPath)

	c4, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c4.Close()
	r := socklabWith(t, runOpts{files: []*os.File{fileOf(t, c4)}}, "udp4", "send", "--fd", "3", udp.addr, "from fd 3")
	mustSucceed(t, r, "udp4 send --fd 3")
	r = socklabWith(t, runOpts{files: []*os.File{fileOf(t, c4)}}, "socket", "send", "--fd", "3", "--to", udp.addr, "generic fd 3")
	mustSucceed(t, r, "socket send --fd 3")
	for _, l := range udp.countLines(&udp.stdout, gotFromRE, 2) {
		if l != "Got message from "+c4.LocalAddr().String() {
			t.Errorf("server says %q, want the adopted socket's address %s", l, c4.LocalAddr())
		}
	}

	if haveIPv6() {
		udp6 := startServer(t, "udp6", "serve", "--bind", "[::1]:0")
		c6, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
		if err != nil {
			t.Fatal(err)
		}
		defer c6.Close()
		r = socklabWith(t, runOpts{files: []*os.File{fileOf(t, c6)}}, "udp6", "send", "--fd", "3", udp6.addr, "v6 fd 3")
		mustSucceed(t, r, "udp6 send --fd 3")
		if l := udp6.waitLine(&udp6.stdout, gotFromRE)[1]; l != c6.LocalAddr().String() {
			t.Errorf("Got message from %s, want the adopted socket %s", l, c6.LocalAddr())
		}
		udp6.stopServer(os.Interrupt)
	}

	cu, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "c.sock"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer cu.Close()
	r = socklabWith(t, runOpts{files: []*os.File{fileOf(t, cu)}}, "unix", "send", "--fd", "3", "--path", unixPath, "unix fd 3")
	mustSucceed(t, r, "unix send --fd 3")
	if l := ux.waitLine(&ux.stdout, gotFromRE)[1]; l != cu.LocalAddr().String() {
		t.Errorf("Got message from %s, want the adopted socket %s", l, cu.LocalAddr())
	}
	udp.stopServer(os.Interrupt)
	ux.stopServer(os.Interrupt)
}

func TestFdNotASocket(t *testing.T) {
	t.Parallel()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	reg := filepath.Join(t.TempDir(), "regular")
	os.WriteFile(reg, []byte("not a socket\n"), 0o644)
	rf, err := os.Open(reg)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	ufile := fileOf(t, udp)
	ux, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(shortTempDir(t), "u.sock"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ux.Close()
	uxfile := fileOf(t, ux)

	cases := []struct {
		name string
		file *os.File
		args []string
		want []string
	}{
		{"pipe udp4 serve", pr, []string{"udp4", "serve", "--fd", "3"}, []string{"fd 3", "not a socket"}},
		{"file unix serve", rf, []string{"unix", "serve", "--fd", "3"}, []string{"fd 3", "not a socket"}},
		{"pipe udp4 send", pr, []string{"udp4", "send", "--fd", "3", "127.0.0.1:9", "x"}, []string{"fd 3", "not a socket"}},
		{"file socket serve", rf, []string{"socket", "serve", "--fd", "3"}, []string{"fd 3", "not a socket"}},
		{"udp to unix serve", ufile, []string{"unix", "serve", "--fd", "3"}, []string{"fd 3", "AF_INET, SOCK_DGRAM", "not a unix socket"}},
		{"udp to udp6 serve", ufile, []string{"udp6", "serve", "--fd", "3"}, []string{"fd 3", "not a udp6 socket"}},
		{"unix to udp4 send", uxfile, []string{"udp4", "send", "--fd", "3", "127.0.0.1:9", "x"}, []string{"fd 3", "AF_UNIX", "not a udp4 socket"}},
		{"closed fd", nil, []string{"udp4", "serve", "--fd", "7"}, []string{"fd 7", "not open"}},
	}
	for _, c := range cases {
		var files []*os.File
		if c.file != nil {
			files = []*os.File{c.file}
		}
		r := socklabWith(t, runOpts{files: files}, c.args...)
		t.Run(c.name, func(t *testing.T) { checkOneLineError(t, r, c.want...) })
	}
	if b, _ := os.ReadFile(reg); string(b) != "not a socket\n" {
		t.Errorf("the regular file was changed: %q", b)
	}
}

// --- stopping ---

func TestSignalStopsServer(t *testing.T) {
	t.Parallel()
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(shortTempDir(t), "s.sock")
			s := startServer(t, "unix", "serve", "--path", path, "--bufsize", "16")
			mustSucceed(t, socklab(t, "unix", "send", "--path", path, "hi", "hey"), "first client")
			mustSucceed(t, socklab(t, "unix", "send", "--path", path, strings.Repeat("x", 20)), "second client")
			s.countLines(&s.stdout, gotFromRE, 3)
			n := s.stopServer(sig)
			if n != [6]string{"3", "25", "2", "1", "0", "0"} {
				t.Errorf("summary %v, want 3 datagrams, 25 bytes, 2 peers, 1 truncated", n)
			}
			if _, err := os.Lstat(path); !os.IsNotExist(err) {
				t.Errorf("socket file %s still there after %v", path, sig)
			}
			if strings.TrimSpace(s.stderr.String()) != strings.TrimSpace(strings.Split(s.stderr.String(), "\n")[0]) {
				t.Errorf("a clean stop should print nothing on stderr besides the listening line\n%s", s)
			}
		})
	}
}

// --- JSON ---

func decodeNDJSON(t *testing.T, out string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		if _, ok := ev["event"].(string); !ok {
			t.Fatalf("line %q has no \"event\"", l)
		}
		evs = append(evs, ev)
	}
	return evs
}

// checkFields checks that ev has each field with the given value; a nil
// want only checks presence.
func checkFields(t *testing.T, ev map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		v, ok := ev[k]
		if !ok {
			t.Errorf("%s event has no %q: %v", ev["event"], k, ev)
			continue
		}
		if w != nil && fmt.Sprint(v) != fmt.Sprint(w) {
			t.Errorf("%s event: %s = %v, want %v", ev["event"], k, v, w)
		}
	}
}

func TestServeJSON(t *testing.T) {
	t.Parallel()
	p := start(t, runOpts{}, "udp4", "serve", "--json", "--bind", "127.0.0.1:0", "--bufsize", "8")
	m := p.waitLine(&p.stdout, regexp.MustCompile(`"event":"listening".*"addr":"([^"]+)"|"addr":"([^"]+)".*"event":"listening"`))
	addr := m[1] + m[2]
	// Open before the send, so the kernel cannot give the two the same
	// ephemeral port: they are two peers.
	c := silentUDP(t)
	mustSucceed(t, socklab(t, "udp4", "send", addr, "hello", "hello world!"), "send to a --json server")
	to, _ := net.ResolveUDPAddr("udp4", addr)
	c.WriteTo([]byte{0xff, 0xfe}, to)
	p.countLines(&p.stdout, regexp.MustCompile(`"event":"datagram"`), 3)
	if code := p.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d\n%s", code, p)
	}
	evs := decodeNDJSON(t, p.stdout.String()+"\n")
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev["event"].(string))
	}
	if strings.Join(kinds, ",") != "listening,datagram,truncated,datagram,datagram,summary" {
		t.Fatalf("events %v, want listening, datagram, truncated, datagram, datagram, summary", kinds)
	}
	checkFields(t, evs[0], map[string]any{"family": "udp4", "socket": "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)", "addr": addr, "reply": "seed", "bufsize": 8})
	checkFields(t, evs[1], map[string]any{"from": nil, "bytes": 5, "size": 5, "data": "hello"})
	checkFields(t, evs[2], map[string]any{"from": evs[1]["from"], "bytes": 8, "size": 12})
	checkFields(t, evs[3], map[string]any{"from": evs[1]["from"], "bytes": 8, "size": 12, "data": "hello wo"})
	checkFields(t, evs[4], map[string]any{"from": c.LocalAddr().String(), "bytes": 2, "size": 2, "data_hex": "fffe"})
	if _, ok := evs[4]["data"]; ok {
		t.Errorf("invalid UTF-8 should come as data_hex only: %v", evs[4])
	}
	checkFields(t, evs[5], map[string]any{"datagrams": 3, "bytes": 19, "peers": 2, "truncated": 1, "unanswerable": 0, "send_errors": 0, "elapsed_s": nil})
	if p.stderr.String() != "" {
		t.Errorf("--json server wrote to stderr: %q", p.stderr.String())
	}
}

func TestSendJSON(t *testing.T) {
	t.Parallel()
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0")
	r := socklab(t, "udp4", "send", "--json", s.addr, "a", "bb")
	mustSucceed(t, r, "udp4 send --json")
	evs := decodeNDJSON(t, r.stdout)
	if len(evs) != 3 || evs[2]["event"] != "summary" {
		t.Fatalf("want 2 response events and the summary, got %v", evs)
	}
	checkFields(t, evs[2], map[string]any{"to": s.addr, "messages": 2, "answered": 2, "failed": 0})
	for i, msg := range []string{"a", "bb"} {
		ev := evs[i]
		checkFields(t, ev, map[string]any{"event": "response", "to": s.addr, "from": s.addr, "sent_bytes": len(msg),
			"bytes": 27 + len(msg), "size": 27 + len(msg), "truncated": false, "attempts": 1, "late_replies_skipped": 0})
		if d, _ := ev["data"].(string); !seedReply(msg).MatchString(d) {
			t.Errorf("data %q, want [ctime] %s", d, msg)
		}
		if rtt, _ := ev["rtt_us"].(float64); rtt <= 0 || rtt > 5e6 {
			t.Errorf("rtt_us = %v, want a positive round trip under 5s", ev["rtt_us"])
		}
	}
	s.stopServer(os.Interrupt)

	// Unix, with a truncated reply.
	path := filepath.Join(shortTempDir(t), "s.sock")
	us := startServer(t, "unix", "serve", "--path", path, "--reply", "echo")
	r = socklab(t, "unix", "send", "--json", "--bufsize", "4", "--path", path, "truncate me")
	mustSucceed(t, r, "unix send --json")
	evs = decodeNDJSON(t, r.stdout)
	if len(evs) != 2 {
		t.Fatalf("want a response and the summary, got %v", evs)
	}
	checkFields(t, evs[0], map[string]any{"event": "response", "to": path, "from": path, "sent_bytes": 11, "bytes": 4, "size": 11, "truncated": true, "data": "trun"})
	us.stopServer(os.Interrupt)
}

// --- bad input ---

func TestBadAddresses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"udp4", "serve", "--bind", "127.0.0.1:99999"}, []string{"127.0.0.1:99999", "0 to 65535"}},
		{[]string{"udp4", "serve", "--bind", "127.0.0.1:http"}, []string{"127.0.0.1:http", "0 to 65535"}},
		{[]string{"udp4", "serve", "--bind", "nonsense"}, []string{`"nonsense"`, "HOST:PORT"}},
		{[]string{"udp4", "serve", "--bind", "[::1]:8020"}, []string{"[::1]:8020"}},
		{[]string{"udp6", "serve", "--bind", "127.0.0.1:8020"}, []string{"127.0.0.1:8020"}},
		{[]string{"udp4", "serve", "--bind", "192.0.2.1:8020"}, []string{"192.0.2.1:8020", "cannot assign requested address"}},
		{[]string{"udp4", "send", "--timeout", "1s", "127.0.0.1:70000", "x"}, []string{"127.0.0.1:70000", "1 to 65535"}},
		{[]string{"udp4", "send", "--timeout", "0s", "127.0.0.1:9", "x"}, []string{"--timeout"}},
		{[]string{"udp4", "send", "--retries", "-1", "127.0.0.1:9", "x"}, []string{"--retries"}},
	}
	for _, c := range cases {
		r := socklab(t, c.args...)
		t.Run(strings.Join(c.args, " "), func(t *testing.T) { checkOneLineError(t, r, c.want...) })
	}
}

func TestPortInUse(t *testing.T) {
	t.Parallel()
	holder := silentUDP(t)
	r := socklab(t, "udp4", "serve", "--bind", holder.LocalAddr().String())
	checkOneLineError(t, r, holder.LocalAddr().String(), "address already in use")
	// The holder is untouched.
	other := silentUDP(t)
	other.WriteTo([]byte("still mine"), holder.LocalAddr())
	if got := drain(holder, 500*time.Millisecond); len(got) != 1 || got[0] != "still mine" {
		t.Errorf("the socket holding the port got %q", got)
	}
}

func TestUnixPathErrors(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)

	t.Run("too long", func(t *testing.T) {
		long := filepath.Join(dir, strings.Repeat("p", 108-len(dir)))
		r := socklab(t, "unix", "serve", "--path", long)
		checkOneLineError(t, r, "107")
		r = socklab(t, "unix", "serve", "--path", "@"+strings.Repeat("a", 108))
		checkOneLineError(t, r, "107")
		r = socklab(t, "unix", "send", "--path", long, "x")
		checkOneLineError(t, r, "107")
		// 107 bytes fit.
		fits := filepath.Join(dir, strings.Repeat("f", 107-len(dir)-1))
		s := startServer(t, "unix", "serve", "--path", fits)
		if s.addr != fits {
			t.Errorf("listening on %s, want %s", s.addr, fits)
		}
		s.stopServer(os.Interrupt)
	})

	t.Run("regular file", func(t *testing.T) {
		path := filepath.Join(dir, "precious.txt")
		if err := os.WriteFile(path, []byte("keep me\n"), 0o640); err != nil {
			t.Fatal(err)
		}
		before, _ := os.Lstat(path)
		for _, args := range [][]string{
			{"unix", "serve", "--path", path},
			{"unix", "send", "--path", "@nowhere", "--bind", path, "x"},
			{"socket", "--family", "unix", "--type", "dgram", "serve", "--bind", path},
		} {
			r := socklab(t, args...)
			checkOneLineError(t, r, path, "not a socket", "regular file")
		}
		after, err := os.Lstat(path)
		b, _ := os.ReadFile(path)
		if err != nil || string(b) != "keep me\n" || after.Mode() != before.Mode() || !after.ModTime().Equal(before.ModTime()) {
			t.Errorf("the regular file was touched: %q, %v", b, err)
		}
	})

	t.Run("directory", func(t *testing.T) {
		sub := filepath.Join(dir, "adir")
		os.Mkdir(sub, 0o755)
		r := socklab(t, "unix", "serve", "--path", sub)
		checkOneLineError(t, r, sub, "not a socket")
		if fi, err := os.Stat(sub); err != nil || !fi.IsDir() {
			t.Errorf("the directory is gone: %v", err)
		}
	})

	t.Run("missing directory", func(t *testing.T) {
		path := filepath.Join(dir, "no", "such", "s.sock")
		r := socklab(t, "unix", "serve", "--path", path)
		checkOneLineError(t, r, path, "no such file or directory")
	})

	t.Run("stale socket", func(t *testing.T) {
		path := filepath.Join(dir, "stale.sock")
		// A server that died without removing its socket file.
		l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSocket == 0 {
			t.Fatalf("could not leave a stale socket at %s: %v", path, err)
		}
		s := startServer(t, "unix", "serve", "--path", path)
		stderr := s.stderr.String()
		if !strings.Contains(stderr, "socklab: removed stale socket "+path) {
			t.Errorf("server did not say it removed the stale socket\n%s", s)
		}
		mustSucceed(t, socklab(t, "unix", "send", "--path", path, "after stale"), "send after stale socket")
		s.stopServer(os.Interrupt)
	})

	t.Run("live socket", func(t *testing.T) {
		path := filepath.Join(dir, "live.sock")
		s := startServer(t, "unix", "serve", "--path", path)
		r := socklab(t, "unix", "serve", "--path", path)
		checkOneLineError(t, r, path, "already in use", "another server")
		// The first server still owns the path and answers.
		mustSucceed(t, socklab(t, "unix", "send", "--path", path, "still live"), "send to the first server")
		s.waitLine(&s.stdout, regexp.MustCompile(`^Received message: still live$`))
		s.stopServer(os.Interrupt)

		name := "@socklab-live-" + strconv.Itoa(os.Getpid())
		a := startServer(t, "unix", "serve", "--path", name)
		r = socklab(t, "unix", "serve", "--path", name)
		checkOneLineError(t, r, name, "already in use")
		a.stopServer(os.Interrupt)
	})
}

func TestNoPermission(t *testing.T) {
	t.Parallel()
	needRoot(t, "run socklab as an unprivileged user")
	dir := shortTempDir(t) // root's, 0755: nobody may not create files in it
	nobody := runOpts{nobody: true}
	path := filepath.Join(dir, "s.sock")
	r := socklabWith(t, nobody, "unix", "serve", "--path", path)
	checkOneLineError(t, r, path, "permission denied")
	r = socklabWith(t, nobody, "unix", "send", "--path", "@x", "--bind", filepath.Join(dir, "c.sock"), "x")
	checkOneLineError(t, r, "permission denied")
	if start, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); err == nil {
		if n, _ := strconv.Atoi(strings.TrimSpace(string(start))); n > 80 {
			r = socklabWith(t, nobody, "udp4", "serve", "--bind", "127.0.0.1:80")
			checkOneLineError(t, r, "127.0.0.1:80", "permission denied", "1024")
		}
	}
}

func TestMessageTooLarge(t *testing.T) {
	t.Parallel()
	silent := silentUDP(t)
	r := socklab(t, "udp4", "send", silent.LocalAddr().String(), strings.Repeat("a", 65508))
	checkOneLineError(t, r, "65508 bytes", "65507")
	if got := drain(silent, 100*time.Millisecond); len(got) != 0 {
		t.Errorf("an oversized message was sent anyway: %d datagrams", len(got))
	}
	// From a pipe, too.
	r = socklabWith(t, runOpts{stdin: strings.NewReader(strings.Repeat("a", 70000) + "\n")}, "udp4", "send", silent.LocalAddr().String())
	checkOneLineError(t, r, "70000 bytes", "65507")
	if haveIPv6() {
		r = socklab(t, "udp6", "send", "[::1]:9", strings.Repeat("a", 65528))
		checkOneLineError(t, r, "65528 bytes", "65527")
	}

	// The maximum itself goes through, byte for byte, with --reply echo.
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo", "-q")
	max := strings.Repeat("m", 65507)
	r = socklab(t, "udp4", "send", s.addr, max)
	mustSucceed(t, r, "udp4 send of 65507 bytes")
	if r.stdout != "Response: "+max+"\n" {
		t.Errorf("a 65507-byte echo came back as %d bytes of output", len(r.stdout))
	}
	if n := s.stopServer(os.Interrupt); n[0] != "1" || n[1] != "65507" || n[3] != "0" {
		t.Errorf("summary %v, want 1 datagram of 65507 bytes, not truncated", n)
	}
	if strings.Contains(s.stdout.String(), "Received message") {
		t.Errorf("-q should print only the summary\n%s", s)
	}
}

// TestSpinFlags: serve and bench take --spin and --busy-poll, and the
// echoes still all come back; -v says how reads wait.
func TestSpinFlags(t *testing.T) {
	t.Parallel()
	for _, flags := range [][]string{{"--spin", "20us"}, {"--busy-poll"}} {
		args := append([]string{"udp4", "serve", "-q", "-v", "--reply", "echo", "--bind", "127.0.0.1:0"}, flags...)
		s := startServer(t, args...)
		s.waitLine(&s.stderr, regexp.MustCompile(`^socklab: (a read that finds nothing tries again for 20µs|busy polling: reads never sleep)`))
		r := socklab(t, append([]string{"udp4", "bench", "--mode", "pingpong", "-c", "500", "--json", s.addr}, flags...)...)
		mustSucceed(t, r, "bench "+strings.Join(flags, " "))
		var rep struct{ Received int }
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Received != 500 {
			t.Errorf("bench %v: %d of 500 echoed (%v)\n%s", flags, rep.Received, err, r)
		}
		s.stop(os.Interrupt)
	}
}

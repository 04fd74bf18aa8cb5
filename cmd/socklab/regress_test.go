package main

// Regression tests for bugs the end-to-end tests found: each failed before
// its fix.

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRegressionDNSErrorSaysNoTwice(t *testing.T) {
	r := socklab(t, "udp4", "serve", "--bind", "1.2.3:80")
	checkOneLineError(t, r, `"1.2.3:80"`)
	if strings.Contains(r.stderr, "no no ") {
		t.Errorf("error says %q", r.stderr)
	}
}

func TestRegressionInvalidUTF8ArgumentMangled(t *testing.T) {
	silent := silentUDP(t)
	r := socklab(t, "udp4", "send", "--timeout", "200ms", silent.LocalAddr().String(), "ab\xff\x01c")
	_ = r
	got := drain(silent, 200*time.Millisecond)
	if len(got) != 1 || got[0] != "ab\xff\x01c" {
		t.Errorf("message argument %q was sent as %q", "ab\xff\x01c", got)
	}
}

func TestRegressionUnixRelativePathReplyDropped(t *testing.T) {
	dir := shortTempDir(t)
	s := startServer(t, "unix", "serve", "--path", filepath.Join(dir, "s.sock"))
	for _, spelling := range []string{"./s.sock", "s.sock"} {
		ctx := exec.Command(bin, "unix", "send", "--timeout", "500ms", "--path", spelling, "hi")
		ctx.Dir = dir
		out, err := ctx.CombinedOutput()
		if err != nil {
			t.Errorf("server at %s, client --path %s (same socket, run in %s): %v\n%s", s.addr, spelling, dir, err, out)
		}
	}
	s.stopServer(os.Interrupt)
}

func TestRegressionInterruptedSendKeepsSending(t *testing.T) {
	silent := silentUDP(t)
	p := start(t, runOpts{}, "udp4", "send", "--timeout", "10s", silent.LocalAddr().String(), "first", "second", "third")
	buf := make([]byte, 100)
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, _, err := silent.ReadFrom(buf); err != nil || string(buf[:n]) != "first" {
		t.Fatalf("first: %q %v", buf[:n], err)
	}
	code := p.stop(syscall.SIGINT)
	got := drain(silent, 300*time.Millisecond)
	if len(got) != 0 {
		t.Errorf("after SIGINT, socklab still sent %q", got)
	}
	if code == 0 {
		t.Errorf("interrupted before any reply, exit 0 (stderr %q)", p.stderr.String())
	}
}

func TestRegressionLongStdinLineNoMaximum(t *testing.T) {
	silent := silentUDP(t)
	r := socklabWith(t, runOpts{stdin: bytes.NewReader(append(bytes.Repeat([]byte("a"), 140000), '\n'))}, "udp4", "send", silent.LocalAddr().String())
	checkOneLineError(t, r, "65507")
}

func TestRegressionMessageTakenForAddress(t *testing.T) {
	// No address given: the message goes to the default 127.0.0.1:8020.
	c, err := net.ListenPacket("udp4", "127.0.0.1:8020")
	if err != nil {
		t.Skip("8020 busy")
	}
	defer c.Close()
	r := socklab(t, "udp4", "send", "--timeout", "200ms", "meet at 10:30")
	got := drain(c, 300*time.Millisecond)
	if len(got) != 1 || got[0] != "meet at 10:30" {
		t.Errorf("message %q taken for an address: %s", "meet at 10:30", r)
	}
}

// kong ended a positional list at the first flag, so a flag after the
// address failed; flags go anywhere now, and -- ends them.
func TestRegressionFlagBetweenAddressAndMessages(t *testing.T) {
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo")
	r := socklab(t, "udp4", "send", s.addr, "--timeout", "2s", "hi", "-x", "--", "-hello", "--json")
	mustSucceed(t, r, "flags among the messages")
	if want := "Response: \n00000000  68 69 "; !strings.HasPrefix(r.stdout, want) || !strings.Contains(r.stdout, "|-hello|") || !strings.Contains(r.stdout, "|--json|") {
		t.Errorf("want hi in hex, then -hello and --json sent as messages after --:\n%s", r)
	}
	s.stopServer(os.Interrupt)
}

// A SIGINT that came between the send and setting the read deadline was
// overwritten by that deadline: send waited out --timeout. With --timeout
// 1h, a send that misses the SIGINT is still waiting when p.stop gives up
// (cmdTimeout, a bound no load reaches), and the test fails.
func TestRegressionSignalRightAfterSendWaitsTimeout(t *testing.T) {
	dir := shortTempDir(t)
	silent, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "silent.sock"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	// sendAndInterrupt runs send, signals it as soon as its datagram
	// arrives, and checks that it stops, interrupted.
	sendAndInterrupt := func(t *testing.T, o runOpts) {
		t.Helper()
		p := start(t, o, "unix", "send", "--timeout", "1h", "--path", silent.LocalAddr().String(), "hello?")
		buf := make([]byte, 64)
		silent.SetReadDeadline(time.Now().Add(cmdTimeout))
		if _, _, err := silent.ReadFrom(buf); err != nil {
			if strings.Contains(p.stderr.String(), "strace:") {
				t.Skipf("strace cannot trace here: %s", p.stderr.String())
			}
			t.Fatalf("no datagram from send: %v\n%s", err, p)
		}
		if code := p.stop(os.Interrupt); code != 130 {
			t.Errorf("exit %d after SIGINT, want 130 (interrupted)\n%s", code, p)
		}
	}
	t.Run("right-after-send", func(t *testing.T) {
		// The window is a few microseconds wide here; ten tries.
		for range 10 {
			sendAndInterrupt(t, runOpts{})
		}
	})
	t.Run("held-in-send", func(t *testing.T) {
		// strace holds send's sendto/sendmsg for a second after the
		// datagram left, so the SIGINT lands in the window every time.
		// -D makes strace a grandchild: the process signalled is socklab.
		if _, err := exec.LookPath("strace"); err != nil {
			t.Skip("strace is not installed (apt-get install -y strace): cannot hold send in its syscall")
		}
		sendAndInterrupt(t, runOpts{wrap: []string{"strace", "-D", "-f", "-qq", "-o", "/dev/null",
			"-e", "trace=sendto,sendmsg", "-e", "inject=sendto,sendmsg:delay_exit=1000000"}})
	})
}

// socklab socket --fd N bench resolves the family from the descriptor, as
// serve and send do (it needed --family and --type before).
func TestRegressionSocketBenchAdoptsFd(t *testing.T) {
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo", "-q")
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := socklabWith(t, runOpts{files: []*os.File{fileOf(t, c)}}, "socket", "bench", "--fd", "3", "--to", s.addr, "--count", "200", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"received":200`) {
		t.Errorf("socket bench --fd 3: %s", r)
	}
	s.stopServer(os.Interrupt)
}

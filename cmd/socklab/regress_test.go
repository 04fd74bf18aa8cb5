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

// kong ends a positional list at the first flag; the error says the rule.
func TestRegressionFlagBetweenAddressAndMessages(t *testing.T) {
	r := socklab(t, "udp4", "send", "127.0.0.1:9", "--timeout", "1s", "hi")
	checkOneLineError(t, r, "flags go before the messages")
}

func TestRegressionSignalRightAfterSendWaitsTimeout(t *testing.T) {
	dir := shortTempDir(t)
	silent, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "silent.sock"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	slow := 0
	for i := 0; i < 10; i++ {
		p := start(t, runOpts{}, "unix", "send", "--timeout", "2s", "--path", silent.LocalAddr().String(), "hello?")
		buf := make([]byte, 64)
		silent.SetReadDeadline(time.Now().Add(5 * time.Second))
		silent.ReadFrom(buf)
		t0 := time.Now()
		p.stop(os.Interrupt)
		if time.Since(t0) > time.Second {
			slow++
		}
	}
	if slow > 0 {
		t.Errorf("%d of 10 SIGINTs sent right after the datagram took the whole --timeout (2s) to stop send", slow)
	}
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

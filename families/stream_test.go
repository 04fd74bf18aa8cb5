package families_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/families/familytest"
)

// streamPair listens with d on addr and dials it with d, from clientAddr
// (numbered for each client) when it is set.
func streamPair(t *testing.T, d *families.Definition, addr, clientAddr string) familytest.StreamPair {
	t.Helper()
	l, err := d.Listen(families.Options{Addr: addr})
	if err != nil {
		t.Fatalf("listen %s on %q: %v", d.Name, addr, err)
	}
	t.Cleanup(func() { l.Close() })
	return familytest.StreamPair{Listener: l, Spec: d.Spec, Dial: dialer(d, l.Addr(), clientAddr)}
}

// dialer connects clients of d to addr, from clientAddr (numbered for each
// client) when it is set.
func dialer(d *families.Definition, addr net.Addr, clientAddr string) func(t *testing.T) families.StreamConn {
	clients := 0
	return func(t *testing.T) families.StreamConn {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		from := ""
		if clientAddr != "" {
			clients++
			from = clientAddr + strconv.Itoa(clients)
		}
		c, err := d.Dial(ctx, addr, families.Options{Addr: from})
		if err != nil {
			t.Fatalf("dial %s %v: %v", d.Name, addr, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
}

func TestConformanceTCP4(t *testing.T) {
	familytest.RunStream(t, func(t *testing.T) familytest.StreamPair { return streamPair(t, families.TCP4(), "127.0.0.1:0", "") })
}

func TestConformanceTCP6(t *testing.T) {
	if err := families.TCP6().Usable(); err != nil {
		t.Skipf("no IPv6 here: %v", err)
	}
	familytest.RunStream(t, func(t *testing.T) familytest.StreamPair { return streamPair(t, families.TCP6(), "[::1]:0", "") })
}

func TestConformanceUnixStream(t *testing.T) {
	familytest.RunStream(t, func(t *testing.T) familytest.StreamPair {
		return streamPair(t, families.UnixStream(), filepath.Join(t.TempDir(), "s.sock"), "")
	})
}

func TestConformanceUnixStreamAbstract(t *testing.T) {
	familytest.RunStream(t, func(t *testing.T) familytest.StreamPair {
		dir := t.TempDir()
		return streamPair(t, families.UnixStream(), "@socklab-test-"+filepath.Base(dir), filepath.Join(dir, "c.sock"))
	})
}

func TestConformanceSeqpacket(t *testing.T) {
	familytest.RunStream(t, func(t *testing.T) familytest.StreamPair {
		return streamPair(t, families.Seqpacket(), filepath.Join(t.TempDir(), "s.sock"), "")
	})
}

// TestConformanceStreamAdopted runs the suite on a listening socket made
// by package net and passed as a file, the way --fd adopts one, and dials
// from sockets made by net before they connect.
func TestConformanceStreamAdopted(t *testing.T) {
	familytest.RunStream(t, func(t *testing.T) familytest.StreamPair {
		d := families.TCP4()
		// Plain TCP: Go listens with Multipath TCP by default, which
		// the client's TCP socket would not match in Spec.
		var lc net.ListenConfig
		lc.SetMultipathTCP(false)
		nl, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		f, err := nl.(*net.TCPListener).File()
		nl.Close()
		if err != nil {
			t.Fatal(err)
		}
		l, err := d.Listen(families.Options{File: f})
		f.Close()
		if err != nil {
			t.Fatalf("adopt a listening socket: %v", err)
		}
		if l.Spec().Fileno < 0 {
			t.Errorf("adopted Listener's Spec has no Fileno: %v", l.Spec())
		}
		t.Cleanup(func() { l.Close() })
		return familytest.StreamPair{Listener: l, Spec: d.Spec, Dial: dialer(d, l.Addr(), "")}
	})
}

// TestAdoptStreamKinds: --fd takes a listening socket (serve), a connected
// one (serve one connection, or send on it), and refuses the wrong kind.
// The listener is Go's default, Multipath TCP, which tcp4 adopts too.
func TestAdoptStreamKinds(t *testing.T) {
	d := families.TCP4()
	nl, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	nc, err := net.Dial("tcp4", nl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	lf, _ := nl.(*net.TCPListener).File()
	cf, _ := nc.(*net.TCPConn).File()
	defer lf.Close()
	defer cf.Close()

	if l, c, err := families.AdoptStream(d, lf); err != nil || l == nil || c != nil {
		t.Errorf("AdoptStream(listening) = %v, %v, %v; want a Listener", l, c, err)
	} else {
		l.Close()
	}
	l, c, err := families.AdoptStream(d, cf)
	if err != nil || l != nil || c == nil || c.RemoteAddr().String() != nl.Addr().String() {
		t.Fatalf("AdoptStream(connected) = %v, %v, %v; want a StreamConn to %v", l, c, err, nl.Addr())
	}
	c.Close()
	if _, err := d.Listen(families.Options{File: cf}); err == nil || !strings.Contains(err.Error(), "not a listening socket") {
		t.Errorf("Listen adopting a connection: %v, want 'not a listening socket'", err)
	}
	if _, err := d.Dial(context.Background(), nl.Addr(), families.Options{File: lf}); err == nil || !strings.Contains(err.Error(), "is a listening socket") {
		t.Errorf("Dial adopting a listening socket: %v, want 'is a listening socket'", err)
	}
	if _, err := families.UnixStream().Listen(families.Options{File: lf}); err == nil || !strings.Contains(err.Error(), "not a unixstream socket") {
		t.Errorf("unixstream adopting a TCP socket: %v", err)
	}
}

// TestStreamConnectErrors: what a client meets, each with its cause and
// fix: nobody listening, no socket file, a socket of another type.
func TestStreamConnectErrors(t *testing.T) {
	ctx := context.Background()
	// A port that was free a moment ago.
	nl, _ := net.Listen("tcp4", "127.0.0.1:0")
	free := nl.Addr()
	nl.Close()
	_, err := families.TCP4().Dial(ctx, free, families.Options{})
	if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "nothing listens on that port") {
		t.Errorf("connect to a closed port: %v", err)
	}
	dir := t.TempDir()
	missing := &net.UnixAddr{Name: filepath.Join(dir, "none.sock"), Net: "unix"}
	if _, err := families.UnixStream().Dial(ctx, missing, families.Options{}); !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), "no socket file there") {
		t.Errorf("connect to a missing path: %v", err)
	}
	dg, err := families.Unix().Open(families.Options{Addr: filepath.Join(dir, "dgram.sock")})
	if err != nil {
		t.Fatal(err)
	}
	defer dg.Close()
	_, err = families.Seqpacket().Dial(ctx, dg.LocalAddr(), families.Options{})
	if !errors.Is(err, syscall.EPROTOTYPE) || !strings.Contains(err.Error(), "another type") {
		t.Errorf("seqpacket connect to a datagram socket: %v", err)
	}
	// A stale stream socket file: its server is gone.
	stale := filepath.Join(dir, "stale.sock")
	ul, _ := net.Listen("unix", stale)
	ul.(*net.UnixListener).SetUnlinkOnClose(false)
	ul.Close()
	if _, err := families.UnixStream().Dial(ctx, &net.UnixAddr{Name: stale, Net: "unix"}, families.Options{}); !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "stale") {
		t.Errorf("connect to a stale socket file: %v", err)
	}
}

// TestStreamUnixPathRules: a stream or seqpacket server follows the rules
// of a unix datagram server: a stale socket file is removed, a live one
// refused, a file that is not a socket never touched, and Close removes
// only the file it created.
func TestStreamUnixPathRules(t *testing.T) {
	for _, d := range []*families.Definition{families.UnixStream(), families.Seqpacket()} {
		t.Run(d.Name, func(t *testing.T) {
			dir := t.TempDir()
			reg := filepath.Join(dir, "data.txt")
			os.WriteFile(reg, []byte("precious"), 0o600)
			if _, err := d.Listen(families.Options{Addr: reg}); err == nil || !strings.Contains(err.Error(), "exists and is not a socket (a regular file)") {
				t.Errorf("listen over a regular file: %v", err)
			}
			if b, _ := os.ReadFile(reg); string(b) != "precious" {
				t.Errorf("the file was touched: %q", b)
			}

			path := filepath.Join(dir, "s.sock")
			ul, _ := net.Listen("unix", path)
			ul.(*net.UnixListener).SetUnlinkOnClose(false)
			ul.Close()
			var notices []string
			l, err := d.Listen(families.Options{Addr: path, Notify: func(s string) { notices = append(notices, s) }})
			if err != nil || len(notices) != 1 || !strings.Contains(notices[0], "removed stale socket") {
				t.Fatalf("listen over a stale socket: %v, notices %q", err, notices)
			}
			if _, err := d.Listen(families.Options{Addr: path}); !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "another server is running") {
				t.Errorf("listen over a live socket: %v", err)
			}
			l.Close()
			if _, err := os.Lstat(path); !os.IsNotExist(err) {
				t.Errorf("Close left %s behind: %v", path, err)
			}
		})
	}
}

// TestPeerCred: each end of a unix stream or seqpacket connection knows
// the process at the other: here, this one.
func TestPeerCred(t *testing.T) {
	for _, d := range []*families.Definition{families.UnixStream(), families.Seqpacket()} {
		p := streamPair(t, d, "@socklab-cred-"+d.Name+filepath.Base(t.TempDir()), "")
		c := p.Dial(t)
		s, err := p.Listener.AcceptStream()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		want := families.Cred{PID: os.Getpid(), UID: os.Getuid(), GID: os.Getgid()}
		for _, end := range []families.StreamConn{c, s} {
			if got, err := families.PeerCred(end); err != nil || got != want {
				t.Errorf("%s PeerCred = %+v, %v; want %+v", d.Name, got, err, want)
			}
		}
	}
	tcp := streamPair(t, families.TCP4(), "127.0.0.1:0", "")
	if _, err := families.PeerCred(tcp.Dial(t)); err == nil {
		t.Error("PeerCred on TCP: want an error, only unix sockets know their peer's process")
	}
}

// TestNoDelayInherited: TCP_NODELAY set on a listening socket is on in
// the connections it accepts, and off (Nagle) by default.
func TestNoDelayInherited(t *testing.T) {
	for _, on := range []bool{false, true} {
		p := streamPair(t, families.TCP4(), "127.0.0.1:0", "")
		if on {
			if err := families.SetNoDelay(p.Listener, true); err != nil {
				t.Fatal(err)
			}
		}
		c := p.Dial(t)
		s, err := p.Listener.AcceptStream()
		if err != nil {
			t.Fatal(err)
		}
		if got := families.NoDelay(s); got != on {
			t.Errorf("listener TCP_NODELAY %v: accepted connection has %v", on, got)
		}
		if families.NoDelay(c) {
			t.Error("a new client has TCP_NODELAY on: the kernel's default is off")
		}
		s.Close()
	}
}

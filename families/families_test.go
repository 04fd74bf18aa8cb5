package families_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/families/familytest"
)

func pair(t *testing.T, d *families.Definition, serverAddr, clientAddr string) familytest.Pair {
	t.Helper()
	srv, err := d.Open(families.Options{Addr: serverAddr})
	if err != nil {
		t.Fatalf("open %s server on %q: %v", d.Name, serverAddr, err)
	}
	t.Cleanup(func() { srv.Close() })
	cl, err := d.Open(families.Options{Addr: clientAddr})
	if err != nil {
		t.Fatalf("open %s client on %q: %v", d.Name, clientAddr, err)
	}
	t.Cleanup(func() { cl.Close() })
	return familytest.Pair{Server: srv, Client: cl, ServerAddr: srv.LocalAddr(), Spec: d.Spec}
}

func TestConformanceUDP4(t *testing.T) {
	familytest.Run(t, func(t *testing.T) familytest.Pair { return pair(t, families.UDP4(), "127.0.0.1:0", "") })
}

func TestConformanceUDP6(t *testing.T) {
	if err := families.UDP6().Usable(); err != nil {
		t.Skipf("no IPv6 here: %v", err)
	}
	familytest.Run(t, func(t *testing.T) familytest.Pair { return pair(t, families.UDP6(), "[::1]:0", "") })
}

func TestConformanceUnixPath(t *testing.T) {
	familytest.Run(t, func(t *testing.T) familytest.Pair {
		dir := t.TempDir()
		return pair(t, families.Unix(), filepath.Join(dir, "s.sock"), filepath.Join(dir, "c.sock"))
	})
}

func TestConformanceUnixAbstractAutobind(t *testing.T) {
	familytest.Run(t, func(t *testing.T) familytest.Pair {
		return pair(t, families.Unix(), "@socklab-test-"+filepath.Base(t.TempDir()), "")
	})
}

// TestConformanceAdopted runs the suite on descriptors adopted the way
// --fd does: a socket made elsewhere (here by package net), passed as a file.
func TestConformanceAdopted(t *testing.T) {
	familytest.Run(t, func(t *testing.T) familytest.Pair {
		d := families.UDP4()
		conns := make([]families.Conn, 2)
		for i, addr := range []string{"127.0.0.1:0", "127.0.0.1:0"} {
			uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			f, err := uc.File()
			uc.Close()
			if err != nil {
				t.Fatal(err)
			}
			c, err := d.Open(families.Options{Addr: addr, File: f})
			f.Close()
			if err != nil {
				t.Fatalf("adopt: %v", err)
			}
			if c.Spec().Fileno < 0 {
				t.Errorf("adopted Conn's Spec has no Fileno: %v", c.Spec())
			}
			t.Cleanup(func() { c.Close() })
			conns[i] = c
		}
		return familytest.Pair{Server: conns[0], Client: conns[1], ServerAddr: conns[0].LocalAddr(), Spec: d.Spec}
	})
}

func TestAdoptRefusesWrongDescriptors(t *testing.T) {
	// A regular file is not a socket.
	f, err := os.CreateTemp(t.TempDir(), "notasocket")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = families.UDP4().Open(families.Options{File: f})
	if err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Errorf("adopting a regular file: %v, want 'is not a socket'", err)
	}
	// A UDP socket handed to the unix family.
	uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	uf, _ := uc.File()
	defer uf.Close()
	_, err = families.Unix().Open(families.Options{File: uf})
	if err == nil || !strings.Contains(err.Error(), "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP), not a unix socket") {
		t.Errorf("adopting a UDP socket as unix: %v", err)
	}
}

// TestSetBuffers shows the kernel's doubling, and the FORCE variants
// passing rmem_max when run as root.
func TestSetBuffers(t *testing.T) {
	c, err := families.UDP4().Open(families.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := families.SetBuffers(c, 100000, 50000); err != nil {
		t.Fatal(err)
	}
	rcv, snd, err := families.Buffers(c)
	if err != nil {
		t.Fatal(err)
	}
	if rcv != 200000 || snd != 100000 {
		t.Errorf("asked 100000/50000, effective %d/%d, want twice that", rcv, snd)
	}
}

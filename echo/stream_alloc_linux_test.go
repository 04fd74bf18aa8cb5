package echo_test

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
	"golang.org/x/sys/unix"
)

// rawStreamClient connects a blocking socket of d to addr with plain
// system calls, which allocate nothing, so testing.AllocsPerRun sees the
// server alone.
func rawStreamClient(t *testing.T, d *families.Definition, addr string) int {
	t.Helper()
	fd, err := unix.Socket(d.Spec.Family, d.Spec.Type|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	var sa unix.Sockaddr = &unix.SockaddrUnix{Name: addr}
	if d.Spec.Family == families.AF_INET {
		a, _ := d.ResolveAddr(addr)
		ta := a.(*net.TCPAddr).AddrPort()
		sa = &unix.SockaddrInet4{Port: int(ta.Port()), Addr: ta.Addr().Unmap().As4()}
	}
	if err := unix.Connect(fd, sa); err != nil {
		t.Fatal(err)
	}
	return fd
}

// TestStreamServerAllocs: answering a read costs the stream server no
// allocation, with either reply, on every stream family.
func TestStreamServerAllocs(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct {
		d    *families.Definition
		addr string
	}{{families.TCP4(), "127.0.0.1:0"}, {families.UnixStream(), filepath.Join(dir, "s")}, {families.Seqpacket(), filepath.Join(dir, "p")}} {
		for _, reply := range []echo.Reply{echo.ReplySeed, echo.ReplyEcho} {
			t.Run(f.d.Name+"/"+reply.String(), func(t *testing.T) {
				s := echotest.StartStream(t, f.d, f.addr, echo.StreamConfig{Reply: reply, Quiet: true})
				fd := rawStreamClient(t, f.d, s.Addr().String())
				msg, buf := make([]byte, 64), make([]byte, 256)
				want := len(msg)
				if reply == echo.ReplySeed {
					want += 27
				}
				allocs := testing.AllocsPerRun(500, func() {
					if _, err := unix.Write(fd, msg); err != nil {
						t.Fatal(err)
					}
					for got := 0; got < want; {
						n, err := unix.Read(fd, buf)
						if err != nil || n == 0 {
							t.Fatalf("read %d, %v", n, err)
						}
						got += n
					}
				})
				if allocs != 0 {
					t.Errorf("%v allocations per message, want 0", allocs)
				}
			})
		}
	}
}

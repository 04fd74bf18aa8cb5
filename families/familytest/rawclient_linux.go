package familytest

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// RawClient returns a blocking descriptor connected to srv, for tests that
// drive a server with plain read/write calls, which allocate nothing (so
// testing.AllocsPerRun sees the server alone). A unix client autobinds so
// replies can reach it. Reads time out after 2s. t closes it.
func RawClient(t testing.TB, srv net.Addr) int {
	t.Helper()
	var fd int
	var sa unix.Sockaddr
	var err error
	switch a := srv.(type) {
	case *net.UDPAddr:
		if ip4 := a.IP.To4(); ip4 != nil {
			s := &unix.SockaddrInet4{Port: a.Port}
			copy(s.Addr[:], ip4)
			sa = s
			fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		} else {
			s := &unix.SockaddrInet6{Port: a.Port}
			copy(s.Addr[:], a.IP.To16())
			sa = s
			fd, err = unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		}
	case *net.UnixAddr:
		sa = &unix.SockaddrUnix{Name: a.Name}
		fd, err = unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			err = unix.Bind(fd, &unix.SockaddrUnix{}) // autobind
		}
	default:
		t.Fatalf("no raw client for %T", srv)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Connect(fd, sa); err != nil {
		t.Fatal(err)
	}
	tv := unix.NsecToTimeval((2 * time.Second).Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return fd
}

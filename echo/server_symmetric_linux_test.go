package echo_test

import (
	"fmt"
	"net"
	"testing"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/families/familytest"
	"golang.org/x/sys/unix"
)

// TestSymmetricReplies: a server bound to a wildcard address answers a
// request sent to 127.0.0.2 (or ::1) from that address, so a connected
// client, which hears only its peer, gets the reply. Both serve paths.
func TestSymmetricReplies(t *testing.T) {
	for _, tc := range []struct {
		def       *families.Definition
		bind, dst string
	}{
		{families.UDP4(), "0.0.0.0:0", "127.0.0.2"},
		{families.UDP6(), "[::]:0", "::1"},
	} {
		for _, plain := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/plain=%v", tc.def.Name, plain), func(t *testing.T) {
				s := echotest.Start(t, tc.def, tc.bind, echo.ServerConfig{Reply: echo.ReplyEcho, Plain: plain})
				port := s.Addr().(*net.UDPAddr).Port
				fd := familytest.RawClient(t, &net.UDPAddr{IP: net.ParseIP(tc.dst), Port: port})
				buf := make([]byte, 64)
				if got := exchange(t, fd, []byte("are you there"), buf); string(got) != "are you there" {
					t.Fatalf("reply %q", got)
				}
				sa, err := unix.Getpeername(fd)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("connected to %v, answered from it", sa)
			})
		}
	}
}

package rawsock

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// TestRawICMPConnSkipsOwnCopies: on a raw ICMP socket the family opened,
// a message sent to loopback is not read back as an answer; a server that
// sends it back unchanged is heard, and does not read its own reply.
// (socklab socket --family inet --type raw --proto icmp send printed its
// own message as the response.)
func TestRawICMPConnSkipsOwnCopies(t *testing.T) {
	for _, v := range []int{4, 6} {
		t.Run(ICMPSpec(v, ModeRaw).String(), func(t *testing.T) {
			ns := newNetns(t, nil)
			d := icmpDef(v)
			cl := openIn(t, ns, d, families.Options{Type: families.SOCK_RAW})
			icmpConn(t, cl, ModeRaw)
			to := &net.IPAddr{IP: loopback(v)}
			// An ICMP message of type 'h', which the kernel ignores; of 8
			// bytes or more, for raw IPv4 sockets drop shorter ones.
			msg := []byte("hello, raw socket")
			if _, err := cl.WriteTo(msg, to); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 100)
			cl.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if n, _, from, err := cl.ReadMsg(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("read %q from %v, %v: want nothing, the only message is our own", buf[:n], from, err)
			}
			srv := openIn(t, ns, d, families.Options{Type: families.SOCK_RAW})
			if _, err := cl.WriteTo(msg, to); err != nil {
				t.Fatal(err)
			}
			srv.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, _, from, err := srv.ReadMsg(buf)
			if err != nil || messageSum(buf[:n]) != messageSum(msg) { // the kernel fills in ICMPv6's checksum
				t.Fatalf("server read %q, %v", buf[:n], err)
			}
			if _, err := srv.WriteTo(buf[:n], from); err != nil {
				t.Fatal(err)
			}
			cl.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, _, _, err := cl.ReadMsg(buf); err != nil || messageSum(buf[:n]) != messageSum(msg) {
				t.Fatalf("client read %q, %v: want the server's echo", buf[:n], err)
			}
			srv.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if n, _, _, err := srv.ReadMsg(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("server read %q, %v: its own reply must not come back to it", buf[:n], err)
			}
		})
	}
}

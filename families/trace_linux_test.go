package families_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/socklab/socklab/families"
)

// TestTrace: with a Tracer set, every socket call of an open, a send, a
// read and a close is reported in strace's form, with the descriptor the
// socket call returned.
func TestTrace(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	families.SetTracer(func(c families.Call) {
		mu.Lock()
		calls = append(calls, c.String())
		mu.Unlock()
	})
	defer families.SetTracer(nil)
	srv, err := families.UDP4().Open(families.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := families.UDP4().Open(families.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.WriteTo([]byte("hello"), srv.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	if _, _, _, err := srv.ReadMsg(buf); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	cl.Close()
	mu.Lock()
	got := strings.Join(calls, "\n")
	mu.Unlock()
	for _, want := range []string{
		"socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = ",
		"bind(", ", 127.0.0.1:0) = 0",
		"sendmsg(", ", 5 bytes, " + srv.LocalAddr().String() + ") = 5",
		"recvmsg(", ", 100, MSG_TRUNC) = 5 from " + cl.LocalAddr().String(),
		"close(",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("trace lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "= -1 EAGAIN") == false {
		t.Logf("no EAGAIN in this run (the datagram was there at once)")
	}
}

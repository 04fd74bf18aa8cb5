package echo_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
)

// TestClientRetriesAfterLoss: the server loses the first copy of the
// message, and the client's retry gets the echo.
func TestClientRetriesAfterLoss(t *testing.T) {
	srv := echotest.Open(t, families.UDP4(), "127.0.0.1:0")
	echotest.ServeFunc(t, srv, func(i int, d []byte) [][]byte {
		if i == 0 {
			return nil // the first copy is "lost"
		}
		return [][]byte{d}
	})
	cl, err := families.UDP4().Open(families.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	c := echo.NewClient(cl, srv.LocalAddr(), echo.ClientConfig{Timeout: 200 * time.Millisecond, Retries: 2})
	r, err := c.Exchange(context.Background(), []byte("again"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Attempts != 2 || string(r.Data) != "again" {
		t.Errorf("attempts %d data %q, want 2 and the echo", r.Attempts, r.Data)
	}
}

func TestClientNoReplyError(t *testing.T) {
	srv, err := families.UDP4().Open(families.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close() // bound but never answers
	cl, err := families.UDP4().Open(families.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	c := echo.NewClient(cl, srv.LocalAddr(), echo.ClientConfig{Timeout: 100 * time.Millisecond, Retries: 1})
	_, err = c.Exchange(context.Background(), []byte("hello?"))
	if !errors.Is(err, echo.ErrNoReply) {
		t.Fatalf("err = %v, want ErrNoReply", err)
	}
	for _, want := range []string{"socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)", srv.LocalAddr().String(), "after 2 tries of 100ms", "more retries or a longer timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestClientPortUnreachable(t *testing.T) {
	// Bind a port, then free it, so nothing listens there.
	tmp, err := families.UDP4().Open(families.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	addr := tmp.LocalAddr()
	tmp.Close()
	cl, err := families.UDP4().Open(families.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := families.ReportICMPErrors(cl); err != nil {
		t.Fatal(err)
	}
	// A timeout far longer than any load delays the kernel's answer: the
	// wait ends well before it, or the error is ErrNoReply.
	const timeout = 30 * time.Second
	c := echo.NewClient(cl, addr, echo.ClientConfig{Timeout: timeout})
	start := time.Now()
	_, err = c.Exchange(context.Background(), []byte("anyone?"))
	if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "nothing listens at that port") {
		t.Fatalf("err = %v, want connection refused with a hint", err)
	}
	if el := time.Since(start); el > timeout/3 {
		t.Errorf("port unreachable took %v to report; IP_RECVERR should end the wait at once", el)
	}
}

// TestClientSkipsLateReply: a reply to an earlier, timed-out message that
// arrives while waiting for the next is not taken as the next one's reply.
func TestClientSkipsLateReply(t *testing.T) {
	srv := echotest.Open(t, families.UDP4(), "127.0.0.1:0")
	var first []byte
	echotest.ServeFunc(t, srv, func(i int, d []byte) [][]byte {
		if i == 0 {
			first = d
			return nil // answer it late, below
		}
		return [][]byte{first, d} // the late reply to message one, then this one's
	})
	cl, err := families.UDP4().Open(families.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	c := echo.NewClient(cl, srv.LocalAddr(), echo.ClientConfig{Timeout: 150 * time.Millisecond})
	if _, err := c.Exchange(context.Background(), []byte("one")); !errors.Is(err, echo.ErrNoReply) {
		t.Fatalf("first: %v, want no reply", err)
	}
	r, err := c.Exchange(context.Background(), []byte("two"))
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Data) != "two" || r.Late != 1 {
		t.Errorf("reply %q with %d late skipped, want \"two\" and 1", r.Data, r.Late)
	}
}

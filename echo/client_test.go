package echo_test

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

// TestClientDuplicateIsNotTheNextAnswer: with a retry and a slow server,
// both copies of message one are answered; the second answer, read while
// waiting for message two, is told as a duplicate and skipped, not taken
// for two's answer.
func TestClientDuplicateIsNotTheNextAnswer(t *testing.T) {
	srv := echotest.Open(t, families.UDP4(), "127.0.0.1:0")
	slow := make(chan struct{})
	echotest.ServeFunc(t, srv, func(i int, d []byte) [][]byte {
		if i == 0 {
			<-slow // answer the first copy only once the retry is out
		}
		return [][]byte{d}
	})
	cl, err := families.UDP4().Open(families.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var notices []echo.Notice
	c := echo.NewClient(cl, srv.LocalAddr(), echo.ClientConfig{Timeout: 100 * time.Millisecond, Retries: 3,
		OnNotice: func(n echo.Notice) {
			n.Message = append([]byte(nil), n.Message...)
			notices = append(notices, n)
		}})
	go func() {
		// The retry of "one" is sent after the first attempt's 100ms.
		time.Sleep(150 * time.Millisecond)
		close(slow)
	}()
	r, err := c.Exchange(context.Background(), []byte("one"))
	if err != nil || string(r.Data) != "one" || r.Attempts < 2 {
		t.Fatalf("one: %q after %d attempts, %v; want the echo after a retry", r.Data, r.Attempts, err)
	}
	r, err = c.Exchange(context.Background(), []byte("two"))
	if err != nil || string(r.Data) != "two" {
		t.Fatalf("two: %q, %v; want two's own echo", r.Data, err)
	}
	if r.Duplicates < 1 || len(notices) < 1 || notices[0].Kind != echo.NoticeDuplicate || string(notices[0].Message) != "one" {
		t.Errorf("two: %d duplicates skipped, notices %+v; want the second echo of one told as a duplicate", r.Duplicates, notices)
	}
}

// TestClientStranger: a datagram from another address is told and
// skipped; the server's reply is the answer.
func TestClientStranger(t *testing.T) {
	srv := echotest.Open(t, families.UDP4(), "127.0.0.1:0")
	cl, err := families.UDP4().Open(families.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	other := echotest.Open(t, families.UDP4(), "127.0.0.1:0")
	echotest.ServeFunc(t, srv, func(i int, d []byte) [][]byte {
		// A stranger speaks first, then the server answers.
		if _, err := other.WriteTo([]byte("not yours"), cl.LocalAddr()); err != nil {
			t.Error(err)
		}
		return [][]byte{d}
	})
	var kinds []echo.NoticeKind
	c := echo.NewClient(cl, srv.LocalAddr(), echo.ClientConfig{Timeout: time.Second,
		OnNotice: func(n echo.Notice) { kinds = append(kinds, n.Kind) }})
	r, err := c.Exchange(context.Background(), []byte("mine"))
	if err != nil || string(r.Data) != "mine" || r.From.String() != srv.LocalAddr().String() {
		t.Fatalf("reply %q from %v (%v), want mine from the server", r.Data, r.From, err)
	}
	if r.Strangers != 1 || len(kinds) != 1 || kinds[0] != echo.NoticeStranger {
		t.Errorf("%d strangers, notices %v; want the other address's datagram told once", r.Strangers, kinds)
	}
}

// TestClientUnspecifiedPeer: 0.0.0.0 means this host, as for connect(2);
// the reply, which comes from 127.0.0.1, is the answer.
func TestClientUnspecifiedPeer(t *testing.T) {
	srv := echotest.Start(t, families.UDP4(), "127.0.0.1:0", echo.ServerConfig{Reply: echo.ReplyEcho})
	cl, err := families.UDP4().Open(families.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	port := srv.Addr().(*net.UDPAddr).Port
	c := echo.NewClient(cl, &net.UDPAddr{IP: net.IPv4zero, Port: port}, echo.ClientConfig{Timeout: time.Second})
	r, err := c.Exchange(context.Background(), []byte("wild"))
	if err != nil || string(r.Data) != "wild" {
		t.Fatalf("to 0.0.0.0:%d: %q, %v; want the echo", port, r.Data, err)
	}
	if got := c.Peer().String(); got != "127.0.0.1:"+strconv.Itoa(port) {
		t.Errorf("peer %s, want 127.0.0.1:%d", got, port)
	}
}

// TestClientTimeoutBoundsTheSend: a unix server that never reads fills
// its queue; the send then waits for room, and Timeout ends the wait.
// A cancel ends it at once.
func TestClientTimeoutBoundsTheSend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.sock")
	srv := echotest.Open(t, families.Unix(), path) // bound, never read
	cl, err := families.Unix().Open(families.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	c := echo.NewClient(cl, srv.LocalAddr(), echo.ClientConfig{Timeout: 50 * time.Millisecond})
	var err2 error
	for i := 0; i < 1000 && !errors.Is(err2, os.ErrDeadlineExceeded); i++ {
		_, err2 = c.Exchange(context.Background(), []byte("fill"))
	}
	if !errors.Is(err2, os.ErrDeadlineExceeded) || !strings.Contains(err2.Error(), "receive queue stayed full") {
		t.Fatalf("err %v: want the send to give up on a full queue, and say so", err2)
	}
	c = echo.NewClient(cl, srv.LocalAddr(), echo.ClientConfig{Timeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := c.Exchange(ctx, []byte("blocked")); done <- err }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("after cancel: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancel did not end a send blocked on a full queue")
	}
}

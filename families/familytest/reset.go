package familytest

import (
	"errors"
	"net"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// testPeerReset: a peer that closes with data of ours unread resets the
// connection. The next read reports ECONNRESET, and a write after it
// EPIPE: errors, never a SIGPIPE (writes use MSG_NOSIGNAL).
func testPeerReset(t *testing.T, p StreamPair) {
	client, server := p.conns(t)
	// The server reads the first byte (or message) and closes with the
	// rest queued unread, which makes the close a reset.
	if p.seqpacket() {
		client.Write([]byte("x"))
		client.Write([]byte("unread"))
	} else {
		client.Write([]byte("xunread"))
	}
	if _, err := server.Read(make([]byte, 1)); err != nil {
		t.Fatalf("server Read: %v", err)
	}
	server.Close()
	sigpipe := make(chan os.Signal, 1)
	signal.Notify(sigpipe, syscall.SIGPIPE)
	defer signal.Stop(sigpipe)
	_, err := client.Read(make([]byte, 16))
	var oe *net.OpError
	if !errors.Is(err, syscall.ECONNRESET) || !errors.As(err, &oe) || oe.Op != "read" {
		t.Errorf("Read after the peer closed with data unread: %v, want a *net.OpError read with ECONNRESET", err)
	}
	_, err = client.Write([]byte("after the reset"))
	if !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("Write after the reset: %v, want EPIPE", err)
	}
	select {
	case <-sigpipe:
		t.Error("the write raised SIGPIPE: it must send with MSG_NOSIGNAL")
	case <-time.After(100 * time.Millisecond):
	}
}

package families_test

import (
	"io"
	"testing"

	"github.com/socklab/socklab/families"
)

// TestReadTCPInfo reads a loopback connection's counters: a client that
// has just connected sent SYN and ACK and received SYN-ACK; a write
// counts more segments out, and has a round-trip time. A unix stream
// socket has no TCP_INFO.
func TestReadTCPInfo(t *testing.T) {
	p := streamPair(t, families.TCP4(), "127.0.0.1:0", "")
	client := p.Dial(t)
	srv, err := p.Listener.AcceptStream()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ti, err := families.ReadTCPInfo(client)
	if err != nil {
		t.Fatal(err)
	}
	if ti.SegsOut != 2 || ti.SegsIn != 1 || ti.TotalRetrans != 0 {
		t.Errorf("after connect: %+v, want 2 segments out (SYN, ACK), 1 in (SYN-ACK), none retransmitted", ti)
	}
	if _, err := client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(srv, make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	after, err := families.ReadTCPInfo(client)
	if err != nil {
		t.Fatal(err)
	}
	if after.SegsOut <= ti.SegsOut || after.RTT <= 0 || after.SndCwnd == 0 || after.SndMSS == 0 {
		t.Errorf("after a write: %+v, want more segments out, a round-trip time and a window", after)
	}

	u := streamPair(t, families.UnixStream(), "", "")
	if _, err := families.ReadTCPInfo(u.Dial(t)); err == nil {
		t.Error("TCP_INFO of a unix stream socket: no error")
	}
}

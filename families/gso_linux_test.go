package families

import (
	"net"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// One UDP_SEGMENT send of 8 datagrams of 1000 bytes: a receiver with
// UDP_GRO reads them as one buffer of 8000 bytes marked 1000 bytes a
// datagram; one without reads 8 datagrams.
func TestGSOAndGRO(t *testing.T) {
	for _, gro := range []bool{true, false} {
		rx, err := UDP4().Open(Options{Addr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		defer rx.Close()
		tx, err := UDP4().Open(Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Close()
		if err := CanGSO(tx); err != nil {
			t.Skipf("no GSO here: %v", err)
		}
		if gro {
			if err := SetGRO(rx); err != nil {
				t.Skipf("no GRO here: %v", err)
			}
		}
		bt, _ := AsBatch(tx)
		sb := NewSendBatch(1)
		if err := sb.SetPeer(AF_INET, rx.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		payload := []byte(strings.Repeat("0123456789", 800))
		sb.Add(nil, payload)
		sb.SetSegment(1000)
		if err := bt.WriteBatch(sb, true); err != nil {
			t.Fatal(err)
		}
		br, _ := AsBatch(rx)
		rb := NewRecvBatch(16, 65536, BatchControlSpace+GROControlSpace)
		got, segs := 0, []int{}
		for got < len(payload) {
			n, err := br.ReadBatch(rb)
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				got += len(rb.Data(i))
				segs = append(segs, GROSegment(rb.Control(i)))
			}
		}
		if gro && (len(segs) != 1 || segs[0] != 1000) {
			t.Errorf("with UDP_GRO: want one buffer of 8 datagrams of 1000 bytes, got segment sizes %v", segs)
		}
		if !gro && len(segs) != 8 {
			t.Errorf("without UDP_GRO: want 8 datagrams, got %d", len(segs))
		}
	}
}

func TestOffloadRefused(t *testing.T) {
	u, err := Unix().Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if err := SetGRO(u); err == nil || !strings.Contains(err.Error(), "UDP_GRO is a UDP option") {
		t.Errorf("GRO on a unix socket: %v", err)
	}
	if err := CanGSO(u); err == nil || !strings.Contains(err.Error(), "UDP_SEGMENT is a UDP option") {
		t.Errorf("GSO on a unix socket: %v", err)
	}
	_ = net.IPv4zero
}

// What SetGRO, EnableTimestamps and EnableRecvInfo set reads back with
// getsockopt.
func TestOffloadStampsInfoReadBack(t *testing.T) {
	c, err := UDP4().Open(Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := SetGRO(c); err != nil {
		t.Skipf("no GRO here: %v", err)
	}
	if err := EnableTimestamps(c); err != nil {
		t.Fatal(err)
	}
	if err := EnableRecvInfo(c); err != nil {
		t.Fatal(err)
	}
	Control(c, func(fd int) error {
		for _, o := range []struct {
			level, opt int
			name       string
			want       int
		}{
			{unix.IPPROTO_UDP, unix.UDP_GRO, "UDP_GRO", 1},
			{unix.SOL_SOCKET, unix.SO_TIMESTAMPING, "SO_TIMESTAMPING", rxStampFlags},
			{unix.IPPROTO_IP, unix.IP_RECVTTL, "IP_RECVTTL", 1},
			{unix.IPPROTO_IP, unix.IP_RECVTOS, "IP_RECVTOS", 1},
			{unix.IPPROTO_IP, unix.IP_PKTINFO, "IP_PKTINFO", 1},
		} {
			if v, err := GetsockoptInt(fd, o.level, o.opt); err != nil || v != o.want {
				t.Errorf("%s reads back %#x, %v; want %#x", o.name, v, err, o.want)
			}
		}
		return nil
	})
}

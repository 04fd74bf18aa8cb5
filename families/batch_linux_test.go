package families_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// TestReadBatchConnected: a RecvBatch told its socket is connected names
// the peer as every datagram's sender, without the kernel writing it, and
// told it is not any more, reads the senders the kernel writes again.
func TestReadBatchConnected(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		def        *families.Definition
		srv, local string
	}{
		{families.UDP4(), "127.0.0.1:0", "127.0.0.1:0"},
		{families.Unix(), filepath.Join(dir, "srv.sock"), filepath.Join(dir, "cl.sock")},
	} {
		t.Run(tc.def.Name, func(t *testing.T) {
			srv := open(t, tc.def, tc.srv)
			cl := batchConn(t, tc.def, tc.local)
			family, peer := tc.def.Spec.Family, srv.LocalAddr()
			if err := families.Control(cl, func(fd int) error { return families.Connect(fd, family, peer) }); err != nil {
				t.Fatal(err)
			}
			rx := families.NewRecvBatch(8, 64, 0)
			for _, connected := range []bool{true, false} {
				var err error
				if connected {
					err = rx.SetConnected(family, peer)
				} else {
					err = rx.SetConnected(family, nil)
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range []string{"one", "two", "three"} {
					if _, err := srv.WriteTo([]byte(m), cl.LocalAddr()); err != nil {
						t.Fatal(err)
					}
				}
				cl.SetReadDeadline(time.Now().Add(5 * time.Second))
				n, err := cl.ReadBatch(rx)
				if err != nil || n != 3 {
					t.Fatalf("connected %v: read %d datagrams, %v; want 3", connected, n, err)
				}
				for i := range n {
					if !rx.Named(i) || rx.Addr(i).String() != peer.String() {
						t.Errorf("connected %v: datagram %d %q from %v (named %v), want from %v",
							connected, i, rx.Data(i), rx.Addr(i), rx.Named(i), peer)
					}
					if ap, ok := rx.AddrPort(i); family == families.AF_INET && (!ok || ap.String() != peer.String()) {
						t.Errorf("connected %v: datagram %d AddrPort %v %v, want %v", connected, i, ap, ok, peer)
					}
				}
			}
		})
	}
}

package families_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// batchConn opens a Conn of d at addr that moves datagrams in batches.
func batchConn(t *testing.T, d *families.Definition, addr string) families.BatchConn {
	t.Helper()
	bc, ok := families.AsBatch(open(t, d, addr))
	if !ok {
		t.Fatalf("%s at %s has no batch path", d.Name, addr)
	}
	return bc
}

// TestReadBatchDeadlines: a batch read that waits outside the netpoller
// ends at its read deadline, whether that falls within the wait's first
// millisecond (raw ppolls) or after it (an ordinary ppoll), and a datagram
// sent while it waits is read.
func TestReadBatchDeadlines(t *testing.T) {
	srv := batchConn(t, families.UDP4(), "127.0.0.1:0")
	rx := families.NewRecvBatch(8, 64, 0)
	for _, d := range []time.Duration{200 * time.Microsecond, 20 * time.Millisecond} {
		srv.SetReadDeadline(time.Now().Add(d))
		if n, err := srv.ReadBatch(rx); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("ReadBatch with a deadline %v away: %d datagrams, %v; want the deadline exceeded", d, n, err)
		}
	}

	got := make(chan error, 1)
	srv.SetReadDeadline(time.Now().Add(10 * time.Second))
	go func() {
		n, err := srv.ReadBatch(rx)
		if err == nil && (n != 1 || string(rx.Data(0)) != "late") {
			err = errors.New("read the wrong datagrams")
		}
		got <- err
	}()
	cl := open(t, families.UDP4(), "127.0.0.1:0")
	if _, err := cl.WriteTo([]byte("late"), srv.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("ReadBatch of a datagram sent while it waited: %v", err)
	}
}

// TestReadBatchOneP: with GOMAXPROCS 1 a batch read that waits (in raw
// ppolls, which keep the P) still lets the other goroutines of the
// process run: a client in the same process sends to it, and Close ends
// it.
func TestReadBatchOneP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	srv := batchConn(t, families.UDP4(), "127.0.0.1:0")
	cl := open(t, families.UDP4(), "127.0.0.1:0")
	rx := families.NewRecvBatch(8, 64, 0)
	for i := range 50 {
		got := make(chan error, 1)
		go func() {
			_, err := srv.ReadBatch(rx)
			got <- err
		}()
		if _, err := cl.WriteTo([]byte("ping"), srv.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if err := <-got; err != nil {
			t.Fatalf("exchange %d: ReadBatch: %v", i, err)
		}
	}
	got := make(chan error, 1)
	go func() {
		_, err := srv.ReadBatch(rx)
		got <- err
	}()
	srv.Close()
	if err := <-got; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("ReadBatch on a closed Conn: %v, want net.ErrClosed", err)
	}
}

// TestReadBatchWakesOnRoom: a client whose send to a unix datagram server
// would block (the server's queue is full) and that reads with
// SetWakeOnRoom is woken, having read nothing, when the server reads one
// datagram, and only once; without it, the same read waits for a reply or
// its deadline.
func TestReadBatchWakesOnRoom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "srv.sock")
	srv := batchConn(t, families.Unix(), path)
	cl := batchConn(t, families.Unix(), "")
	if err := families.Control(cl, func(fd int) error {
		return families.Connect(fd, families.AF_UNIX, srv.LocalAddr())
	}); err != nil {
		t.Fatal(err)
	}
	tx := families.NewSendBatch(1)
	fill := func() {
		t.Helper()
		for range 10000 {
			tx.Reset()
			tx.Add(nil, []byte("fill"))
			if err := cl.WriteBatch(tx, false); err == syscall.EAGAIN {
				return
			} else if err != nil {
				t.Fatal(err)
			}
		}
		t.Fatal("the server's queue never filled")
	}
	fill()

	rx := families.NewRecvBatch(8, 64, 0)
	cl.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := cl.ReadBatch(rx); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadBatch with a full peer and no wake on room: %v, want the deadline exceeded", err)
	}

	rx.SetWakeOnRoom(true)
	cl.SetReadDeadline(time.Now().Add(10 * time.Second))
	type result struct {
		n   int
		err error
	}
	got := make(chan result, 1)
	go func() {
		n, err := cl.ReadBatch(rx)
		got <- result{n, err}
	}()
	srxb := families.NewRecvBatch(1, 64, 0)
	if _, err := srv.ReadBatch(srxb); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil || r.n != 0 || !rx.Room() {
		t.Fatalf("ReadBatch with wake on room after the server read: %d datagrams, %v, room %v; want 0, nil, room", r.n, r.err, rx.Room())
	}

	// Room was told once: a sender that does not send now waits for
	// replies again, instead of being told of the same room at once.
	cl.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := cl.ReadBatch(rx); !errors.Is(err, os.ErrDeadlineExceeded) || rx.Room() {
		t.Fatalf("ReadBatch after room was reported: %d datagrams, %v, room %v; want the deadline exceeded", n, err, rx.Room())
	}
	tx.Reset()
	tx.Add(nil, []byte("again"))
	if err := cl.WriteBatch(tx, false); err != nil {
		t.Fatalf("a send once room was reported: %v", err)
	}
}

package compare

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"
)

// Connection is the connection row of one transport.
type Connection struct {
	// Packets is what crossed before the first byte could be sent: TCP's
	// handshake segments, counted by TCP_INFO; for the others, what
	// reached the server (nothing, as it should be).
	Packets   int    `json:"packets_before_first_byte"`
	CountedBy string `json:"counted_by"`
	// Setup is the median time to open a connected pair: socket, bind,
	// (listen,) connect, (accept).
	Setup    time.Duration `json:"setup_p50_ns"`
	NoServer NoServer      `json:"no_server"`
}

// Mode is the transmission mode row: N small sends, and the receives the
// peer needed to read them.
type Mode struct {
	Sends    int   `json:"sends"`
	Size     int   `json:"size"`
	Receives int   `json:"receives"`
	Split    []int `json:"split"` // bytes returned by each receive
}

// Flow is one-way traffic: N messages of Size bytes, and what arrived.
type Flow struct {
	Sent      int           `json:"sent"`
	Size      int           `json:"size"`
	Delivered int           `json:"delivered"` // messages (stream bytes / Size)
	Bytes     int64         `json:"bytes"`
	Elapsed   time.Duration `json:"elapsed_ns"` // first send to last receive
	PerSec    float64       `json:"messages_per_s"`
	Mbps      float64       `json:"mbit_per_s"`
	// QueueDrops are datagrams the receiver's kernel dropped for a full
	// receive queue (not the path).
	QueueDrops uint32 `json:"queue_drops"`
}

// Latency is ping-pong: one message in flight, echoed.
type Latency struct {
	Rounds int           `json:"rounds"`
	Lost   int           `json:"lost"`
	P50    time.Duration `json:"p50_ns"`
	P99    time.Duration `json:"p99_ns"`
}

// overall bounds any one wait of a workload, so that a stuck transport
// fails its row instead of hanging.
const overall = 30 * time.Second

// firstWait is how long a datagram receiver waits for the first datagram.
const firstWait = 2 * time.Second

// roundTimeout is how long ping-pong waits for an echo before it counts
// the exchange as lost.
const roundTimeout = 200 * time.Millisecond

// pingBudget bounds the whole ping-pong.
const pingBudget = 5 * time.Second

// quiet is how long a datagram receiver waits after the sender is done
// before it takes the rest as lost.
const quiet = 300 * time.Millisecond

func measureConnection(t Transport, env Env, setups int) (Connection, error) {
	var c Connection
	times := make([]time.Duration, 0, setups)
	for range setups {
		start := time.Now()
		p, err := t.Open(env)
		if err != nil {
			return c, err
		}
		times = append(times, time.Since(start))
		p.Close()
	}
	c.Setup = percentile(times, 50)
	p, err := t.Open(env)
	if err != nil {
		return c, err
	}
	defer p.Close()
	if sr, ok := p.Client.(StatsReader); ok {
		st, err := sr.Stats()
		if err != nil {
			return c, err
		}
		c.Packets, c.CountedBy = int(st.SegsOut+st.SegsIn), "TCP_INFO: segments the client sent and received"
	} else {
		p.Server.SetDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := p.Server.Recv(make([]byte, 64)); err == nil {
			c.Packets = 1
		}
		c.CountedBy = "what reached the server before the first send"
	}
	c.NoServer, err = t.NoServer(env)
	return c, err
}

func measureMode(t Transport, env Env, n, size int) (Mode, error) {
	m := Mode{Sends: n, Size: size}
	p, err := t.Open(env)
	if err != nil {
		return m, err
	}
	defer p.Close()
	if t.Kind() == KindStream {
		// Every write is queued before the peer reads, as when a
		// receiver is busy: what a read returns is up to the stream.
		if err := sendAll(p.Client, t.Kind(), n, size); err != nil {
			return m, err
		}
		m.Split, err = recvSplit(p.Server, n*size)
	} else {
		// A unix datagram queue holds 10 (net.unix.max_dgram_qlen):
		// the receiver must read as the sender sends.
		errc := make(chan error, 1)
		go func() { errc <- sendAll(p.Client, t.Kind(), n, size) }()
		m.Split, err = recvSplit(p.Server, n*size)
		err = errors.Join(err, <-errc)
	}
	m.Receives = len(m.Split)
	return m, err
}

// recvSplit reads until want bytes came and returns each read's size.
func recvSplit(e Endpoint, want int) ([]int, error) {
	var split []int
	buf := make([]byte, 64<<10)
	e.SetDeadline(time.Now().Add(overall))
	for got := 0; got < want; {
		n, err := e.Recv(buf)
		if err != nil {
			return split, fmt.Errorf("after %d of %d bytes: %w", got, want, err)
		}
		split = append(split, n)
		got += n
	}
	return split, nil
}

// sendAll sends n messages of size bytes; on a stream, each one whole.
func sendAll(e Endpoint, k Kind, n, size int) error {
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = byte('a' + i%26)
	}
	e.SetDeadline(time.Now().Add(overall))
	for i := range n {
		for off := 0; off < size; {
			w, err := e.Send(msg[off:])
			if err != nil {
				return fmt.Errorf("send %d of %d: %w", i+1, n, err)
			}
			off += w
			if k != KindStream {
				break
			}
		}
	}
	return nil
}

// oneWay sends n messages of size bytes from p's client to its server and
// counts what arrives: every byte of a stream, or datagrams until none
// has come for a while after the sender is done.
func oneWay(p *Pair, k Kind, n, size int) (Flow, error) {
	f := Flow{Sent: n, Size: size}
	done := make(chan struct{})
	type got struct {
		msgs  int
		bytes int64
		last  time.Time
		err   error
	}
	res := make(chan got, 1)
	start := time.Now()
	go func() {
		var g got
		g.msgs, g.bytes, g.last, g.err = receive(p.Server, k, int64(n*size), done)
		res <- g
	}()
	err := sendAll(p.Client, k, n, size)
	close(done)
	g := <-res
	f.Bytes, f.Delivered = g.bytes, g.msgs
	if k == KindStream {
		f.Delivered = int(g.bytes / int64(size))
	}
	if pe, ok := p.Server.(*pktEnd); ok {
		f.QueueDrops = pe.Drops()
	}
	if !g.last.IsZero() {
		f.Elapsed = g.last.Sub(start)
		f.PerSec = float64(f.Delivered) / f.Elapsed.Seconds()
		f.Mbps = float64(f.Bytes) * 8 / f.Elapsed.Seconds() / 1e6
	}
	return f, errors.Join(err, g.err)
}

// receive reads until want bytes came, or, on a datagram socket, until
// the sender is done and nothing came for quiet.
func receive(e Endpoint, k Kind, want int64, done <-chan struct{}) (msgs int, bytes int64, last time.Time, err error) {
	buf := make([]byte, 64<<10)
	wait := overall
	if k == KindDatagram {
		wait = quiet
	}
	for bytes < want {
		if k == KindDatagram && msgs == 0 {
			// The first may wait for the path: ARP or neighbour
			// discovery on the way to a lab's server.
			wait = firstWait
		}
		e.SetDeadline(time.Now().Add(wait))
		n, err := e.Recv(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) && k == KindDatagram {
			select {
			case <-done:
				return msgs, bytes, last, nil
			default:
				continue
			}
		}
		if err != nil {
			return msgs, bytes, last, err
		}
		msgs, bytes, last = msgs+1, bytes+int64(n), time.Now()
		if k == KindDatagram {
			wait = quiet
		}
	}
	return msgs, bytes, last, nil
}

func measureLatency(t Transport, env Env, rounds, size int) (Latency, error) {
	l := Latency{Rounds: rounds}
	p, err := t.Open(env)
	if err != nil {
		return l, err
	}
	// One deadline for the whole echo: were the server to set its own
	// before each read, it could undo the one that stops it at the end.
	p.Server.SetDeadline(time.Now().Add(pingBudget + time.Second))
	served := make(chan struct{})
	go func() { echoAll(p.Server); close(served) }()
	defer func() {
		p.Client.Close()                 // a stream's server reads EOF
		p.Server.SetDeadline(time.Now()) // a datagram server's read ends
		<-served
		p.Server.Close()
	}()
	msg, buf := make([]byte, size), make([]byte, 64<<10)
	rtts := make([]time.Duration, 0, rounds)
	end := time.Now().Add(pingBudget)
	for range rounds {
		start := time.Now()
		if start.After(end) {
			return l, fmt.Errorf("%d of %d exchanges done in %v (%d lost)", len(rtts), rounds, pingBudget, l.Lost)
		}
		p.Client.SetDeadline(start.Add(roundTimeout))
		if err := exchange(p.Client, t.Kind(), msg, buf); errors.Is(err, os.ErrDeadlineExceeded) && t.Kind() == KindDatagram {
			l.Lost++
			continue
		} else if err != nil {
			return l, err
		}
		rtts = append(rtts, time.Since(start))
	}
	l.P50, l.P99 = percentile(rtts, 50), percentile(rtts, 99)
	return l, nil
}

// exchange sends msg and reads its echo whole.
func exchange(e Endpoint, k Kind, msg, buf []byte) error {
	if _, err := e.Send(msg); err != nil {
		return err
	}
	for got := 0; got < len(msg); {
		n, err := e.Recv(buf)
		if err != nil {
			return err
		}
		got += n
		if k != KindStream {
			break
		}
	}
	return nil
}

// echoAll sends back what e receives until it fails: its peer closed
// (io.EOF), or its deadline passed.
func echoAll(e Endpoint) {
	buf := make([]byte, 64<<10)
	for {
		n, err := e.Recv(buf)
		if err != nil {
			return
		}
		if _, err := e.Send(buf[:n]); err != nil {
			return
		}
	}
}

// percentile is the p-th percentile of d (sorted in place), 0 for none.
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*p/100)]
}

package echo

import (
	"sync"
	"sync/atomic"
	"time"
)

// bufPool lends read buffers of one size to the connections of a stream
// server (families.BufferPool): a connection holds one only while it reads
// and answers. At most maxPooled wait in the pool; more are left to the
// garbage collector, so a burst does not pin its buffers for good.
type bufPool struct {
	mu   sync.Mutex
	free [][]byte
	size int
	made atomic.Uint64 // buffers allocated in all
}

const maxPooled = 128

func newBufPool(size int) *bufPool { return &bufPool{size: size} }

// Get returns a free buffer, or a new one.
func (p *bufPool) Get() []byte {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return b
	}
	p.mu.Unlock()
	p.made.Add(1)
	return make([]byte, p.size)
}

// Put gives b back.
func (p *bufPool) Put(b []byte) {
	if cap(b) < p.size {
		return
	}
	p.mu.Lock()
	if len(p.free) < maxPooled {
		p.free = append(p.free, b[:p.size])
	}
	p.mu.Unlock()
}

// sharedCtime is the seed's reply prefix, "[" + ctime + "] ", formatted
// once a second for all of a server's connections.
type sharedCtime struct {
	p atomic.Pointer[ctimePrefix]
}

type ctimePrefix struct {
	sec int64
	b   []byte
}

// prefix returns the prefix for t; the slice is never changed after.
func (c *sharedCtime) prefix(t time.Time) []byte {
	sec := t.Unix()
	if p := c.p.Load(); p != nil && p.sec == sec {
		return p.b
	}
	p := &ctimePrefix{sec: sec, b: appendSeedPrefix(nil, t)}
	c.p.Store(p)
	return p.b
}

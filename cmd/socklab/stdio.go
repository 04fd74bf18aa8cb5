package main

import (
	"io"
	"sync"
)

// outWriter is stdout as commands write it. Its first write error (EPIPE
// when the reader of a pipe went away, as in "serve | head -1"; ENOSPC on a
// full disk) is kept and reported once to lost, which stops the command;
// later writes fail at once. So output is never lost silently: the exit
// status says so (see runParsed).
type outWriter struct {
	w    io.Writer
	lost func(error)

	mu  sync.Mutex
	err error
}

func (o *outWriter) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	if err != nil {
		o.err = err
		if o.lost != nil {
			o.lost(err)
		}
	}
	return n, err
}

// Err is the first write error, or nil.
func (o *outWriter) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

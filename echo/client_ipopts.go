package echo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/socklab/socklab/families"
)

// ExchangeAll sends msg once to a peer where many may answer, a multicast
// group or a broadcast address, and collects every reply that ends with
// msg (as seed and echo replies do) until the timeout, from any address:
// each member answers from its own. With no reply it sends again up to
// Retries times; with none at all the error is Exchange's.
func (cl *Client) ExchangeAll(ctx context.Context, msg []byte) ([]Response, error) {
	stop := context.AfterFunc(ctx, func() { cl.c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var got []Response
	attempt := 1
	for ; attempt <= cl.cfg.Retries+1 && len(got) == 0; attempt++ {
		sent := time.Now()
		if _, err := cl.c.WriteTo(msg, cl.peer); err != nil {
			return nil, families.SendError("send", cl.c, cl.peer, len(msg), err)
		}
		cl.c.SetReadDeadline(sent.Add(cl.cfg.Timeout))
		if ctx.Err() != nil {
			return got, ctx.Err()
		}
		var err error
		if got, err = cl.gather(ctx, msg, sent, attempt, got); err != nil {
			return got, err
		}
	}
	if len(got) == 0 {
		return nil, &families.Error{Op: "read", Spec: cl.c.Spec(), Addr: cl.peer.String(),
			Err:  fmt.Errorf("%w after %d tries of %v", ErrNoReply, attempt-1, cl.cfg.Timeout),
			Hint: "no member of the group (or host on the link) answered: is a server joined to it? is the TTL (multicast TTL) enough to reach it?"}
	}
	return got, nil
}

// gather reads replies to msg, sent at sent, until the read deadline.
func (cl *Client) gather(ctx context.Context, msg []byte, sent time.Time, attempt int, got []Response) ([]Response, error) {
	for {
		n, size, from, err := cl.c.ReadMsg(cl.buf)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return got, ctx.Err()
		case errors.Is(err, os.ErrDeadlineExceeded):
			return got, nil
		default:
			return got, families.SendError("read", cl.c, cl.peer, len(msg), err)
		}
		if from == nil || !bytes.HasSuffix(cl.buf[:n], msg) {
			continue
		}
		got = append(got, Response{Data: append([]byte(nil), cl.buf[:n]...), Size: size, From: from,
			RTT: time.Since(sent), Attempts: attempt})
	}
}

// IsGroup reports whether peer is a multicast address, where every
// member may answer (see ExchangeAll).
func IsGroup(peer net.Addr) bool {
	switch a := peer.(type) {
	case *net.UDPAddr:
		return a.IP.IsMulticast()
	case *families.FlowAddr:
		return a.IP.IsMulticast()
	}
	return false
}

package rawsock

import (
	"context"
	"errors"
	"net"
	"time"
)

// ICMPServeOptions configure ServeICMP.
type ICMPServeOptions struct {
	IPVersion int    // 4 or 6
	Bind      string // local address to bind, "" for all
	// Reply answers echo requests from user space. The kernel answers
	// them too unless net.ipv4.icmp_echo_ignore_all (or
	// net.ipv6.icmp.echo_ignore_all) is 1, so a pinger sees duplicates.
	Reply bool
	// OnMessage receives every ICMP message the socket reads.
	OnMessage func(ICMPEvent)
}

// ICMPEvent is the report of one ICMP message a listener read.
type ICMPEvent struct {
	Event    EventKind `json:"event"` // EventICMP
	Time     string    `json:"time"`
	From     string    `json:"from"`
	TTL      int       `json:"ttl"`
	Type     int       `json:"type"`
	Code     int       `json:"code"`
	TypeName string    `json:"type_name"`
	ID       int       `json:"id,omitempty"`
	Seq      int       `json:"seq,omitempty"`
	Size     int       `json:"size"`
	// Text is ping's wording of an error message, with what it quotes.
	Text    string `json:"text,omitempty"`
	Replied bool   `json:"replied,omitempty"`
	Err     string `json:"error,omitempty"`
}

// ServeICMP opens a raw ICMP socket that reads every type and reports each
// message until ctx is done, answering echo requests when o.Reply is set.
// The open error has the fix (CAP_NET_RAW).
func ServeICMP(ctx context.Context, o ICMPServeOptions) error {
	if o.IPVersion != 6 {
		o.IPVersion = 4
	}
	c, err := ListenICMP(ICMPConfig{IPVersion: o.IPVersion, Mode: ModeRaw, Bind: o.Bind, AllTypes: true})
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	return serveICMP(ctx, c, o)
}

// serveICMP reports what c reads, and answers, until ctx is done or c
// fails.
func serveICMP(ctx context.Context, c PingConn, o ICMPServeOptions) error {
	b := make([]byte, 65536)
	for {
		m, err := c.ReadICMP(b)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		ev := newICMPEvent(m)
		if o.Reply {
			answerEcho(c, m, &ev)
		}
		if o.OnMessage != nil {
			o.OnMessage(ev)
		}
	}
}

func newICMPEvent(m *ICMPMessage) ICMPEvent {
	ev := ICMPEvent{Event: EventICMP, Time: m.Time.Format(time.RFC3339Nano), From: ipString(m.From), TTL: m.TTL, Size: m.Size}
	if m.Err != nil {
		ev.Err = m.Err.Error()
		return ev
	}
	ev.Type, ev.Code, ev.TypeName = m.Type, m.Code, m.TypeName
	switch {
	case m.Echo != nil:
		ev.ID, ev.Seq = m.Echo.ID, m.Echo.Seq
	case m.IsError():
		ev.Text = ErrorText(m.IPVersion, m.Type, m.Code, m.Info)
		if m.Quoted != nil {
			ev.ID, ev.Seq = m.Quoted.ID, m.Quoted.Seq
		}
	}
	return ev
}

// answerEcho answers m, if it is an echo request, as the kernel does: a
// reply with its ID, sequence and data. ev says how that went.
func answerEcho(c PingConn, m *ICMPMessage, ev *ICMPEvent) {
	if m.Err != nil || !m.isEchoRequest() || m.From == nil {
		return
	}
	_, reply := echoTypes(m.IPVersion)
	b, err := marshalEcho(reply, m.Echo.ID, m.Echo.Seq, m.Echo.Data)
	if err != nil {
		return
	}
	if _, err := c.WriteTo(b, &net.IPAddr{IP: m.From}); err != nil {
		ev.Err = sendError(c.Spec(), m.From.String(), err).Error()
		return
	}
	ev.Replied = true
}

package rawsock

import (
	"context"
	"errors"
	"net"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
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

// ICMPEvent is one ICMP message a listener read, decoded.
type ICMPEvent struct {
	Event    string `json:"event"` // "icmp"
	Time     string `json:"time"`
	From     string `json:"from"`
	TTL      int    `json:"ttl"`
	Type     int    `json:"type"`
	Code     int    `json:"code"`
	TypeName string `json:"type_name"`
	ID       int    `json:"id,omitempty"`
	Seq      int    `json:"seq,omitempty"`
	Size     int    `json:"size"`
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
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	var replyType icmp.Type = ipv4.ICMPTypeEchoReply
	requestType := int(ipv4.ICMPTypeEcho)
	if o.IPVersion == 6 {
		replyType, requestType = ipv6.ICMPTypeEchoReply, int(ipv6.ICMPTypeEchoRequest)
	}
	to := &net.IPAddr{}
	for {
		in, err := c.Read()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		m, err := DecodeICMP(o.IPVersion, in.Data)
		ev := ICMPEvent{Event: "icmp", Time: in.Time.Format(time.RFC3339Nano), TTL: in.TTL, Size: in.Size}
		if in.From != nil {
			ev.From = in.From.String()
		}
		if err != nil {
			ev.Err = err.Error()
			if o.OnMessage != nil {
				o.OnMessage(ev)
			}
			continue
		}
		ev.Type, ev.Code, ev.TypeName = m.Type, m.Code, m.TypeName
		if m.Echo != nil {
			ev.ID, ev.Seq = m.Echo.ID, m.Echo.Seq
		}
		if m.IsError() {
			ev.Text = ErrorText(o.IPVersion, m.Type, m.Code, m.Info)
			if m.Quoted != nil {
				ev.ID, ev.Seq = m.Quoted.ID, m.Quoted.Seq
			}
		}
		if o.Reply && m.Echo != nil && m.Type == requestType && in.From != nil {
			r := icmp.Message{Type: replyType, Body: &icmp.Echo{ID: m.Echo.ID, Seq: m.Echo.Seq, Data: m.Echo.Data}}
			if b, err := r.Marshal(nil); err == nil {
				to.IP = in.From
				if err := c.WriteTo(b, to); err != nil {
					ev.Err = err.Error()
				} else {
					ev.Replied = true
				}
			}
		}
		if o.OnMessage != nil {
			o.OnMessage(ev)
		}
	}
}

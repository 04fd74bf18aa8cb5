// Command ping is a minimal pinger on socklab's rawsock package: three echo
// requests, one line per reply, and ping's summary.
//
// Privileges: none if your group is in net.ipv4.ping_group_range (the
// unprivileged ICMP datagram socket); otherwise CAP_NET_RAW for the raw
// socket: run as root, or sudo setcap cap_net_raw+ep on the binary.
// rawsock tries the datagram socket first, then the raw one.
//
//	go run ./examples/ping 127.0.0.1
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/socklab/socklab/rawsock"
)

func main() {
	host := "127.0.0.1"
	if len(os.Args) > 1 {
		host = os.Args[1]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dst, err := rawsock.ResolveHost(ctx, 4, host)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ping:", err)
		os.Exit(2)
	}
	st, err := rawsock.Ping(ctx, dst, rawsock.PingOptions{
		Count:    3,
		Interval: 200 * time.Millisecond,
		Size:     56,
		OnEvent: func(e rawsock.PingEvent) {
			switch e.Event {
			case rawsock.EventStart:
				fmt.Printf("PING %s on %s, echo id %d\n", e.Target, e.Socket, e.ID)
			case rawsock.EventReply:
				fmt.Printf("%d bytes from %s: icmp_seq=%d ttl=%d time=%.3f ms\n", e.Bytes, e.From, e.Seq, e.TTL, e.RTT)
			case rawsock.EventError:
				fmt.Printf("From %s icmp_seq=%d %s\n", e.From, e.Seq, e.Text)
			}
		},
	})
	if st != nil {
		fmt.Print("\n", st.Summary())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ping:", err)
		os.Exit(1)
	}
}

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
	// The printer writes what iputils ping would; OnEvent could be any
	// function of a rawsock.PingEvent.
	pr := &rawsock.PingPrinter{W: os.Stdout, Notes: os.Stderr, Host: host, IPVersion: 4, Size: 56}
	st, err := rawsock.Ping(ctx, dst, rawsock.PingOptions{
		Count:    3,
		Interval: 200 * time.Millisecond,
		Size:     56,
		OnEvent:  pr.Event,
	})
	if st != nil {
		pr.Summary(st)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ping:", err)
		os.Exit(1)
	}
}

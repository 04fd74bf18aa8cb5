package rawsock

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestServeICMPReportsAndAnswers drives icmp serve --reply with a fake
// socket: it reports every message, answers echo requests as the kernel
// does, and nothing else.
func TestServeICMPReportsAndAnswers(t *testing.T) {
	f := newFakeNet(4, ModeRaw, 0, func(sent) []fakeRead { return nil })
	req := echo(t, 4, false, 321, 9, []byte("data"), other, 0)
	f.in <- req
	f.in <- echo(t, 4, true, 321, 9, []byte("data"), other, 0)
	f.in <- timeExceeded(t, sent{echo: req.m.Echo}, lo4)
	f.in <- fakeRead{m: &ICMPMessage{IPVersion: 4, Err: errors.New("too short"), From: other, Size: 3, TTL: 5, Time: time.Now()}}
	ctx, cancel := context.WithCancel(context.Background())
	var events []ICMPEvent
	err := serveICMP(ctx, f, ICMPServeOptions{IPVersion: 4, Reply: true, OnMessage: func(e ICMPEvent) {
		events = append(events, e)
		if len(events) == 4 {
			cancel()
			f.SetReadDeadline(time.Unix(1, 0))
		}
	}})
	if err != nil {
		t.Fatalf("serveICMP after ctx ended: %v", err)
	}
	if len(events) != 4 {
		t.Fatalf("want 4 events: %+v", events)
	}
	want := []ICMPEvent{
		{Event: EventICMP, From: "10.9.9.9", TTL: 64, Type: 8, TypeName: "echo", ID: 321, Seq: 9, Size: 12, Replied: true},
		{Event: EventICMP, From: "10.9.9.9", TTL: 64, Type: 0, TypeName: "echo reply", ID: 321, Seq: 9, Size: 12},
		{Event: EventICMP, From: "10.0.0.1", TTL: -1, Type: 11, TypeName: "time exceeded", ID: 321, Seq: 9, Size: 40, Text: "Time to live exceeded"},
		{Event: EventICMP, From: "10.9.9.9", TTL: 5, Size: 3, Err: "too short"},
	}
	for i, e := range events {
		e.Time = ""
		if e != want[i] {
			t.Errorf("event %d: %+v\nwant      %+v", i, e, want[i])
		}
	}
	reqs := f.requests()
	if len(reqs) != 1 || !reqs[0].to.Equal(other) || reqs[0].echo.ID != 321 || reqs[0].echo.Seq != 9 || string(reqs[0].echo.Data) != "data" || reqs[0].raw[0] != 0 {
		t.Errorf("want one echo reply to 10.9.9.9 with id 321 seq 9: %+v", reqs)
	}
}

package main

import "time"

// spinFlags say how a UDP batch read that finds nothing waits: it sleeps in
// ppoll at once (the default), tries again for a while first, or never
// sleeps. Embedded in serve's and bench's flags.
type spinFlags struct {
	Spin     time.Duration `min:"0" placeholder:"DURATION" help:"UDP batch path: when a read finds nothing, try again for this long before sleeping (e.g. 20us): saves a sleep and a wake-up per round trip (ping-pong latency), at the cost of that much CPU per wait."`
	BusyPoll bool          `name:"busy-poll" help:"UDP batch path: never sleep, poll the socket in a loop (and ask the kernel to busy-poll its queue, SO_BUSY_POLL): the lowest latency, one core spent on it."`
}

// spin is the value of echo's Spin: negative for busy polling.
func (f spinFlags) spin() time.Duration {
	if f.BusyPoll {
		return -1
	}
	return f.Spin
}

package rawsock

// EventKind names what a ping, an ICMP listener or ip4 reports.
type EventKind string

// The kinds of events; JSON output carries them as "event".
const (
	EventStart   EventKind = "start"   // a ping's socket opened
	EventSent    EventKind = "sent"    // an echo request (or ip4 packet) went out
	EventReply   EventKind = "reply"   // an echo reply that is ours (Dup or Late may be set), or ip4's answer
	EventError   EventKind = "error"   // an ICMP error came back for one of our echoes
	EventSummary EventKind = "summary" // a ping's statistics
	EventICMP    EventKind = "icmp"    // a message an ICMP listener read
	EventPacket  EventKind = "packet"  // a packet ip4 serve read
	EventDump    EventKind = "dump"    // the annotated bytes of a packet ip4 sends
)

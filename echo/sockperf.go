package echo

import "encoding/binary"

// The header sockperf (github.com/Mellanox/sockperf) puts at the start of
// every datagram, as sockperf 3.7 sends it: 14 bytes, big-endian.
//
//	0      8      10       14
//	| seq  | flags| length | payload ...
//
// length is the whole message, header included. Checked against Debian's
// sockperf 3.7: its server answers a message only when CLIENT and
// PONG_REQUEST are set and WARMUP is not, and answers with CLIENT cleared and
// every other byte as received (length bytes of it).
const (
	// SockperfHeaderLen is the size of sockperf's message header.
	SockperfHeaderLen = 14
	// SockperfClient marks a message sent by a sockperf client; the server
	// clears it in its reply.
	SockperfClient = 1
	// SockperfPongRequest asks the server to answer this message.
	SockperfPongRequest = 2
	// SockperfWarmup marks a warm-up message, which is never answered.
	SockperfWarmup = 4
)

// SockperfHeader is the decoded header of a sockperf message.
type SockperfHeader struct {
	Seq    uint64
	Flags  uint16
	Length uint32
}

// ParseSockperfHeader decodes the header at the start of b; ok is false when
// b is shorter than SockperfHeaderLen.
func ParseSockperfHeader(b []byte) (h SockperfHeader, ok bool) {
	if len(b) < SockperfHeaderLen {
		return h, false
	}
	return SockperfHeader{
		Seq:    binary.BigEndian.Uint64(b[0:8]),
		Flags:  binary.BigEndian.Uint16(b[8:10]),
		Length: binary.BigEndian.Uint32(b[10:14]),
	}, true
}

// AppendSockperfHeader appends h in sockperf's wire format to dst.
func AppendSockperfHeader(dst []byte, h SockperfHeader) []byte {
	dst = binary.BigEndian.AppendUint64(dst, h.Seq)
	dst = binary.BigEndian.AppendUint16(dst, h.Flags)
	return binary.BigEndian.AppendUint32(dst, h.Length)
}

// SockperfPong turns the sockperf request in b into its reply, in place, as
// sockperf's own server does: it returns the reply (a prefix of b, with the
// CLIENT flag cleared) and true, or nil and false when the message asks for
// no reply: not a client message, a warm-up, no PONG_REQUEST, or a length
// field shorter than the header or longer than the datagram.
func SockperfPong(b []byte) ([]byte, bool) {
	h, ok := ParseSockperfHeader(b)
	if !ok || h.Flags&SockperfClient == 0 || h.Flags&SockperfWarmup != 0 || h.Flags&SockperfPongRequest == 0 ||
		h.Length < SockperfHeaderLen || uint64(h.Length) > uint64(len(b)) {
		return nil, false
	}
	binary.BigEndian.PutUint16(b[8:10], h.Flags&^SockperfClient)
	return b[:h.Length], true
}

package echo

import "bytes"

// The bench header starts every datagram a bench sends: the magic, then the
// sequence number and the send time (nanoseconds since the bench started),
// each as 16 lowercase hex digits. It is ASCII, so servers that decode text
// (the seed's Python server does) echo it, and a bench finds it by searching
// the reply for the magic, so servers that add a prefix work too. The rest of
// the datagram is filler, lowercase letters, that the reply must repeat.
const (
	// BenchMagic is the first four bytes of the bench header.
	BenchMagic = "~sLb"
	// BenchHeaderLen is the length of the bench header: the magic and two
	// 16-digit hex numbers.
	BenchHeaderLen = len(BenchMagic) + 16 + 16
)

const hexDigits = "0123456789abcdef"

var benchMagic = []byte(BenchMagic)

// fillHeader writes the header of datagram seq, sent at ns, into buf, which
// starts with BenchMagic already.
func fillHeader(buf []byte, seq uint64, ns int64) {
	putHex(buf[len(BenchMagic):], seq)
	putHex(buf[len(BenchMagic)+16:], uint64(ns))
}

// putHex writes v into b[:16] as 16 lowercase hex digits.
func putHex(b []byte, v uint64) {
	_ = b[15]
	for i := 15; i >= 0; i-- {
		b[i] = hexDigits[v&15]
		v >>= 4
	}
}

// getHex reads the 16 lowercase hex digits of b[:16]; ok is false when one
// is not (uppercase is not what putHex writes, so not a bench header).
func getHex(b []byte) (uint64, bool) {
	_ = b[15]
	var v uint64
	for i := range 16 {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// ParseBenchReply finds the bench header in a reply and returns the
// datagram's sequence number and send time. ok is false when there is no
// header, or when the echoed datagram, from the header on, is not size bytes.
func ParseBenchReply(reply []byte, size int) (seq uint64, sentNs int64, ok bool) {
	i := bytes.Index(reply, benchMagic)
	if i < 0 || len(reply)-i != size || size < BenchHeaderLen {
		return 0, 0, false
	}
	h := reply[i:]
	seq, ok1 := getHex(h[len(BenchMagic):])
	ts, ok2 := getHex(h[len(BenchMagic)+16:])
	return seq, int64(ts), ok1 && ok2
}

package echo

import (
	"bytes"
	"encoding/binary"
)

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

// putHex writes v into b[:16] as 16 lowercase hex digits, eight at a time
// with no branch: every datagram a bench sends carries two.
func putHex(b []byte, v uint64) {
	binary.BigEndian.PutUint64(b[0:8], hex8(uint32(v>>32)))
	binary.BigEndian.PutUint64(b[8:16], hex8(uint32(v)))
}

// hex8 is x as 8 lowercase hex digits, the first in the top byte.
func hex8(x uint32) uint64 {
	// One nibble to a byte: 0xabcdef12 becomes 0x0a0b0c0d0e0f0102.
	n := uint64(x)
	n = (n | n<<16) & 0x0000ffff0000ffff
	n = (n | n<<8) & 0x00ff00ff00ff00ff
	n = (n | n<<4) & 0x0f0f0f0f0f0f0f0f
	// A byte of 10 or more gets 'a'-'0'-10 (39) more than '0' does.
	letters := ((n + 0x0606060606060606) >> 4) & 0x0101010101010101
	return n + 0x3030303030303030 + letters*39
}

// hexValue is each byte's value as a lowercase hex digit, 0xff if it is
// not one (uppercase is not what putHex writes, so not a bench header).
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := range len(hexDigits) {
		t[hexDigits[i]] = byte(i)
	}
	return t
}()

// getHex reads the 16 lowercase hex digits of b[:16]; ok is false when one
// is not. A table, not a test per byte: random digits made those tests
// mispredict about one byte in three.
func getHex(b []byte) (uint64, bool) {
	_ = b[15]
	var v uint64
	var bad byte
	for i := range 16 {
		d := hexValue[b[i]]
		bad |= d
		v = v<<4 | uint64(d&15)
	}
	if bad > 15 {
		return 0, false
	}
	return v, true
}

// ParseBenchReply finds the bench header in a reply and returns the
// datagram's sequence number and send time. ok is false when there is no
// header, or when the echoed datagram, from the header on, is not size bytes.
func ParseBenchReply(reply []byte, size int) (seq uint64, sentNs int64, ok bool) {
	i := 0
	if !bytes.HasPrefix(reply, benchMagic) { // an echo starts with it: no search
		i = bytes.Index(reply, benchMagic)
	}
	if i < 0 || len(reply)-i != size || size < BenchHeaderLen {
		return 0, 0, false
	}
	h := reply[i:]
	seq, ok1 := getHex(h[len(BenchMagic):])
	ts, ok2 := getHex(h[len(BenchMagic)+16:])
	return seq, int64(ts), ok1 && ok2
}

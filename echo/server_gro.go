package echo

import "github.com/socklab/socklab/families"

// GROReplies reports whether a server configured as cfg can take UDP_GRO's
// coalesced buffers on c, and if not, why: it needs the batch path and
// replies that repeat each datagram unchanged (--reply echo), so that one
// UDP_SEGMENT send answers them all.
func GROReplies(c families.Conn, cfg ServerConfig) (bool, string) {
	cfg = cfg.withDefaults()
	switch {
	case !UsesBatch(c, cfg):
		return false, "UDP_GRO is read on the batch path only (quiet, not plain, and a UDP socket)"
	case cfg.Reply != ReplyEcho:
		return false, "a coalesced buffer is answered by one UDP_SEGMENT send only when the reply repeats each datagram (the echo reply)"
	case cfg.Bufsize < 65535:
		return false, "a coalesced buffer can hold 64 KiB: a smaller buffer would truncate it"
	}
	return true, ""
}

// rxControlSpace is the control space per datagram the batch path reads.
func rxControlSpace(cfg ServerConfig) int {
	if cfg.GRO {
		return families.BatchControlSpace + families.GROControlSpace
	}
	return families.BatchControlSpace
}

// segment is the size of the datagrams coalesced in slot i (UDP_GRO), or 0
// when it holds one datagram.
func (s *batchServer) segment(i, size int) int {
	if !s.cfg.GRO {
		return 0
	}
	if seg := families.GROSegment(s.rx.Control(i)); seg > 0 && seg < size {
		return seg
	}
	return 0
}

// segments is how many datagrams a buffer of size bytes in segments of seg
// holds: 1 when seg is 0.
func segments(size, seg int) uint64 {
	if seg <= 0 {
		return 1
	}
	return uint64((size + seg - 1) / seg)
}

package families

import "testing"

// FuzzRecvInfo feeds control messages, as recvmsg could write them, to
// the parsers of per-datagram facts, GRO segment sizes and error-queue
// reports: none may read past its message.
func FuzzRecvInfo(f *testing.F) {
	var ttl []byte
	ttl = appendCmsg(ttl, 0, 2, []byte{64, 0, 0, 0}) // IP_TTL
	ttl = appendCmsg(ttl, 0, 1, []byte{0xb8})        // IP_TOS
	ttl = appendCmsg(ttl, 0, 8, make([]byte, 12))    // IP_PKTINFO
	ttl = appendCmsg(ttl, 1, 37, make([]byte, 48))   // SCM_TIMESTAMPING
	f.Add(ttl)
	f.Add(appendCmsg(nil, 17, 104, []byte{0x78, 0x05, 0, 0}))         // UDP_GRO
	f.Add(appendCmsg(nil, 0, 11, make([]byte, sizeofExtendedErr+16))) // IP_RECVERR
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, oob []byte) {
		r := ParseRecvInfo(oob)
		if r.TTL < -1 || r.TOS < -1 {
			t.Errorf("ParseRecvInfo: %+v", r)
		}
		_ = GROSegment(oob)
		parseErrReport(oob)
	})
}

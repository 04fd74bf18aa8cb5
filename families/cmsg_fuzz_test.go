package families

import (
	"encoding/binary"
	"testing"
)

// FuzzCmsg: the control messages recvmsg writes come from the kernel, a
// peer's SCM_CREDENTIALS among them; whatever the bytes, Cmsg returns the
// data of a message that lies within them, or nil, and a message built
// as the kernel builds it is found, with its data.
func FuzzCmsg(f *testing.F) {
	f.Add(cmsgOf(solSocket, scmCredentials, []byte{1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0}), 7, 9, []byte{42, 0, 0, 0})
	f.Add(append(cmsgOf(0, 2, []byte{64, 0, 0, 0}), cmsgOf(41, 50, make([]byte, 20))...), 41, 50, []byte{})
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 0, []byte("x"))
	f.Fuzz(func(t *testing.T, oob []byte, level, typ int, data []byte) {
		if len(oob) > 4096 || len(data) > 256 {
			return
		}
		for _, lt := range [][2]int{{level, typ}, {solSocket, scmCredentials}, {0, 2}} {
			if d := Cmsg(oob, lt[0], lt[1]); d != nil && !within(d, oob) {
				t.Fatalf("Cmsg(%x, %d, %d) = %x, not inside oob", oob, lt[0], lt[1], d)
			}
		}
		CmsgUint32(oob, level, typ)
		ParseCred(oob)
		// Appended to well-formed messages with none of its kind, a
		// message is found, with its data.
		if !wellFormed(oob) || len(oob)%cmsgAlign != 0 || Cmsg(oob, level, typ) != nil || int(int32(level)) != level || int(int32(typ)) != typ {
			return
		}
		built := append(append([]byte(nil), oob...), cmsgOf(level, typ, data)...)
		if d := Cmsg(built, level, typ); string(d) != string(data) {
			t.Fatalf("Cmsg found %x for (%d, %d) after %x, want %x", d, level, typ, oob, data)
		}
	})
}

// cmsgOf is one control message as the kernel writes it: the header, the
// data, padding to the alignment.
func cmsgOf(level, typ int, data []byte) []byte {
	b := make([]byte, cmsgHdrLen+cmsgAlignUp(len(data)))
	if cmsgAlign == 4 {
		binary.NativeEndian.PutUint32(b, uint32(cmsgHdrLen+len(data)))
	} else {
		binary.NativeEndian.PutUint64(b, uint64(cmsgHdrLen+len(data)))
	}
	binary.NativeEndian.PutUint32(b[cmsgAlign:], uint32(int32(level)))
	binary.NativeEndian.PutUint32(b[cmsgAlign+4:], uint32(int32(typ)))
	copy(b[cmsgHdrLen:], data)
	return b
}

// wellFormed reports whether oob is whole control messages, each with a
// length that fits, as Cmsg walks them.
func wellFormed(oob []byte) bool {
	for len(oob) > 0 {
		if len(oob) < cmsgHdrLen {
			return false
		}
		l := int(binary.NativeEndian.Uint64(oob))
		if cmsgAlign == 4 {
			l = int(binary.NativeEndian.Uint32(oob))
		}
		if l < cmsgHdrLen || l > len(oob) {
			return false
		}
		oob = oob[min(len(oob), cmsgAlignUp(l)):]
	}
	return true
}

// within reports whether d is a slice of b's memory.
func within(d, b []byte) bool {
	if len(d) == 0 {
		return true
	}
	for i := 0; i+len(d) <= len(b); i++ {
		if &b[i] == &d[0] {
			return true
		}
	}
	return false
}

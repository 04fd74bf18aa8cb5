package families

import (
	"encoding/binary"
	"unsafe"
)

// cmsgHdrLen is the size of struct cmsghdr on Linux (len is a size_t), and
// cmsgAlign the alignment of control messages and their data.
const (
	cmsgAlign  = int(unsafe.Sizeof(uintptr(0)))
	cmsgHdrLen = (int(unsafe.Sizeof(uintptr(0))) + 8 + cmsgAlign - 1) &^ (cmsgAlign - 1)
)

func cmsgAlignUp(n int) int { return (n + cmsgAlign - 1) &^ (cmsgAlign - 1) }

// Cmsg returns the data of the first control message of level and typ in
// oob, as recvmsg wrote it, or nil. It allocates nothing, and stops at the
// first malformed header.
func Cmsg(oob []byte, level, typ int) []byte {
	for len(oob) >= cmsgHdrLen {
		l := int(binary.NativeEndian.Uint64(oob))
		if cmsgAlign == 4 {
			l = int(binary.NativeEndian.Uint32(oob))
		}
		if l < cmsgHdrLen || l > len(oob) {
			return nil
		}
		lv := int(int32(binary.NativeEndian.Uint32(oob[cmsgAlign:])))
		ty := int(int32(binary.NativeEndian.Uint32(oob[cmsgAlign+4:])))
		if lv == level && ty == typ {
			return oob[cmsgHdrLen:l]
		}
		oob = oob[min(len(oob), cmsgAlignUp(l)):]
	}
	return nil
}

// CmsgUint32 reads the control message of level and typ as a native-endian
// 32-bit number (a TTL, a hop limit, the SO_RXQ_OVFL drop counter).
func CmsgUint32(oob []byte, level, typ int) (uint32, bool) {
	d := Cmsg(oob, level, typ)
	if len(d) < 4 {
		return 0, false
	}
	return binary.NativeEndian.Uint32(d), true
}

// Linux's numbers for the control messages this package reads, spelled out
// so that the parsers build on every GOOS.
const (
	solSocket      = 1  // SOL_SOCKET
	scmCredentials = 2  // SCM_CREDENTIALS
	sizeofUcred    = 12 // struct ucred: pid, uid, gid
)

// Cred is a unix datagram sender's credentials, which the kernel attaches
// when the receiver has SO_PASSCRED set.
type Cred struct {
	PID, UID, GID int
}

// ParseCred reads SCM_CREDENTIALS from control messages.
func ParseCred(oob []byte) (Cred, bool) {
	d := Cmsg(oob, solSocket, scmCredentials)
	if len(d) < sizeofUcred {
		return Cred{}, false
	}
	return Cred{
		PID: int(int32(binary.NativeEndian.Uint32(d))),
		UID: int(binary.NativeEndian.Uint32(d[4:])),
		GID: int(binary.NativeEndian.Uint32(d[8:])),
	}, true
}

package rawsock

import (
	"net"
	"testing"
	"unsafe"

	"github.com/socklab/socklab/families"
	"golang.org/x/sys/unix"
)

// Fuzz targets for what ReadICMP takes from the kernel: the IPv4 header a
// raw socket delivers, the control messages, and an error queue entry's
// offender address. The kernel writes them, but a fault there must not
// become a crash or a read out of bounds here.

// FuzzStripIPv4Header: for any header bytes, buffer and length read,
// stripIPv4Header refuses, or leaves a message that lies within the
// buffer and is shorter than what was read by the header's length.
func FuzzStripIPv4Header(f *testing.F) {
	f.Add([]byte{0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1}, []byte{8, 0, 0, 0, 0, 0, 0, 0}, 28)
	f.Add([]byte{0x46, 0, 0, 32, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1}, []byte{1, 1, 1, 1, 8, 0, 0, 0, 0, 0, 0, 0}, 32)
	f.Add([]byte{0x4f, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1}, []byte{}, 20)
	f.Fuzz(func(t *testing.T, hdr, b []byte, size int) {
		if len(b) > maxFuzzPacket {
			return
		}
		h := make([]byte, 20)
		copy(h, hdr)
		m := families.Msg{Size: size}
		if err := stripIPv4Header(&m, h, b); err != nil {
			return
		}
		ihl := int(h[0]&0x0f) * 4
		if m.N < 0 || m.N > len(b) || m.Size != size-ihl || m.N > m.Size {
			t.Fatalf("header %x, %d bytes of b, size %d: N %d, Size %d", h, len(b), size, m.N, m.Size)
		}
	})
}

// FuzzControlMessages: whatever the control messages hold, the TTL, the
// destination and the offender come out in range or not at all.
func FuzzControlMessages(f *testing.F) {
	var ttl [4]byte
	ttl[0] = 64
	f.Add(cmsg(unix.IPPROTO_IP, unix.IP_TTL, ttl[:]))
	f.Add(cmsg(unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, append(net.ParseIP("fd00::1"), 1, 0, 0, 0)))
	f.Add(append(cmsg(unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT, ttl[:]), cmsg(unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, make([]byte, 20))...))
	f.Add([]byte{2, 0, 0, 0, 10, 0, 0, 1})
	f.Fuzz(func(t *testing.T, oob []byte) {
		if len(oob) > maxFuzzPacket {
			return
		}
		if ttl, ok := cmsgTTL(oob); ok && (ttl < -1<<31 || ttl > 1<<31) {
			t.Fatalf("ttl %d", ttl)
		}
		if dst := cmsgDst(oob); dst != nil && len(dst) != net.IPv6len {
			t.Fatalf("destination %v", dst)
		}
		if ip := offender(oob); ip != nil && len(ip) != net.IPv4len && len(ip) != net.IPv6len {
			t.Fatalf("offender %v", ip)
		}
	})
}

// cmsg is one control message as recvmsg writes it.
func cmsg(level, typ int, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = int32(level), int32(typ)
	h.SetLen(unix.CmsgLen(len(data)))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

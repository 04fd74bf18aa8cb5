package rawsock

import (
	"net"
	"testing"
	"time"
)

// TestOwnCopies: the first copy of a message sent to a local address is
// the socket's own, whatever its checksum; a second copy, or one of a
// message to another host, or one that comes too late, is someone else's.
func TestOwnCopies(t *testing.T) {
	o := &ownCopies{host: testHost()}
	now := time.Now()
	msg := []byte{128, 0, 0, 0, 1, 2, 3, 4, 'h', 'i'}
	withSum := append([]byte(nil), msg...)
	withSum[2], withSum[3] = 0xab, 0xcd
	o.sent(msg, net.ParseIP("::1"), now)
	if !o.isOwn(withSum, now) {
		t.Error("the copy of a message to ::1, checksum filled in by the kernel, is ours")
	}
	if o.isOwn(withSum, now) {
		t.Error("only one copy comes back: a second one is an echo")
	}
	o.sent(msg, net.ParseIP("10.7.7.7"), now)
	if o.isOwn(msg, now) {
		t.Error("a message to another host does not come back to us")
	}
	o.sent([]byte("hello"), net.ParseIP("127.0.0.1"), now)
	if o.isOwn([]byte("hellO"), now) || o.isOwn([]byte("hello"), now.Add(ownCopyWithin+time.Millisecond)) {
		t.Error("another message, or a copy after ownCopyWithin, is not ours")
	}
}

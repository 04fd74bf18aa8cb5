//go:build !linux

package families

// CanGSO is false on this system.
func CanGSO(c Conn) error { return ErrUnsupported }

// SetGRO is not supported on this system.
func SetGRO(c Conn) error { return ErrUnsupported }

// GROSegment is 0 on this system.
func GROSegment(oob []byte) int { return 0 }

// IsGSOError is false on this system.
func IsGSOError(err error) bool { return false }

// SetSegment does nothing on this system.
func (b *SendBatch) SetSegment(size int) {}

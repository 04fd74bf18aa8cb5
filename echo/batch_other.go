//go:build !linux

package echo

import (
	"context"

	"github.com/socklab/socklab/families"
)

// DefaultBatch is how many datagrams one recvmmsg call would take; this
// system has no batch path, so Serve always runs the plain loop.
const DefaultBatch = 64

// fastServer stands in for the Linux batch path, which this system lacks.
type fastServer struct{}

func batchAvailable(c families.Conn) bool { return false }

func batchSlots(cfg ServerConfig, bufsize int) int { return 1 }

func newFastServer(c families.Conn, cfg ServerConfig) *fastServer { return nil }

func (s *fastServer) serve(ctx context.Context) (Stats, error) { panic("unreachable") }

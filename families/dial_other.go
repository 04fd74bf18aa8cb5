//go:build !linux

package families

import (
	"context"
	"net"
)

func dialStream(ctx context.Context, d *Definition, peer net.Addr, o Options) (StreamConn, error) {
	return nil, notSupported(d.Spec)
}

//go:build !linux

package families

func openUDP(d *Definition, o Options) (Conn, error)  { return nil, notSupported(d.Spec) }
func openUnix(d *Definition, o Options) (Conn, error) { return nil, notSupported(d.Spec) }

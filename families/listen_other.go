//go:build !linux

package families

func listenStream(d *Definition, o Options) (Listener, error) { return nil, notSupported(d.Spec) }

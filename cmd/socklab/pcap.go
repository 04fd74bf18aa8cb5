package main

import (
	"errors"
	"fmt"

	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/pcap"
)

// openPcap creates --pcap's file, bounded by --pcap-max.
func (o *observer) openPcap(want observed, app *App) error {
	maxBytes, maxFrames, err := pcap.ParseLimit(want.pcapMax)
	if err != nil {
		return fmt.Errorf("--pcap-max %w", err)
	}
	name := want.pcap
	f, err := openOutFile(name)
	if err != nil {
		return fmt.Errorf("--pcap: %w", err)
	}
	o.pcap = pcap.New(f, name, pcap.Options{MaxBytes: maxBytes, MaxFrames: maxFrames, Source: families.RouteSource,
		OnLimit: func() {
			fmt.Fprintf(app.Stderr, "socklab: --pcap %s reached --pcap-max %s: later datagrams are counted, not written\n", name, want.pcapMax)
		}})
	o.pcapName, o.pcapFile = name, f
	return nil
}

// closePcap closes the capture file and says what it left out. A command
// that failed with no datagram to write leaves no file, or the old one as
// it was; one that failed after datagrams came writes them, as any other.
func (o *observer) closePcap(failed bool) {
	var err error
	if failed {
		err = errors.Join(o.pcap.Abandon(), o.pcapFile.abandon())
	} else {
		if o.app.Def != nil {
			// The interface of a file no datagram came to: the family's.
			o.pcap.SetKind(pcap.KindOf(o.app.Def.Spec))
		}
		err = o.pcap.Close()
	}
	if err != nil {
		fmt.Fprintf(o.app.Stderr, "socklab: --pcap %s: %v\n", o.pcapName, err)
	}
	st := o.pcap.Stats()
	if st.OverLimit > 0 {
		fmt.Fprintf(o.app.Stderr, "socklab: --pcap %s: %d datagrams written, %d left out by --pcap-max\n", o.pcapName, st.Frames, st.OverLimit)
	}
	if st.Overflow > 0 {
		fmt.Fprintf(o.app.Stderr, "socklab: --pcap %s: %d datagrams not written: they came faster than the file was written\n", o.pcapName, st.Overflow)
	}
}

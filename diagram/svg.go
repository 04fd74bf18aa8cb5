package diagram

import (
	"fmt"
	"io"

	"github.com/socklab/socklab/viz"
)

// Layout of the SVG, in pixels.
const (
	margin   = 30.0
	colWidth = 300.0 // between two lifelines
	headY    = 70.0  // the lifelines' name boxes
	firstRow = 125.0
	rowH     = 34.0
	charW    = 7.0 // about, at the style's 12px
)

// WriteSVG draws the diagram as an SVG document.
func (r *Recorder) WriteSVG(w io.Writer) error {
	m := r.build()
	cols := len(m.ours) + len(m.peers)
	x := func(col int) float64 { return margin + colWidth/3 + float64(col)*colWidth }
	width := max(x(max(cols-1, 1))+colWidth/2+margin, 760)
	height := firstRow + float64(len(m.rows))*rowH + 75
	c := viz.NewCanvas(width, height)
	c.Text(margin, 28, viz.Start, "title", m.name+": the exchange as it happened")
	bottom := height - 55
	for i, l := range m.ours {
		c.Lifeline(x(i), headY, bottom, m.ourName(i))
		c.Text(x(i), headY+28, viz.Middle, "note", l.local)
	}
	for i, p := range m.peers {
		c.Lifeline(x(len(m.ours)+i), headY, bottom, m.peerRole()+" "+p)
	}
	for k, rw := range m.rows {
		y := firstRow + float64(k)*rowH
		drawRow(c, m, rw, x(rw.our), y, x)
	}
	note := "Times from the first call; one arrow per datagram"
	if m.omitted > 0 {
		note += fmt.Sprintf("; %d more datagrams not drawn (the first %d are)", m.omitted, MaxDatagrams)
	}
	c.Text(margin, height-30, viz.Start, "note", note+".")
	c.Text(margin, height-12, viz.Start, "note", "recvmsg and sendmsg are the seed's recvfrom and sendto, with room for control messages.")
	_, err := c.WriteTo(w)
	return err
}

// drawRow draws one row at y: a call box on our lifeline at ox, and for a
// datagram its arrow to or from its peer's lifeline.
func drawRow(c *viz.Canvas, m model, rw row, ox, y float64, x func(int) float64) {
	label := rw.ev.label
	if rw.ev.dgram {
		label = callLabel(rw.ev)
	}
	bw := charW*float64(len(label)) + 16
	c.Box(ox, y, bw, 22, label)
	if !rw.ev.dgram {
		return
	}
	px := x(len(m.ours) + rw.peer)
	edge := ox + bw/2
	if px < ox {
		edge = ox - bw/2
	}
	if rw.ev.sent {
		c.Arrow(edge, y, px, y, m.arrowLabel(rw.ev))
	} else {
		c.Arrow(px, y, edge, y, m.arrowLabel(rw.ev))
	}
}

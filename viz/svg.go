package viz

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Point is a position on a canvas, or a data point in a plot's units.
type Point struct{ X, Y float64 }

// Anchor is where a text sits relative to its position.
type Anchor string

// The anchors of SVG's text-anchor.
const (
	Start  Anchor = "start"
	Middle Anchor = "middle"
	End    Anchor = "end"
)

// Canvas is an SVG document being drawn, W by H pixels, origin top left.
// Its methods append elements in drawing order; WriteTo writes the document.
type Canvas struct {
	W, H float64
	body bytes.Buffer
}

// NewCanvas returns an empty canvas of w by h pixels.
func NewCanvas(w, h float64) *Canvas { return &Canvas{W: w, H: h} }

// style colours the elements by class. Series colours are the Okabe-Ito
// palette, told apart by most colour-blind readers.
const style = `
text { font-family: "DejaVu Sans", Verdana, sans-serif; font-size: 12px; fill: #222; }
.title { font-size: 16px; font-weight: bold; }
.panel-title { font-size: 13px; font-weight: bold; }
.axis { stroke: #222; stroke-width: 1; }
.grid { stroke: #ddd; stroke-width: 1; }
.tick-label { font-size: 11px; fill: #444; }
.note { font-size: 12px; fill: #888; font-style: italic; }
.curve { fill: none; stroke-width: 1.8; stroke-linejoin: round; }
.lifeline { stroke: #888; stroke-width: 1; stroke-dasharray: 5 4; }
.box { fill: #f3f3f3; stroke: #222; stroke-width: 1; }
.arrow { stroke: #222; stroke-width: 1.2; marker-end: url(#arrowhead); }
.s0 { stroke: #0072b2; fill: #0072b2; } .s1 { stroke: #d55e00; fill: #d55e00; }
.s2 { stroke: #009e73; fill: #009e73; } .s3 { stroke: #cc79a7; fill: #cc79a7; }
.s4 { stroke: #e69f00; fill: #e69f00; } .s5 { stroke: #56b4e9; fill: #56b4e9; }
.s6 { stroke: #000000; fill: #000000; } .s7 { stroke: #f0e442; fill: #f0e442; }
.curve.s0, .curve.s1, .curve.s2, .curve.s3, .curve.s4, .curve.s5, .curve.s6, .curve.s7 { fill: none; }
`

// SeriesClass is the class that colours series i: one of eight colours,
// repeating after the eighth.
func SeriesClass(i int) string { return "s" + strconv.Itoa(i%8) }

// WriteTo writes the canvas as a standalone SVG document.
func (c *Canvas) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s">`+"\n",
		num(c.W), num(c.H), num(c.W), num(c.H))
	b.WriteString("<style>" + style + "</style>\n")
	b.WriteString(`<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">` +
		`<path d="M0,0 L10,5 L0,10 z" fill="#222"/></marker></defs>` + "\n")
	fmt.Fprintf(&b, `<rect width="%s" height="%s" fill="white"/>`+"\n", num(c.W), num(c.H))
	b.Write(c.body.Bytes())
	b.WriteString("</svg>\n")
	return b.WriteTo(w)
}

// Line draws a straight line.
func (c *Canvas) Line(x1, y1, x2, y2 float64, class string) {
	fmt.Fprintf(&c.body, `<line class="%s" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n",
		attr(class), num(x1), num(y1), num(x2), num(y2))
}

// Polyline draws a line through pts; series names what it shows, in its
// data-series attribute (empty: none).
func (c *Canvas) Polyline(pts []Point, class, series string) {
	var p strings.Builder
	for i, q := range pts {
		if i > 0 {
			p.WriteByte(' ')
		}
		p.WriteString(num(q.X) + "," + num(q.Y))
	}
	data := ""
	if series != "" {
		data = ` data-series="` + attr(series) + `"`
	}
	fmt.Fprintf(&c.body, `<polyline class="%s"%s points="%s"/>`+"\n", attr(class), data, p.String())
}

// Rect draws a rectangle with its top left corner at x, y.
func (c *Canvas) Rect(x, y, w, h float64, class string) {
	fmt.Fprintf(&c.body, `<rect class="%s" x="%s" y="%s" width="%s" height="%s"/>`+"\n",
		attr(class), num(x), num(y), num(w), num(h))
}

// Text writes s at x, y (the baseline), anchored as a says.
func (c *Canvas) Text(x, y float64, a Anchor, class, s string) {
	fmt.Fprintf(&c.body, `<text class="%s" x="%s" y="%s" text-anchor="%s">%s</text>`+"\n",
		attr(class), num(x), num(y), a, esc(s))
}

// VText writes s at x, y turned a quarter left, reading upwards: the
// label of a vertical axis.
func (c *Canvas) VText(x, y float64, class, s string) {
	fmt.Fprintf(&c.body, `<text class="%s" x="%s" y="%s" text-anchor="middle" transform="rotate(-90 %s %s)">%s</text>`+"\n",
		attr(class), num(x), num(y), num(x), num(y), esc(s))
}

// Box draws a rectangle centred on x, y with label in its middle: a call
// such as socket() or bind() on a lifeline.
func (c *Canvas) Box(x, y, w, h float64, label string) {
	c.Rect(x-w/2, y-h/2, w, h, "box")
	c.Text(x, y+4, Middle, "box-label", label)
}

// Lifeline draws a participant's dashed vertical line from y1 down to y2
// at x, headed by a box naming it.
func (c *Canvas) Lifeline(x, y1, y2 float64, name string) {
	c.Box(x, y1, float64(12+7*len([]rune(name))), 26, name)
	c.Line(x, y1+13, x, y2, "lifeline")
}

// Arrow draws an arrow from x1, y1 to x2, y2 with label above its middle:
// a datagram going from one lifeline to another.
func (c *Canvas) Arrow(x1, y1, x2, y2 float64, label string) {
	c.Line(x1, y1, x2, y2, "arrow")
	if label != "" {
		c.Text((x1+x2)/2, (y1+y2)/2-5, Middle, "arrow-label", label)
	}
}

// num formats a coordinate with at most two decimals.
func num(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }

// esc escapes s as XML character data.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// attr escapes s for an attribute value in double quotes.
func attr(s string) string { return esc(s) }

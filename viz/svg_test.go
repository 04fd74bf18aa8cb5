package viz

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

// element is one SVG element as a test sees it: its name, attributes and
// text.
type element struct {
	name  string
	attr  map[string]string
	text  string
	class []string
}

func (e element) has(class string) bool {
	for _, c := range e.class {
		if c == class {
			return true
		}
	}
	return false
}

// parseSVG parses an SVG document with encoding/xml, failing the test on
// any error, and returns its elements in document order.
func parseSVG(t *testing.T, doc []byte) []element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var all []element
	var open []int
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := element{name: tok.Name.Local, attr: map[string]string{}}
			if root == "" {
				root = tok.Name.Space + " " + tok.Name.Local
			}
			for _, a := range tok.Attr {
				e.attr[a.Name.Local] = a.Value
			}
			e.class = strings.Fields(e.attr["class"])
			open = append(open, len(all))
			all = append(all, e)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				all[open[len(open)-1]].text += string(tok)
			}
		}
	}
	if root != "http://www.w3.org/2000/svg svg" {
		t.Fatalf("root element is %q, want svg in the SVG namespace", root)
	}
	return all
}

// withClass returns the elements that have class.
func withClass(all []element, class string) []element {
	var out []element
	for _, e := range all {
		if e.has(class) {
			out = append(out, e)
		}
	}
	return out
}

// polylinePoints parses a polyline's points attribute.
func polylinePoints(t *testing.T, e element) []Point {
	t.Helper()
	var pts []Point
	for _, f := range strings.Fields(e.attr["points"]) {
		xs, ys, ok := strings.Cut(f, ",")
		x, err1 := strconv.ParseFloat(xs, 64)
		y, err2 := strconv.ParseFloat(ys, 64)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("polyline point %q is not x,y", f)
		}
		pts = append(pts, Point{x, y})
	}
	return pts
}

func TestCanvasEscapesText(t *testing.T) {
	c := NewCanvas(200, 100)
	label := `a<b & "c" > d'`
	c.Text(10, 10, Start, "note", label)
	c.Polyline([]Point{{1, 2}, {3, 4}}, "curve s0", label)
	var b bytes.Buffer
	c.WriteTo(&b)
	all := parseSVG(t, b.Bytes())
	if n := withClass(all, "note"); len(n) != 1 || n[0].text != label {
		t.Errorf("text came back as %+v, want %q", n, label)
	}
	if p := withClass(all, "curve"); len(p) != 1 || p[0].attr["data-series"] != label {
		t.Errorf("data-series came back as %+v, want %q", p, label)
	}
}

// TestSequencePrimitives draws what a sequence diagram of the seed's
// exchange is made of: two lifelines, call boxes and labelled arrows.
func TestSequencePrimitives(t *testing.T) {
	c := NewCanvas(400, 300)
	c.Lifeline(100, 20, 280, "client")
	c.Lifeline(300, 20, 280, "server")
	c.Box(300, 60, 80, 22, "bind()")
	c.Arrow(100, 100, 300, 100, "5 bytes, 0.1 ms")
	c.Arrow(300, 140, 100, 140, "32 bytes")
	var b bytes.Buffer
	c.WriteTo(&b)
	all := parseSVG(t, b.Bytes())
	if n := len(withClass(all, "lifeline")); n != 2 {
		t.Errorf("%d lifelines, want 2", n)
	}
	if n := len(withClass(all, "arrow")); n != 2 {
		t.Errorf("%d arrows, want 2", n)
	}
	var labels []string
	for _, e := range withClass(all, "box-label") {
		labels = append(labels, e.text)
	}
	if strings.Join(labels, ",") != "client,server,bind()" {
		t.Errorf("boxes say %q, want client, server, bind()", labels)
	}
	if l := withClass(all, "arrow-label"); len(l) != 2 || l[0].text != "5 bytes, 0.1 ms" {
		t.Errorf("arrow labels %+v", l)
	}
}

func TestCompact(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.25: "0.25", 0.30000000000000004: "0.3", 40: "40",
		1500: "1.5k", 123456: "123k", 2e6: "2M", 3.5e9: "3.5G", -2000: "-2k", 999: "999"} {
		if got := Compact(v); got != want {
			t.Errorf("Compact(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestNiceStep(t *testing.T) {
	for raw, want := range map[float64]float64{0.7: 1, 1: 1, 1.2: 2, 3: 5, 7: 10, 180: 200, 0.031: 0.05, 0: 1} {
		if got := niceStep(raw); got != want {
			t.Errorf("niceStep(%v) = %v, want %v", raw, got, want)
		}
	}
}

func TestIntegerAxisTicksAreWhole(t *testing.T) {
	s := resolve(Axis{Integer: true}, []float64{0, 1, 1, 0})
	for _, tk := range s.ticks {
		if tk.At != math.Trunc(tk.At) {
			t.Errorf("tick at %v on an axis of counts", tk.At)
		}
	}
	if len(s.ticks) < 2 {
		t.Errorf("ticks %v: want at least 0 and 1", s.ticks)
	}
}

package viz

import (
	"io"
	"math"
)

// Scale is how an axis maps values to positions.
type Scale int

const (
	// Linear spaces equal differences equally.
	Linear Scale = iota
	// Log10 spaces equal ratios equally; values must be positive.
	Log10
)

// Tick is a labelled mark on an axis, at a value in the axis's units.
type Tick struct {
	At    float64
	Label string
}

// Axis is one axis of a panel.
type Axis struct {
	Label string
	Scale Scale
	// Min and Max bound the axis. When Max is 0 they come from the data:
	// a linear axis from 0 (or the least value, when negative) to a round
	// value past the greatest, a log axis over whole decades.
	Min, Max float64
	// Ticks are the marks to draw; nil puts them at round values (linear)
	// or at each power of ten (log), labelled with Compact.
	Ticks []Tick
	// Integer keeps computed ticks on whole numbers, for counts.
	Integer bool
}

// Series is one curve of a panel. Index picks its colour (SeriesClass), so
// that one run has one colour in every panel of a figure.
type Series struct {
	Label  string
	Index  int
	Points []Point
}

// Panel is one x/y plot.
type Panel struct {
	Title  string
	X, Y   Axis
	Series []Series
	// Empty is written in the plot when no series has a point.
	Empty string
}

// Figure is panels stacked one above the other, under a title and a legend
// that names each series index in its colour.
type Figure struct {
	Title  string
	Legend []string
	Panels []Panel
	// Width and PanelHeight are in pixels (defaults 860 and 300).
	Width, PanelHeight float64
}

// The figure's margins, in pixels.
const (
	marginLeft   = 80
	marginRight  = 44 // room for the last x tick label
	titleHeight  = 34
	legendLine   = 18
	panelTop     = 28 // a panel's title, above its plot
	panelBottom  = 52 // tick labels and the x axis label, below it
	legendIndent = 30
)

// WriteTo draws the figure and writes it as an SVG document.
func (f *Figure) WriteTo(w io.Writer) (int64, error) {
	return f.Draw().WriteTo(w)
}

// Draw draws the figure on a new canvas.
func (f *Figure) Draw() *Canvas {
	width, ph := f.Width, f.PanelHeight
	if width <= 0 {
		width = 860
	}
	if ph <= 0 {
		ph = 300
	}
	top := titleHeight + legendLine*float64(len(f.Legend)) + 8
	c := NewCanvas(width, top+float64(len(f.Panels))*(panelTop+ph+panelBottom))
	c.Text(width/2, 24, Middle, "title", f.Title)
	for i, l := range f.Legend {
		y := titleHeight + legendLine*float64(i) + 10
		c.Line(legendIndent+marginLeft-20, y-4, legendIndent+marginLeft+8, y-4, "curve "+SeriesClass(i))
		c.Text(legendIndent+marginLeft+16, y, Start, "legend", l)
	}
	for i, p := range f.Panels {
		y := top + float64(i)*(panelTop+ph+panelBottom) + panelTop
		p.Draw(c, marginLeft, y, width-marginLeft-marginRight, ph)
	}
	return c
}

// Draw draws p with its plot area at x, y, w by h pixels; titles, labels
// and tick labels go around it.
func (p *Panel) Draw(c *Canvas, x, y, w, h float64) {
	var xs, ys []float64
	for _, s := range p.Series {
		for _, q := range s.Points {
			xs, ys = append(xs, q.X), append(ys, q.Y)
		}
	}
	xr, yr := resolve(p.X, xs), resolve(p.Y, ys)
	c.Text(x, y-10, Start, "panel-title", p.Title)
	for _, t := range xr.ticks {
		px := x + xr.pos(t.At)*w
		c.Line(px, y, px, y+h, "grid")
		c.Text(px, y+h+16, Middle, "tick-label", t.Label)
	}
	for _, t := range yr.ticks {
		py := y + h - yr.pos(t.At)*h
		c.Line(x, py, x+w, py, "grid")
		c.Text(x-6, py+4, End, "tick-label", t.Label)
	}
	c.Line(x, y, x, y+h, "axis")
	c.Line(x, y+h, x+w, y+h, "axis")
	c.Text(x+w/2, y+h+40, Middle, "axis-label", p.X.Label)
	c.VText(x-marginLeft+16, y+h/2, "axis-label", p.Y.Label)
	if len(xs) == 0 {
		c.Text(x+w/2, y+h/2, Middle, "note", p.Empty)
		return
	}
	for _, s := range p.Series {
		pts := make([]Point, len(s.Points))
		for i, q := range s.Points {
			pts[i] = Point{x + clamp01(xr.pos(q.X))*w, y + h - clamp01(yr.pos(q.Y))*h}
		}
		c.Polyline(pts, "curve "+SeriesClass(s.Index), s.Label)
	}
}

// span is an axis resolved against its data: its bounds and ticks.
type span struct {
	scale   Scale
	lo, hi  float64
	ticks   []Tick
	integer bool
}

// pos is where v falls on the span, 0 at lo and 1 at hi.
func (s span) pos(v float64) float64 {
	if s.scale == Log10 {
		if v <= 0 {
			return 0
		}
		return (math.Log10(v) - math.Log10(s.lo)) / (math.Log10(s.hi) - math.Log10(s.lo))
	}
	return (v - s.lo) / (s.hi - s.lo)
}

func clamp01(f float64) float64 { return math.Max(0, math.Min(1, f)) }

// resolve fixes a's bounds and ticks for the values vs.
func resolve(a Axis, vs []float64) span {
	s := span{scale: a.Scale, lo: a.Min, hi: a.Max, integer: a.Integer}
	if a.Scale == Log10 {
		s.logBounds(a.Max == 0, vs)
	} else {
		s.linearBounds(a.Max == 0, vs)
	}
	s.ticks = a.Ticks
	if s.ticks == nil {
		s.ticks = s.roundTicks()
	}
	return s
}

// linearBounds sets the bounds from vs when auto, and makes them a
// non-empty range ending at a round value.
func (s *span) linearBounds(auto bool, vs []float64) {
	if auto {
		s.lo, s.hi = 0, 0
		for _, v := range vs {
			s.lo, s.hi = math.Min(s.lo, v), math.Max(s.hi, v)
		}
	}
	if !(s.hi > s.lo) {
		s.hi = s.lo + 1
	}
	if auto {
		step := s.step()
		s.lo, s.hi = math.Floor(s.lo/step)*step, math.Ceil(s.hi/step)*step
	}
}

// step is the distance between a linear span's ticks: a round value that
// makes about five, and at least 1 on an integer span.
func (s span) step() float64 {
	step := niceStep((s.hi - s.lo) / 5)
	if s.integer {
		step = math.Max(step, 1)
	}
	return step
}

// logBounds sets the bounds from vs when auto, to whole decades, and
// makes them a positive range of at least one decade.
func (s *span) logBounds(auto bool, vs []float64) {
	if auto {
		s.lo, s.hi = math.Inf(1), 0
		for _, v := range vs {
			if v > 0 {
				s.lo, s.hi = math.Min(s.lo, v), math.Max(s.hi, v)
			}
		}
		if s.hi == 0 {
			s.lo, s.hi = 1, 10
		}
		s.lo, s.hi = math.Pow(10, math.Floor(math.Log10(s.lo))), math.Pow(10, math.Ceil(math.Log10(s.hi)))
	}
	if s.lo <= 0 {
		s.lo = 1
	}
	if s.hi <= s.lo {
		s.hi = s.lo * 10
	}
}

// roundTicks puts ticks at round values: about five on a linear axis, one
// per decade on a log axis.
func (s span) roundTicks() []Tick {
	var t []Tick
	if s.scale == Log10 {
		// 1, 2 and 5 times each power of ten when the span is short,
		// else the powers only.
		steps := []float64{1}
		if s.hi/s.lo <= 1001 {
			steps = []float64{1, 2, 5}
		}
		for d := s.lo; d <= s.hi*1.0001; d *= 10 {
			for _, m := range steps {
				if v := d * m; v <= s.hi*1.0001 {
					t = append(t, Tick{v, Compact(v)})
				}
			}
		}
		return t
	}
	step := s.step()
	for i := 0; ; i++ {
		v := s.lo + float64(i)*step
		if v > s.hi+step/1e6 {
			return t
		}
		t = append(t, Tick{v, Compact(v)})
	}
}

// niceStep is the round value (1, 2 or 5 times a power of ten) nearest
// above raw.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p*1.0001 {
			return m * p
		}
	}
	return 10 * p
}

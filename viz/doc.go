// Package viz draws socklab's pictures as SVG, in Go, with no browser and
// no fonts of its own: a viewer renders the text.
//
// Canvas is the drawing surface: lines, polylines, boxes, text and
// labelled arrows, each with a CSS class the document's style sheet
// colours. On it, Figure lays out stacked Panels of x/y plots with linear
// or log axes (plot.go), and BenchFigure turns echo bench reports into the
// latency percentile plot and the per-second rate and loss (bench.go).
// Canvas's lifelines, boxes and arrows are what a sequence diagram of a
// datagram exchange needs as well.
//
// Every element carries a class naming what it is ("curve", "axis-label",
// "arrow", "box"), and a curve its series in data-series, so tests and
// scripts can find them in the XML.
package viz

package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/socklab/socklab/diagram"
)

// startDiagram creates --diagram's file, to draw into when the command
// ends, and the recorder of the calls and datagrams.
func (o *observer) startDiagram(file, name string) error {
	if file == "" {
		return nil
	}
	switch filepath.Ext(file) {
	case ".svg", ".mmd":
	default:
		return fmt.Errorf("--diagram %s: name an SVG file (.svg) or a Mermaid file (.mmd)", file)
	}
	f, err := openOutFile(file)
	if err != nil {
		return fmt.Errorf("--diagram: %w", err)
	}
	o.diagram, o.diagramFile = diagram.NewRecorder(name), f
	return nil
}

// writeDiagram draws the run into --diagram's file, unless the command
// failed with nothing to draw.
func (o *observer) writeDiagram(failed bool) {
	f := o.diagramFile
	var err error
	switch {
	case failed && o.diagram.Empty():
		err = f.abandon()
	case filepath.Ext(f.Name()) == ".mmd":
		err = errors.Join(o.diagram.WriteMermaid(f), f.finish())
	default:
		err = errors.Join(o.diagram.WriteSVG(f), f.finish())
	}
	if err != nil {
		fmt.Fprintf(o.app.Stderr, "socklab: --diagram %s: %v\n", f.Name(), err)
	}
}

// commandName is the command line's command, "socklab udp4 serve", for
// the diagram's lifeline.
func commandName(kctx *kong.Context) string {
	var path []string
	for n := kctx.Selected(); n != nil && n.Parent != nil; n = n.Parent {
		path = append([]string{n.Name}, path...)
	}
	return strings.Join(append([]string{"socklab"}, path...), " ")
}

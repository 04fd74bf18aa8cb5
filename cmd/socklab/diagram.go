package main

import (
	"fmt"
	"os"
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
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("--diagram: %w", err)
	}
	o.diagram, o.diagramFile = diagram.NewRecorder(name), f
	return nil
}

// writeDiagram draws the run into --diagram's file.
func (o *observer) writeDiagram() {
	f := o.diagramFile
	var err error
	if filepath.Ext(f.Name()) == ".mmd" {
		err = o.diagram.WriteMermaid(f)
	} else {
		err = o.diagram.WriteSVG(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
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

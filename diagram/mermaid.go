package diagram

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMermaid writes the diagram as Mermaid text (a sequenceDiagram),
// which GitHub, GitLab and mermaid.live draw.
func (r *Recorder) WriteMermaid(w io.Writer) error {
	m := r.build()
	b := bufio.NewWriter(w)
	fmt.Fprintln(b, "sequenceDiagram")
	fmt.Fprintf(b, "    title %s: the exchange as it happened\n", mermaidText(m.name))
	for i, l := range m.ours {
		fmt.Fprintf(b, "    participant S%d as %s<br/>%s\n", i, mermaidText(m.ourName(i)), mermaidText(l.local))
	}
	for i, p := range m.peers {
		fmt.Fprintf(b, "    participant P%d as %s %s\n", i, m.peerRole(), mermaidText(p))
	}
	for _, rw := range m.rows {
		e := rw.ev
		switch {
		case !e.dgram:
			fmt.Fprintf(b, "    Note over S%d: %s\n", rw.our, mermaidText(e.label))
		case e.sent:
			fmt.Fprintf(b, "    S%d->>P%d: %s: %s\n", rw.our, rw.peer, callLabel(e), mermaidText(m.arrowLabel(e)))
		default:
			fmt.Fprintf(b, "    P%d->>S%d: %s: %s\n", rw.peer, rw.our, callLabel(e), mermaidText(m.arrowLabel(e)))
		}
	}
	if m.omitted > 0 {
		fmt.Fprintf(b, "    %%%% %d more datagrams not drawn\n", m.omitted)
	}
	return b.Flush()
}

// mermaidText keeps s from ending a Mermaid statement early: a semicolon
// or newline would, and # starts an entity.
func mermaidText(s string) string {
	return strings.NewReplacer(";", ",", "\n", " ", "#", "no. ").Replace(s)
}

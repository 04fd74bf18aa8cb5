package diagram

import (
	"bytes"
	"encoding/xml"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// run records a server's exchange with two clients: socket, bind, two
// datagrams in and two out, close; and a socket of another use (a route
// lookup) that moves no datagram.
func run() *Recorder {
	r := NewRecorder("socklab udp4 serve")
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	spec := families.NewSpec(families.AF_INET, families.SOCK_DGRAM, families.IPPROTO_UDP)
	local := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8020}
	r.Call(families.Call{Time: at(0), Name: "socket", Fd: 5, Ret: 5})
	r.Call(families.Call{Time: at(1), Name: "bind", Fd: 5, Args: []string{"127.0.0.1:8020"}})
	r.Call(families.Call{Time: at(2), Name: "socket", Fd: 6, Ret: 6})
	r.Call(families.Call{Time: at(3), Name: "getsockopt", Fd: 5})
	r.Call(families.Call{Time: at(4), Name: "close", Fd: 6})
	for i, c := range []int{51000, 52000} {
		peer := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: c}
		r.Datagram(&families.Datagram{Time: at(10 + 10*i), Call: "recvmsg", Fd: 5, Spec: spec, Size: 5, Local: local, Peer: peer})
		r.Datagram(&families.Datagram{Time: at(11 + 10*i), Call: "sendmsg", Fd: 5, Spec: spec, Sent: true, Size: 32, Local: local, Peer: peer})
	}
	r.Call(families.Call{Time: at(40), Name: "close", Fd: 5})
	return r
}

// svgElement is an SVG element a test looks at: its class and text.
type svgElement struct{ class, text string }

// parse parses doc as XML, failing the test on any error.
func parse(t *testing.T, doc []byte) []svgElement {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var all []svgElement
	var open []int // the elements the decoder is inside
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return all
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := svgElement{}
			for _, a := range tok.Attr {
				if a.Name.Local == "class" {
					e.class = a.Value
				}
			}
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
}

func texts(all []svgElement, class string) []string {
	var out []string
	for _, e := range all {
		if e.class == class {
			out = append(out, e.text)
		}
	}
	return out
}

// TestSVG: the SVG parses, holds one arrow per datagram, labelled with its
// size and time, the calls' boxes in order, and a lifeline for the server
// and each client; the socket that moved no datagram is left out.
func TestSVG(t *testing.T) {
	var b bytes.Buffer
	if err := run().WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	all := parse(t, b.Bytes())
	if n := len(texts(all, "arrow")); n != 4 {
		t.Errorf("%d arrows, want one per datagram: 4", n)
	}
	labels := texts(all, "arrow-label")
	want := []string{"5 bytes, 10.000 ms", "32 bytes, 11.000 ms", "5 bytes, 20.000 ms", "32 bytes, 21.000 ms"}
	if strings.Join(labels, "|") != strings.Join(want, "|") {
		t.Errorf("arrow labels %q, want %q", labels, want)
	}
	boxes := strings.Join(texts(all, "box-label"), "|")
	wantBoxes := "socklab udp4 serve (fd 5)|client 127.0.0.1:51000|client 127.0.0.1:52000|socket() = 5|bind(127.0.0.1:8020)|recvmsg|sendmsg|recvmsg|sendmsg|close()"
	if boxes != wantBoxes {
		t.Errorf("boxes\n %s\nwant\n %s", boxes, wantBoxes)
	}
	if n := len(texts(all, "lifeline")); n != 3 {
		t.Errorf("%d lifelines, want the server and two clients", n)
	}
}

// TestMermaid: the Mermaid text has the participants, the calls as notes
// and one message per datagram, in order.
func TestMermaid(t *testing.T) {
	var b bytes.Buffer
	if err := run().WriteMermaid(&b); err != nil {
		t.Fatal(err)
	}
	want := `sequenceDiagram
    title socklab udp4 serve: the exchange as it happened
    participant S0 as socklab udp4 serve (fd 5)<br/>127.0.0.1:8020
    participant P0 as client 127.0.0.1:51000
    participant P1 as client 127.0.0.1:52000
    Note over S0: socket() = 5
    Note over S0: bind(127.0.0.1:8020)
    P0->>S0: recvmsg: 5 bytes, 10.000 ms
    S0->>P0: sendmsg: 32 bytes, 11.000 ms
    P1->>S0: recvmsg: 5 bytes, 20.000 ms
    S0->>P1: sendmsg: 32 bytes, 21.000 ms
    Note over S0: close()
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestBound: past MaxDatagrams datagrams are counted in a note, not drawn.
func TestBound(t *testing.T) {
	r := NewRecorder("socklab udp4 send")
	spec := families.NewSpec(families.AF_INET, families.SOCK_DGRAM, families.IPPROTO_UDP)
	peer := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8020}
	for range MaxDatagrams + 7 {
		r.Datagram(&families.Datagram{Time: time.Now(), Call: "sendmsg", Fd: 3, Spec: spec, Sent: true, Size: 1, Peer: peer})
	}
	var b bytes.Buffer
	r.WriteSVG(&b)
	all := parse(t, b.Bytes())
	if n := len(texts(all, "arrow")); n != MaxDatagrams {
		t.Errorf("%d arrows, want %d", n, MaxDatagrams)
	}
	if notes := strings.Join(texts(all, "note"), "|"); !strings.Contains(notes, "7 more datagrams not drawn") {
		t.Errorf("notes %q do not count the 7 left out", notes)
	}
}

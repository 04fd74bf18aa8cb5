package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// showData renders received bytes for a terminal without garbling it: text
// as it is, anything with invalid UTF-8 or control characters as a Go
// quoted string, or a hex dump with -x.
func showData(b []byte, hexdump bool) string {
	if hexdump {
		return "\n" + strings.TrimRight(hex.Dump(b), "\n")
	}
	if plainText(b) {
		return string(b)
	}
	return strconv.Quote(string(b))
}

func plainText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if unicode.IsControl(r) && r != '\t' {
			return false
		}
	}
	return true
}

// jsonData adds data to a JSON event: "data" as a string when it is valid
// UTF-8, else "data_hex", so nothing is lost in replacement characters.
func jsonData(ev map[string]any, b []byte) {
	if utf8.Valid(b) {
		ev["data"] = string(b)
	} else {
		ev["data_hex"] = hex.EncodeToString(b)
	}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func writeJSON(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(w, "{\"event\":\"error\",\"error\":%q}\n", err.Error())
		return
	}
	w.Write(append(b, '\n'))
}

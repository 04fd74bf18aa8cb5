package rawsock

import "fmt"

// ErrorText is iputils ping's text for an ICMP error: "Time to live
// exceeded", "Destination Host Unreachable", "Destination unreachable:
// Address unreachable" for ICMPv6.
func ErrorText(ipVersion, typ, code, info int) string {
	if ipVersion == 6 {
		return errorText6(typ, code, info)
	}
	return errorText4(typ, code, info)
}

var unreachable4 = map[int]string{0: "Destination Net Unreachable", 1: "Destination Host Unreachable", 2: "Destination Protocol Unreachable",
	3: "Destination Port Unreachable", 5: "Source Route Failed", 6: "Destination Net Unknown", 7: "Destination Host Unknown",
	8: "Source Host Isolated", 9: "Destination Net Prohibited", 10: "Destination Host Prohibited",
	11: "Destination Net Unreachable for Type of Service", 12: "Destination Host Unreachable for Type of Service",
	13: "Packet filtered", 14: "Precedence Violation", 15: "Precedence Cutoff"}

func errorText4(typ, code, info int) string {
	switch typ {
	case 3:
		return unreachableText4(code, info)
	case 4:
		return "Source Quench"
	case 5:
		return "Redirect"
	case 11:
		return codeText(code, "Time to live exceeded", "Frag reassembly time exceeded", "Time exceeded, Bad Code: %d")
	case 12:
		return fmt.Sprintf("Parameter problem: pointer = %d", info)
	}
	return fmt.Sprintf("Bad ICMP type: %d", typ)
}

func unreachableText4(code, info int) string {
	if code == 4 {
		return fmt.Sprintf("Frag needed and DF set (mtu = %d)", info)
	}
	if r, ok := unreachable4[code]; ok {
		return r
	}
	return fmt.Sprintf("Dest Unreachable, Bad Code: %d", code)
}

var (
	unreachable6 = map[int]string{0: "No route", 1: "Administratively prohibited", 2: "Beyond scope of source address",
		3: "Address unreachable", 4: "Port unreachable", 5: "Source address failed ingress/egress policy", 6: "Reject route to destination"}
	paramProblem6 = map[int]string{0: "Wrong header field ", 1: "Unknown header ", 2: "Unknown option "}
)

func errorText6(typ, code, info int) string {
	switch typ {
	case 1:
		r, ok := unreachable6[code]
		if !ok {
			r = fmt.Sprintf("Unknown code %d", code)
		}
		return "Destination unreachable: " + r
	case 2:
		return fmt.Sprintf("Packet too big: mtu=%d", info)
	case 3:
		return codeText(code, "Time exceeded: Hop limit", "Time exceeded: Defragmentation failure", "Time exceeded: code %d")
	case 4:
		return fmt.Sprintf("Parameter problem: %sat %d", paramProblem6[code], info)
	}
	return fmt.Sprintf("Unknown icmp type: %d", typ)
}

// codeText is the text of code 0 or 1 of a time exceeded message, or other
// formatted with the code.
func codeText(code int, zero, one, other string) string {
	switch code {
	case 0:
		return zero
	case 1:
		return one
	}
	return fmt.Sprintf(other, code)
}

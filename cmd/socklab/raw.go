package main

// icmpCmd is socklab icmp4|icmp6 (placeholder until issue 3 lands).
type icmpCmd struct{}

// ip4Cmd is socklab ip4 (placeholder until issue 3 lands).
type ip4Cmd struct{}

module github.com/socklab/socklab

go 1.26.8

require golang.org/x/sys v0.50.0

require (
	github.com/HdrHistogram/hdrhistogram-go v1.4.0 // indirect
	github.com/alecthomas/kong v1.17.0 // indirect
	golang.org/x/net v0.62.0 // indirect
)

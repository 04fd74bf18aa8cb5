// Command seed-server is the seed's Python UDP server written in Go on top
// of package families: it answers every datagram with "[ctime] message".
//
// It needs no privileges. Run it, then examples/seed-client (or the Python
// seed client) in another terminal:
//
//	go run ./examples/seed-server [127.0.0.1:8020]
package main

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
)

func main() {
	addr := "127.0.0.1:8020"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	// sock = socket.socket(AF_INET, SOCK_DGRAM); sock.bind(('127.0.0.1', 8020))
	sock, err := families.UDP4().Open(families.Options{Addr: addr})
	if err != nil {
		log.Fatal(err)
	}
	defer sock.Close() // sock.close()
	fmt.Println("waiting for message...")
	buf := make([]byte, 1024)
	for {
		// data, addr = sock.recvfrom(1024): one datagram per call; ReadMsg
		// also says how long it was, so truncation is never silent.
		n, size, from, err := sock.ReadMsg(buf)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("Got message from", from)
		fmt.Println("Received message:", string(buf[:n]))
		if size > n {
			fmt.Printf("truncated: datagram was %d bytes, read %d, %d lost\n", size, n, size-n)
		}
		// sock.sendto(bytes('[%s] %s' % (time.ctime(), data), 'utf-8'), addr)
		reply := echo.ReplySeed.AppendReply(nil, buf[:n], time.Now())
		if _, err := sock.WriteTo(reply, from); err != nil {
			log.Print(err)
		}
	}
}

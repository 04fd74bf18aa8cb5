// Command seed-client is the seed's Python UDP client written in Go on top
// of package families: it prompts "Wanna send: ", sends each line as one
// datagram and prints "Response: REPLY", stopping at an empty line.
//
// It needs no privileges. Start examples/seed-server (or the Python seed
// server) first:
//
//	go run ./examples/seed-client [127.0.0.1:8020]
package main

import (
	"bufio"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/socklab/socklab/families"
)

func main() {
	addr := "127.0.0.1:8020"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	udp := families.UDP4()
	// sock = socket.socket(AF_INET, SOCK_DGRAM); address = ('127.0.0.1', 8020)
	sock, err := udp.Open(families.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sock.Close() // sock.close()
	server, err := udp.ResolveAddr(addr)
	if err != nil {
		log.Fatal(err)
	}
	in := bufio.NewScanner(os.Stdin)
	buf := make([]byte, 1024)
	for {
		fmt.Print("Wanna send: ") // msg = input('Wanna send: ')
		if !in.Scan() || in.Text() == "" {
			break // if not msg: break
		}
		// sock.sendto(bytes(msg, 'utf-8'), address)
		if _, err := sock.WriteTo(in.Bytes(), server); err != nil {
			log.Fatal(err)
		}
		// data, addr = sock.recvfrom(1024): unlike the seed, give up after
		// two seconds, since UDP may lose the datagram or its reply.
		sock.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _, _, err := sock.ReadMsg(buf)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("Response:", string(buf[:n]))
	}
}

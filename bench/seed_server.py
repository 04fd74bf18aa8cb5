# The seed's UDP echo server (shared/seed/udp_server.py), as a benchmark peer.
# Its logic is unchanged: recvfrom(1024), decode as UTF-8, print, and reply
# "[<ctime>] <data>".  Only the address comes from the command line:
#
#     python3 bench/seed_server.py [HOST [PORT]]    (default 127.0.0.1 8020)
#
# recvfrom(1024) truncates longer datagrams, so it is measured at 64 bytes
# only; it prints two lines per datagram, so run it with stdout to /dev/null.
import socket
import sys
import time

host = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8020

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((host, port))
print('waiting for message...')
try:
    while True:
        data, addr = sock.recvfrom(1024)
        data = data.decode('utf-8')
        print('Got message from', addr)
        print('Received message:', data)
        sock.sendto(bytes('[%s] %s' % (time.ctime(), data), 'utf-8'), addr)
except KeyboardInterrupt:
    pass
sock.close()

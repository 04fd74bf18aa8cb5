package families

// UDP segmentation offload: with UDP_SEGMENT (GSO, Linux 4.18) one send
// of many same-sized datagrams back to back goes down the stack as one
// and is cut into datagrams as late as possible (by the card, or just
// before it); with UDP_GRO (Linux 5.0) the kernel hands a reader the
// datagrams of one flow that arrived together as one buffer, with their
// size in a control message. wireguard-go's conn/gso_linux.go and
// quic-go's sys_conn_oob.go are the models: found by trying the socket
// option, with a plain path that always works.

// MaxGSOSegments is the most datagrams one UDP_SEGMENT send may carry
// (UDP_MAX_SEGMENTS of older kernels; newer ones take 128).
const MaxGSOSegments = 64

// GROControlSpace is the control space a read needs for UDP_GRO's segment
// size, beside BatchControlSpace.
const GROControlSpace = 24

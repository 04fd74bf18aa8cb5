package echo

import "github.com/socklab/socklab/families"

// enableInfo turns on the per-datagram facts of ServerConfig.RecvInfo,
// when asked and the socket can read control messages; without them
// Event.Info stays nil.
func (s *plainServer) enableInfo() {
	if !s.cfg.RecvInfo || s.cfg.Quiet {
		return
	}
	if _, ok := s.c.(families.MsgConn); !ok || families.EnableRecvInfo(s.c) != nil {
		return
	}
	s.info = &families.RecvInfo{}
	if len(s.oob) < families.RecvInfoSpace {
		s.oob = make([]byte, families.RecvInfoSpace)
	}
}

// parseInfo reads the last datagram's facts, when asked for.
func (s *plainServer) parseInfo() {
	if s.info != nil {
		*s.info = families.ParseRecvInfo(s.oob[:s.oobn])
	}
}

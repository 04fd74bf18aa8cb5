package echo

import "github.com/socklab/socklab/families"

// enableInfo turns on the per-datagram facts of ServerConfig.RecvInfo,
// when asked and the socket is an IP socket that can read control
// messages; otherwise Event.Info stays nil.
func (s *plainServer) enableInfo() {
	if fam := s.c.Spec().Family; !s.cfg.RecvInfo || s.cfg.Quiet || fam != families.AF_INET && fam != families.AF_INET6 {
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

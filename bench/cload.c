/*
 * cload - a minimal datagram load generator for echo servers
 * (the client side of bench/compare.sh).
 *
 * Throughput mode (default) keeps INFLIGHT datagrams outstanding with
 * sendmmsg(2)/recvmmsg(2): every good reply frees its slot and a new datagram
 * goes out; a datagram with no reply after TIMEOUT ms is counted as expired
 * and its slot re-used, so a loss never stalls the window.  Ping-pong mode
 * (-p) has one datagram in flight and reports round-trip percentiles.
 *
 * Every datagram is ASCII: the marker "SLQ", 16 hex digits of sequence
 * number, '|', then a fixed filler.  A reply is found by searching for the
 * marker, so servers that put a prefix before the echo (the seed's Python
 * server answers "[ctime] DATA") are measured too; a reply is good when the
 * sequence was sent and is outstanding, and the bytes from the marker on are
 * exactly what was sent.  With -k the datagram starts with sockperf's 14-byte
 * header (sequence, flags = client|pong-request, length; big-endian) so that
 * `sockperf server` answers it; the marker follows the header.
 *
 * Build: gcc -O2 -Wall -Wextra -o cload cload.c
 * Run:   cload -4 127.0.0.1:9000 [-n 64] [-s 64] [-d 5] [-t 200] [-p] [-k]
 *        cload -6 '[::1]:9000' ...
 *        cload -u /tmp/echo.sock [-b /tmp/my.sock] ...
 *   -n INFLIGHT (default 64)   -s SIZE bytes (default 64)
 *   -d SECONDS (default 5)     -t TIMEOUT ms before a datagram is lost (200)
 *   -p ping-pong latency       -k sockperf header
 *   -B busy-poll: never sleep in recvmmsg (spins the client's CPU)
 *   -b PATH  unix only: bind the client to PATH (removed on exit); default
 *            is an autobound abstract address, which leaves nothing behind.
 *
 * Output, one JSON line on stdout:
 *   {"mode":..,"sent":..,"received":..,"lost":..,"late":..,"bad":..,
 *    "echoes_per_sec":..[,"latency_us":{"p50":..,"p99":..,"p999":..}]}
 * received counts good replies (those after the deadline too, while draining);
 * echoes_per_sec counts only those before the deadline.  late = replies to
 * datagrams already counted as expired (or duplicates); lost = sent -
 * received - late.  Exit status 3 when no good reply came back.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MARKER "SLQ"
#define MARKLEN 20 /* "SLQ" + 16 hex + '|' */
#define SPHDR 14   /* sockperf header */
#define RXBUF 65536
#define RXBATCH 64

static void die(const char *what) { perror(what); exit(1); }

static const char *bindpath; /* unix: our own path, removed at exit */
static void unbind(void) { if (bindpath) unlink(bindpath); }

static void usage(void)
{
	fprintf(stderr, "usage: cload -4 ADDR:PORT | -6 [ADDR]:PORT | -u PATH [-b PATH]\n"
			"             [-n INFLIGHT] [-s SIZE] [-d SECONDS] [-t TIMEOUT_MS] [-p] [-k] [-B]\n");
	exit(2);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static socklen_t parse_inet(int family, const char *arg, struct sockaddr_storage *ss)
{
	char host[256];
	const char *colon = strrchr(arg, ':');
	if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof host)
		usage();
	memcpy(host, arg, colon - arg);
	host[colon - arg] = 0;
	char *h = host;
	if (family == AF_INET6) {
		size_t n = strlen(h);
		if (n < 2 || h[0] != '[' || h[n - 1] != ']')
			usage();
		h[n - 1] = 0;
		h++;
	}
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		usage();
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (inet_pton(AF_INET, h, &sin->sin_addr) != 1)
			usage();
		return sizeof *sin;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	if (inet_pton(AF_INET6, h, &sin6->sin6_addr) != 1)
		usage();
	return sizeof *sin6;
}

static socklen_t unix_addr(const char *path, struct sockaddr_storage *ss)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;
	if (strlen(path) >= sizeof sun->sun_path)
		usage();
	memset(ss, 0, sizeof *ss);
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, path);
	return sizeof *sun;
}

/* --- the datagram format ------------------------------------------------ */

static size_t size = 64, moff; /* datagram size, offset of the marker */
static int sockperf;

static void put_be(unsigned char *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
}

/* fill a datagram buffer with the header (if any), marker and filler */
static void fill(char *buf)
{
	memset(buf, 0, moff);
	if (sockperf) {
		put_be((unsigned char *)buf + 8, 3, 2); /* client | pong request */
		put_be((unsigned char *)buf + 10, size, 4);
	}
	memcpy(buf + moff, MARKER, 3);
	buf[moff + MARKLEN - 1] = '|';
	for (size_t i = moff + MARKLEN; i < size; i++)
		buf[i] = 'a' + i % 26;
}

static void set_seq(char *buf, uint64_t seq)
{
	static const char hex[] = "0123456789abcdef";
	if (sockperf)
		put_be((unsigned char *)buf, seq, 8);
	for (int i = 15; i >= 0; i--, seq >>= 4)
		buf[moff + 3 + i] = hex[seq & 15];
}

/* Find the datagram in a reply; return its sequence or -1 if the reply is
 * not a faithful echo (no marker, wrong length, changed bytes). */
static int64_t check_reply(const char *r, size_t len, const char *tmpl)
{
	const char *m = memmem(r, len, MARKER, 3);
	if (!m || (size_t)(r + len - m) != size - moff || m[MARKLEN - 1] != '|')
		return -1;
	uint64_t seq = 0;
	for (int i = 3; i < 19; i++) {
		char c = m[i];
		if (c >= '0' && c <= '9') seq = seq << 4 | (c - '0');
		else if (c >= 'a' && c <= 'f') seq = seq << 4 | (c - 'a' + 10);
		else return -1;
	}
	if (memcmp(m + MARKLEN, tmpl + moff + MARKLEN, size - moff - MARKLEN))
		return -1;
	return seq & INT64_MAX;
}

/* --- results ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p)
{
	if (!n)
		return 0;
	size_t i = (size_t)(p * (n - 1) + 0.5);
	return v[i];
}

int main(int argc, char **argv)
{
	struct sockaddr_storage peer, local;
	socklen_t peerlen = 0;
	int family = 0, pingpong = 0, busy = 0, opt;
	long inflight = 64;
	double duration = 5, timeout = 0.2;

	while ((opt = getopt(argc, argv, "4:6:u:b:n:s:d:t:pkB")) != -1) {
		switch (opt) {
		case '4': family = AF_INET; peerlen = parse_inet(AF_INET, optarg, &peer); break;
		case '6': family = AF_INET6; peerlen = parse_inet(AF_INET6, optarg, &peer); break;
		case 'u': family = AF_UNIX; peerlen = unix_addr(optarg, &peer); break;
		case 'b': bindpath = optarg; break;
		case 'n': inflight = atol(optarg); break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		case 'd': duration = atof(optarg); break;
		case 't': timeout = atof(optarg) / 1000; break;
		case 'p': pingpong = 1; break;
		case 'k': sockperf = 1; break;
		case 'B': busy = 1; break;
		default: usage();
		}
	}
	moff = sockperf ? SPHDR : 0;
	if (!family || optind != argc || inflight < 1 || inflight > 65536 || duration <= 0 ||
	    timeout <= 0 || size < moff + MARKLEN || size > 65507 || (bindpath && family != AF_UNIX))
		usage();
	if (pingpong)
		inflight = 1;

	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (family == AF_UNIX) {
		/* a unix client needs an address for the replies to reach it */
		socklen_t ll = sizeof(sa_family_t); /* autobind */
		memset(&local, 0, sizeof local);
		local.ss_family = AF_UNIX;
		if (bindpath)
			ll = unix_addr(bindpath, &local);
		if (bind(fd, (struct sockaddr *)&local, ll) < 0)
			die("bind");
		atexit(unbind);
	}
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz); /* best effort */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	if (connect(fd, (struct sockaddr *)&peer, peerlen) < 0)
		die("connect");
	/* wake up every 10 ms to expire lost datagrams and see the deadline */
	struct timeval rto = { 0, 10000 };
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rto, sizeof rto))
		die("setsockopt");

	/* slot i carries sequences i, i+N, i+2N, ...: a reply's slot is seq % N */
	char *tx = malloc((size_t)inflight * size), *tmpl = malloc(size);
	uint64_t *seq = calloc(inflight, sizeof *seq);
	double *sent_at = calloc(inflight, sizeof *sent_at);
	char *live = calloc(inflight, 1);
	long *pending = calloc(inflight, sizeof *pending); /* slots to send */
	char *rxbufs = malloc((size_t)RXBATCH * RXBUF);
	struct iovec *txiov = calloc(inflight, sizeof *txiov), rxiov[RXBATCH];
	struct mmsghdr *txm = calloc(inflight, sizeof *txm), rxm[RXBATCH];
	size_t nlat = 0, latcap = 1 << 16;
	double *lat = malloc(latcap * sizeof *lat);
	if (!tx || !tmpl || !seq || !sent_at || !live || !pending || !rxbufs || !txiov || !txm || !lat)
		die("malloc");
	fill(tmpl);
	long npending = 0;
	for (long i = 0; i < inflight; i++) {
		fill(tx + i * size);
		seq[i] = i;
		pending[npending++] = i;
	}
	int rxbatch = inflight < RXBATCH ? inflight : RXBATCH;

	unsigned long long sent = 0, received = 0, in_window = 0, late = 0, bad = 0, expired = 0;
	double start = now(), deadline = start + duration, drain_end = 0, last_scan = start;
	int draining = 0;
	for (;;) {
		double t = now();
		if (!draining && t >= deadline) {
			draining = 1; /* stop sending; wait for what is still out */
			npending = 0;
			drain_end = t + timeout;
		}
		if (draining) {
			long out = 0;
			for (long i = 0; i < inflight; i++)
				out += live[i];
			if (!out || t >= drain_end)
				break;
		}
		/* send what is pending; never block (a unix peer's queue can be
		 * full while it is busy sending to us: that would deadlock) */
		if (npending) {
			for (long k = 0; k < npending; k++) {
				long i = pending[k];
				set_seq(tx + i * size, seq[i]);
				txiov[k] = (struct iovec){ tx + i * size, size };
				txm[k].msg_hdr = (struct msghdr){ .msg_iov = &txiov[k], .msg_iovlen = 1 };
			}
			long done = 0;
			while (done < npending) {
				int s = sendmmsg(fd, txm + done, npending - done, MSG_DONTWAIT);
				if (s < 0) {
					if (errno == EINTR)
						continue;
					if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
						break; /* try again after receiving */
					if (errno == ECONNREFUSED || errno == ENOENT) {
						/* no server (yet): treat the datagram as sent
						 * and let it expire */
						s = 1;
					} else {
						die("sendmmsg");
					}
				}
				for (int k = 0; k < s; k++) {
					long i = pending[done + k];
					live[i] = 1;
					sent_at[i] = t;
				}
				sent += s;
				done += s;
			}
			memmove(pending, pending + done, (npending - done) * sizeof *pending);
			npending -= done;
		}

		for (int k = 0; k < rxbatch; k++) {
			rxiov[k] = (struct iovec){ rxbufs + (size_t)k * RXBUF, RXBUF };
			rxm[k].msg_hdr = (struct msghdr){ .msg_iov = &rxiov[k], .msg_iovlen = 1 };
		}
		if (npending && !busy) {
			/* the peer's queue is full: wait until it drains or a reply
			 * comes in (unix datagram queues hold only
			 * net.unix.max_dgram_qlen datagrams) */
			struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };
			if (poll(&pfd, 1, 10) < 0 && errno != EINTR)
				die("poll");
		}
		int n = recvmmsg(fd, rxm, rxbatch, npending || busy ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNREFUSED)
				die("recvmmsg");
			n = 0;
		}
		t = now();
		for (int k = 0; k < n; k++) {
			int64_t s = -1;
			if (!(rxm[k].msg_hdr.msg_flags & MSG_TRUNC))
				s = check_reply(rxiov[k].iov_base, rxm[k].msg_len, tmpl);
			if (s < 0) {
				bad++;
				continue;
			}
			long i = s % inflight;
			if ((uint64_t)s > seq[i]) {
				bad++; /* never sent */
				continue;
			}
			if ((uint64_t)s < seq[i] || !live[i]) {
				late++;
				continue;
			}
			received++;
			if (!draining)
				in_window++;
			live[i] = 0;
			if (pingpong) {
				if (nlat == latcap && !(lat = realloc(lat, (latcap *= 2) * sizeof *lat)))
					die("realloc");
				lat[nlat++] = (t - sent_at[i]) * 1e6;
			}
			if (!draining) {
				seq[i] += inflight;
				pending[npending++] = i;
			}
		}
		/* expire datagrams that had no reply in time */
		if (t - last_scan >= 0.01 || pingpong) {
			last_scan = t;
			for (long i = 0; i < inflight && !draining; i++) {
				if (live[i] && t - sent_at[i] > timeout) {
					live[i] = 0;
					expired++;
					seq[i] += inflight;
					pending[npending++] = i;
				}
			}
		}
	}
	double elapsed = (draining ? deadline : now()) - start;
	unsigned long long lost = sent - received - late;

	printf("{\"mode\":\"%s\",\"size\":%zu,\"inflight\":%ld,\"duration_s\":%.2f,"
	       "\"sent\":%llu,\"received\":%llu,\"lost\":%llu,\"late\":%llu,\"expired\":%llu,\"bad\":%llu,"
	       "\"echoes_per_sec\":%.0f",
	       pingpong ? "pingpong" : "throughput", size, inflight, elapsed, sent, received,
	       lost, late, expired, bad, in_window / elapsed);
	if (pingpong) {
		qsort(lat, nlat, sizeof *lat, cmp_double);
		printf(",\"latency_us\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f}",
		       pct(lat, nlat, 0.50), pct(lat, nlat, 0.99), pct(lat, nlat, 0.999));
	}
	printf("}\n");
	close(fd);
	return received ? 0 : 3;
}

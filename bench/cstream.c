/*
 * cstream - a minimal load generator for TCP echo servers over many
 * connections (the client side of bench/compare_stream.sh).
 *
 * It opens CONNS connections and keeps INFLIGHT messages outstanding on
 * each (1, the default, is ping-pong per connection), on one thread with
 * epoll.  A message is SIZE ASCII bytes: the marker "SLQ", 16 hex digits of
 * sequence number, '|', then a fixed filler.  A stream has no boundaries:
 * each connection reads the echo as bytes, and every SIZE of them must be
 * exactly the next message it sent, or the run stops with exit status 4 (a
 * server that adds a prefix, as the seed's does, is not measured here).
 * Messages sent during the warm-up are not counted; the round trip of each
 * other reply is recorded, from the write to its last byte.
 *
 * Build: gcc -O2 -Wall -Wextra -o cstream cstream.c
 * Run:   cstream 127.0.0.1:9000 [-c CONNS] [-n INFLIGHT] [-s SIZE] [-d SECONDS] [-w WARMUP]
 *   -c 1 connections    -n 1 messages in flight per connection   -s 64 bytes
 *   -d 5 seconds measured, after -w 1 second of warm-up
 *
 * Output, one JSON line on stdout:
 *   {"conns":..,"inflight":..,"size":..,"elapsed_s":..,"messages":..,
 *    "msgs_per_sec":..,"latency_us":{"p50":..,"p99":..,"p999":..}}
 * Exit status 3 when no reply came back, 4 on a reply that is not the
 * message sent.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MARKLEN 20 /* "SLQ" + 16 hex + '|' */
#define MAXSAMPLES (16 << 20)

struct conn {
	int fd;
	uint64_t sent, answered; /* sequence numbers: next to send, next to be answered */
	int64_t *sent_at;        /* ring of INFLIGHT send times */
	char *rx;                /* the reply being read */
	size_t got;
	char *tx; /* the messages being written */
	size_t txoff, txlen;
};

static int inflight = 1, size = 64;
static double duration = 5, warmup = 1;
static int64_t measure_from, measure_until;
static uint64_t messages;
static uint32_t *samples;
static size_t nsamples;

static void die(const char *what) { perror(what); exit(1); }

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* fill writes message seq of one connection into buf. */
static void fill(char *buf, uint64_t seq)
{
	char head[MARKLEN + 1];
	snprintf(head, sizeof head, "SLQ%016llx|", (unsigned long long)seq);
	memcpy(buf, head, MARKLEN);
	for (int i = MARKLEN; i < size; i++)
		buf[i] = 'a' + i % 26;
}

static int dial(const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		die("socket");
	if (connect(fd, (const struct sockaddr *)sin, sizeof *sin) < 0)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	int fl = 1;
	if (ioctl(fd, FIONBIO, &fl) < 0)
		die("ioctl FIONBIO");
	return fd;
}

/* push writes what c may send: the rest of the messages under way, then
 * as many new ones as the window has room for, in one write, while the run
 * goes on. */
static void push(int ep, struct conn *c, int sending)
{
	for (;;) {
		if (c->txoff == c->txlen) {
			uint64_t room = (uint64_t)inflight - (c->sent - c->answered);
			if (!sending || room == 0)
				break;
			int64_t t = now_ns();
			c->txoff = c->txlen = 0;
			for (; room > 0; room--, c->sent++) {
				fill(c->tx + c->txlen, c->sent);
				c->sent_at[c->sent % inflight] = t;
				c->txlen += size;
			}
		}
		ssize_t n = send(c->fd, c->tx + c->txoff, c->txlen - c->txoff, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (n < 0)
			die("send");
		c->txoff += n;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* answer checks a whole reply and records its round trip. */
static void answer(struct conn *c, int64_t now)
{
	char want[MARKLEN + 1];
	snprintf(want, sizeof want, "SLQ%016llx|", (unsigned long long)c->answered);
	if (memcmp(c->rx, want, MARKLEN) != 0) {
		fprintf(stderr, "cstream: reply %llu is not the message sent: %.20s\n", (unsigned long long)c->answered, c->rx);
		exit(4);
	}
	int64_t at = c->sent_at[c->answered % inflight];
	c->answered++;
	c->got = 0;
	if (at < measure_from || now > measure_until)
		return;
	messages++;
	if (nsamples < MAXSAMPLES)
		samples[nsamples++] = (uint32_t)((now - at) / 100); /* 0.1 µs */
}

/* pull reads what c's server echoed and takes the whole replies out. */
static int pull(struct conn *c)
{
	char buf[65536];
	ssize_t n = recv(c->fd, buf, sizeof buf, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		fprintf(stderr, "cstream: the server closed a connection\n");
		exit(n == 0 ? 3 : 1);
	}
	int64_t now = now_ns();
	for (ssize_t i = 0; i < n;) {
		size_t k = (size_t)size - c->got;
		if ((size_t)(n - i) < k)
			k = n - i;
		memcpy(c->rx + c->got, buf + i, k);
		c->got += k;
		i += k;
		if (c->got == (size_t)size)
			answer(c, now);
	}
	return 1;
}

/* drain reads the replies still in flight, for up to a second, then
 * closes the connections: an orderly end (FIN), not a reset for unread
 * data. */
static void drain(int ep, struct conn *cs, int nconns)
{
	struct epoll_event evs[256];
	int64_t until = now_ns() + 1000000000;
	while (now_ns() < until) {
		int left = 0;
		for (int i = 0; i < nconns; i++)
			left += cs[i].answered < cs[i].sent;
		if (!left)
			break;
		int n = epoll_wait(ep, evs, 256, 100);
		for (int i = 0; i < n; i++)
			pull(evs[i].data.ptr);
	}
	for (int i = 0; i < nconns; i++)
		close(cs[i].fd);
}

static int cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(double p)
{
	if (!nsamples)
		return 0;
	size_t i = (size_t)(p / 100 * (nsamples - 1) + 0.5);
	return samples[i] / 10.0;
}

static void parse(int argc, char **argv, struct sockaddr_in *sin, int *conns)
{
	int o;
	while ((o = getopt(argc, argv, "c:n:s:d:w:")) != -1) {
		switch (o) {
		case 'c': *conns = atoi(optarg); break;
		case 'n': inflight = atoi(optarg); break;
		case 's': size = atoi(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		default: goto usage;
		}
	}
	char host[64];
	const char *arg = optind < argc ? argv[optind] : "", *colon = strrchr(arg, ':');
	if (!colon || (size_t)(colon - arg) >= sizeof host || *conns < 1 || inflight < 1 || size < MARKLEN || duration <= 0)
		goto usage;
	memcpy(host, arg, colon - arg);
	host[colon - arg] = 0;
	*sin = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(atoi(colon + 1))};
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1)
		return;
usage:
	fprintf(stderr, "usage: cstream ADDR:PORT [-c CONNS] [-n INFLIGHT] [-s SIZE>=%d] [-d SECONDS] [-w WARMUP]\n", MARKLEN);
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin;
	int nconns = 1;
	parse(argc, argv, &sin, &nconns);
	samples = malloc(sizeof *samples * MAXSAMPLES);
	struct conn *cs = calloc(nconns, sizeof *cs);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!samples || !cs || ep < 0)
		die("setup");
	for (int i = 0; i < nconns; i++) {
		struct conn *c = &cs[i];
		c->fd = dial(&sin);
		c->sent_at = calloc(inflight, sizeof *c->sent_at);
		c->rx = malloc(size);
		c->tx = malloc((size_t)size * inflight);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (!c->sent_at || !c->rx || !c->tx || epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
			die("setup");
	}
	int64_t start = now_ns();
	measure_from = start + (int64_t)(warmup * 1e9);
	measure_until = measure_from + (int64_t)(duration * 1e9);
	for (int i = 0; i < nconns; i++)
		push(ep, &cs[i], 1);
	struct epoll_event evs[256];
	for (int64_t now = start; now < measure_until; now = now_ns()) {
		int n = epoll_wait(ep, evs, 256, 100);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				pull(c);
			push(ep, c, 1);
		}
	}
	drain(ep, cs, nconns);
	qsort(samples, nsamples, sizeof *samples, cmp);
	printf("{\"conns\":%d,\"inflight\":%d,\"size\":%d,\"elapsed_s\":%.3f,\"messages\":%llu,\"msgs_per_sec\":%.0f,"
	       "\"latency_us\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f}}\n",
	       nconns, inflight, size, duration, (unsigned long long)messages, messages / duration, pct(50), pct(99), pct(99.9));
	return messages ? 0 : 3;
}

/*
 * cepoll - a minimal, fast TCP echo server on one thread with epoll: the
 * reference for the limit that socklab's stream server is measured against
 * (see bench/compare_stream.sh).
 *
 * Every connection is non-blocking in one epoll set (level-triggered).  A
 * readable connection is read into one shared buffer and written back at
 * once; what the peer's window does not take is kept for that connection,
 * which then waits for EPOLLOUT and is not read until it is sent (so a peer
 * that does not read costs its own buffer, not the others' service).  It
 * stops cleanly on SIGINT/SIGTERM and prints the connections and bytes it
 * echoed to stderr.
 *
 * Build: gcc -O2 -Wall -Wextra -o cepoll cepoll.c
 * Run:   cepoll 127.0.0.1:9000        (IPv4 ADDR:PORT; SO_REUSEADDR, TCP_NODELAY)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ 65536
#define MAXEV 256

/* pending is what a connection still has to send back. */
struct conn {
	int fd;
	char *pending;
	size_t len, off;
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }
static void die(const char *what) { perror(what); exit(1); }

static unsigned long long nconns, nbytes;

static int listen_on(const char *arg)
{
	char host[64];
	const char *colon = strrchr(arg, ':');
	if (!colon || (size_t)(colon - arg) >= sizeof host) {
		fprintf(stderr, "usage: cepoll ADDR:PORT\n");
		exit(2);
	}
	memcpy(host, arg, colon - arg);
	host[colon - arg] = 0;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(atoi(colon + 1))};
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		fprintf(stderr, "cepoll: %s is not an IPv4 address\n", host);
		exit(2);
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* inherited by accepted sockets */
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0)
		die("bind");
	if (listen(fd, 4096) < 0)
		die("listen");
	return fd;
}

static void drop(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->pending);
	free(c);
}

static void accept_all(int ep, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != ECONNABORTED && errno != EINTR)
				perror("accept4");
			return;
		}
		struct conn *c = calloc(1, sizeof *c);
		if (!c)
			die("calloc");
		c->fd = fd;
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			die("epoll_ctl");
		nconns++;
	}
}

/* flush sends what c has pending; it returns -1 when the peer is gone, 0
 * when something is left (c now waits for EPOLLOUT), 1 when all went. */
static int flush(int ep, struct conn *c)
{
	while (c->off < c->len) {
		ssize_t n = send(c->fd, c->pending + c->off, c->len - c->off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			return 0;
		}
		if (n < 0)
			return -1;
		c->off += n;
	}
	c->len = c->off = 0;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	return 1;
}

/* echo reads what c has and writes it back; -1 when c is done. */
static int echo(int ep, struct conn *c, char *buf)
{
	ssize_t n = recv(c->fd, buf, BUFSZ, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	nbytes += n;
	ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL);
	if (w < 0 && errno != EAGAIN && errno != EINTR)
		return -1;
	if (w < 0)
		w = 0;
	if (w < n) {
		c->pending = realloc(c->pending, n - w);
		if (!c->pending)
			die("realloc");
		memcpy(c->pending, buf + w, n - w);
		c->len = n - w;
		c->off = 0;
		return flush(ep, c) < 0 ? -1 : 0;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: cepoll ADDR:PORT\n");
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	int lfd = listen_on(argv[1]);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
	fprintf(stderr, "cepoll: listening on %s\n", argv[1]);
	static char buf[BUFSZ];
	struct epoll_event evs[MAXEV];
	while (!stop) {
		int n = epoll_wait(ep, evs, MAXEV, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (!c) {
				accept_all(ep, lfd);
				continue;
			}
			int r = (evs[i].events & EPOLLOUT) ? flush(ep, c) : echo(ep, c, buf);
			if (r < 0)
				drop(ep, c);
		}
	}
	fprintf(stderr, "cepoll: %llu connections, %llu bytes echoed\n", nconns, nbytes);
	return 0;
}

/*
 * cecho - a minimal, fast datagram echo server: the reference for the limit
 * that socklab's echo server is measured against (see bench/compare.sh).
 *
 * It reads up to BATCH datagrams per recvmmsg(2) and sends each back,
 * unchanged, to the address it came from with one sendmmsg(2).  Buffers are
 * allocated once.  It stops cleanly on SIGINT/SIGTERM and prints the number
 * of datagrams it echoed to stderr.
 *
 * Build: gcc -O2 -Wall -Wextra -o cecho cecho.c
 * Run:   cecho -4 127.0.0.1:9000       (udp4, ADDR:PORT)
 *        cecho -6 '[::1]:9000'         (udp6, [ADDR]:PORT)
 *        cecho -u /tmp/echo.sock       (unix datagram; the path is removed
 *                                       on exit, if it is still a socket)
 *        -b N  batch size (default 64, at most 1024)
 *        -P    wait in ppoll(2) on the socket and an eventfd, then read with
 *              MSG_DONTWAIT, as socklab's batch path waits, instead of
 *              blocking in recvmmsg: to tell the cost of that way of
 *              waiting from the cost of Go's (docs/benchmarks.md)
 *
 * A unix datagram sender that did not bind an address cannot be answered;
 * such datagrams are counted and dropped.  A reply that cannot be sent (the
 * peer is gone, or its queue stayed full for 1 s) is dropped as well.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define BUFSZ 65536 /* larger than any UDP datagram */

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static void die(const char *what) { perror(what); exit(1); }

static void usage(void)
{
	fprintf(stderr, "usage: cecho -4 ADDR:PORT | -6 [ADDR]:PORT | -u PATH [-b BATCH] [-P]\n");
	exit(2);
}

/* recv_polled reads a batch without blocking; when there is none it waits
 * in ppoll on the socket and efd (up to the receive timeout's 200 ms, so a
 * signal is seen) and tries once more. */
static int recv_polled(int fd, int efd, struct mmsghdr *rx, int batch)
{
	int n = recvmmsg(fd, rx, batch, MSG_DONTWAIT, NULL);
	if (n >= 0 || errno != EAGAIN)
		return n;
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = efd, .events = POLLIN } };
	struct timespec ts = { 0, 200000000 };
	if (ppoll(pfd, 2, &ts, NULL) < 0)
		return -1;
	return recvmmsg(fd, rx, batch, MSG_DONTWAIT, NULL);
}

/* parse "ADDR:PORT" (udp4) or "[ADDR]:PORT" (udp6) into *ss */
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
	if (*end || port < 0 || port > 65535)
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

int main(int argc, char **argv)
{
	struct sockaddr_storage local;
	socklen_t locallen = 0;
	const char *path = NULL;
	int family = 0, batch = 64, opt, waitpoll = 0;

	while ((opt = getopt(argc, argv, "4:6:u:b:P")) != -1) {
		switch (opt) {
		case '4': family = AF_INET; locallen = parse_inet(AF_INET, optarg, &local); break;
		case '6': family = AF_INET6; locallen = parse_inet(AF_INET6, optarg, &local); break;
		case 'u': {
			struct sockaddr_un *sun = (struct sockaddr_un *)&local;
			if (strlen(optarg) >= sizeof sun->sun_path)
				usage();
			memset(&local, 0, sizeof local);
			sun->sun_family = AF_UNIX;
			strcpy(sun->sun_path, optarg);
			family = AF_UNIX;
			path = optarg;
			locallen = sizeof *sun;
			break;
		}
		case 'b': batch = atoi(optarg); break;
		case 'P': waitpoll = 1; break;
		default: usage();
		}
	}
	if (!family || optind != argc || batch < 1 || batch > 1024)
		usage();

	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		die("sigaction");

	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&local, locallen) < 0)
		die("bind");
	/* Wake up now and then so a signal that lands between the check of
	 * `stop` and the blocking call is seen; give up on a reply to a unix
	 * peer whose queue stays full. */
	struct timeval rto = { 0, 200000 }, sto = { 1, 0 };
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rto, sizeof rto) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sto, sizeof sto))
		die("setsockopt");

	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); /* never written: the wait's shape only */
	if (efd < 0)
		die("eventfd");
	char *bufs = malloc((size_t)batch * BUFSZ);
	struct sockaddr_storage *addrs = calloc(batch, sizeof *addrs);
	struct iovec *iov = calloc(batch, sizeof *iov);
	struct mmsghdr *rx = calloc(batch, sizeof *rx), *tx = calloc(batch, sizeof *tx);
	if (!bufs || !addrs || !iov || !rx || !tx)
		die("malloc");

	unsigned long long echoed = 0, unanswerable = 0, send_errors = 0;
	while (!stop) {
		for (int i = 0; i < batch; i++) {
			iov[i] = (struct iovec){ bufs + (size_t)i * BUFSZ, BUFSZ };
			rx[i].msg_hdr = (struct msghdr){
				.msg_name = &addrs[i], .msg_namelen = sizeof addrs[i],
				.msg_iov = &iov[i], .msg_iovlen = 1,
			};
		}
		int n = waitpoll ? recv_polled(fd, efd, rx, batch)
				 : recvmmsg(fd, rx, batch, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			die("recvmmsg");
		}
		/* the replies reuse the receive buffers and source addresses */
		int m = 0;
		for (int i = 0; i < n; i++) {
			if (rx[i].msg_hdr.msg_namelen <= sizeof(sa_family_t)) {
				unanswerable++; /* unbound unix sender */
				continue;
			}
			iov[i].iov_len = rx[i].msg_len;
			tx[m++].msg_hdr = (struct msghdr){
				.msg_name = &addrs[i], .msg_namelen = rx[i].msg_hdr.msg_namelen,
				.msg_iov = &iov[i], .msg_iovlen = 1,
			};
		}
		for (int off = 0; off < m && !stop;) {
			int s = sendmmsg(fd, tx + off, m - off, 0);
			if (s > 0) {
				off += s;
				echoed += s;
			} else if (s < 0 && errno == EINTR) {
				continue;
			} else if (s < 0 && (errno == ENOMEM || errno == EBADF || errno == EFAULT ||
					     errno == ENOTSOCK || errno == EINVAL)) {
				die("sendmmsg");
			} else {
				/* this peer cannot be answered (gone, refused, queue
				 * full for too long, no buffer): drop its reply */
				off++;
				send_errors++;
			}
		}
	}

	close(fd);
	struct stat st;
	if (path && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && unlink(path) < 0)
		perror("unlink");
	fprintf(stderr, "cecho: echoed %llu datagrams, %llu unanswerable, %llu send errors\n",
		echoed, unanswerable, send_errors);
	return 0;
}

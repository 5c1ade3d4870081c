/*
 * echod: the far end of the proxy in integration tests.
 *
 *	echod [-6uv] [-a address] [-l port] [-p portfile] [-t seconds]
 *	    [echo | sink | source count [seed]]
 *
 * TCP modes: echo (the default) writes back what it reads and, once the
 * client has shut down its side, finishes echoing and closes; sink reads
 * and, on EOF, prints the byte count of that connection on standard
 * output; source sends count bytes of the pattern(1) stream and closes.
 * -u echoes UDP datagrams instead.  Connections are served concurrently
 * with poll(2).  The process exits on SIGTERM or after -t seconds
 * (default 60), so a test that forgets it cannot leave it behind for
 * long.  Only loopback addresses are accepted.
 */

#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pattern.h"
#include "tu.h"

#define ECHOD_MAXCONN	512
#define ECHOD_BUFSZ	65536

enum echod_mode {
	MODE_ECHO,
	MODE_SINK,
	MODE_SOURCE
};

struct conn {
	int		 c_fd;
	unsigned char	*c_buf;
	size_t		 c_len;		/* bytes in c_buf */
	size_t		 c_off;		/* bytes of c_buf already written */
	long long	 c_count;	/* sink: read; source: left to send */
	int		 c_eof;		/* the peer shut down its side */
	int		 c_shut;	/* we shut down ours */
	struct pattern	 c_pt;
};

static struct conn	*conns[ECHOD_MAXCONN];
static size_t		 nconns;
static enum echod_mode	 mode = MODE_ECHO;
static long long	 source_count;
static uint64_t		 source_seed;
static int		 verbose;
static volatile sig_atomic_t quit;

static void	 usage(void) __attribute__((__noreturn__));
static void	 echod_sig(int);
static void	 echod_accept(int);
static void	 conn_close(size_t);
static int	 conn_events(struct conn *);
static int	 conn_read(struct conn *);
static int	 conn_write(struct conn *);
static int	 conn_io(struct conn *, short);
static void	 echod_tcp(int, long long);
static void	 echod_udp(int, long long);

static void
usage(void)
{
	fprintf(stderr, "usage: echod [-6uv] [-a address] [-l port] "
	    "[-p portfile] [-t seconds]\n"
	    "             [echo | sink | source count [seed]]\n");
	exit(2);
}

static void
echod_sig(int sig)
{
	(void)sig;
	quit = 1;
}

static void
echod_accept(int lfd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	struct conn		*c = NULL;
	int			 fd;

	if ((fd = accept(lfd, (struct sockaddr *)&ss, &sslen)) == -1) {
		if (errno != EINTR && errno != EAGAIN &&
		    errno != ECONNABORTED)
			warn("accept");
		return;
	}
	if (tu_nonblock(fd) == -1 || (c = calloc(1, sizeof(*c))) == NULL ||
	    (c->c_buf = malloc(ECHOD_BUFSZ)) == NULL) {
		warnx("dropping connection");
		free(c);
		close(fd);
		return;
	}
	c->c_fd = fd;
	if (mode == MODE_SOURCE) {
		c->c_count = source_count;
		pattern_init(&c->c_pt, source_seed);
	}
	conns[nconns++] = c;
	if (verbose)
		fprintf(stderr, "echod: connection from %s\n",
		    tu_straddr((struct sockaddr *)&ss, sslen));
}

static void
conn_close(size_t i)
{
	struct conn	*c = conns[i];

	if (mode == MODE_SINK) {
		printf("%lld\n", c->c_count);
		fflush(stdout);
	}
	close(c->c_fd);
	free(c->c_buf);
	free(c);
	conns[i] = conns[--nconns];
}

static int
conn_events(struct conn *c)
{
	int	 ev = 0;

	if (!c->c_eof && (mode != MODE_ECHO || c->c_len == 0))
		ev |= POLLIN;
	if (c->c_off < c->c_len || (mode == MODE_SOURCE && c->c_count > 0))
		ev |= POLLOUT;
	return (ev);
}

/* Returns -1 when the connection is finished with. */
static int
conn_read(struct conn *c)
{
	unsigned char	 scratch[ECHOD_BUFSZ];
	unsigned char	*p = mode == MODE_ECHO ? c->c_buf : scratch;
	ssize_t		 n;

	n = read(c->c_fd, p, ECHOD_BUFSZ);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return (0);
		if (verbose)
			warn("read");
		return (-1);
	}
	if (n == 0) {
		c->c_eof = 1;
		return (0);
	}
	if (mode == MODE_ECHO) {
		c->c_len = n;
		c->c_off = 0;
	} else if (mode == MODE_SINK)
		c->c_count += n;
	return (0);
}

static int
conn_write(struct conn *c)
{
	size_t	 len;
	ssize_t	 n;

	if (c->c_off == c->c_len && mode == MODE_SOURCE && c->c_count > 0) {
		len = c->c_count < ECHOD_BUFSZ ? (size_t)c->c_count :
		    ECHOD_BUFSZ;
		pattern_fill(&c->c_pt, c->c_buf, len);
		c->c_len = len;
		c->c_off = 0;
		c->c_count -= len;
	}
	n = write(c->c_fd, c->c_buf + c->c_off, c->c_len - c->c_off);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return (0);
		if (verbose)
			warn("write");
		return (-1);
	}
	c->c_off += n;
	if (c->c_off == c->c_len)
		c->c_off = c->c_len = 0;
	return (0);
}

/*
 * One round of I/O.  Once everything owed to the peer is written and
 * the peer has shut down (echo, sink) or we have sent all (source), we
 * shut down our side; the descriptor is closed only after the peer's
 * EOF so that unread bytes never turn the close into a reset that
 * could destroy data still in flight to the peer.
 */
static int
conn_io(struct conn *c, short revents)
{
	int	 owed;

	if ((revents & (POLLIN | POLLHUP | POLLERR)) && !c->c_eof &&
	    conn_read(c) == -1)
		return (-1);
	if ((revents & (POLLOUT | POLLERR)) && conn_write(c) == -1)
		return (-1);
	owed = c->c_off < c->c_len ||
	    (mode == MODE_SOURCE && c->c_count > 0);
	if (!owed && !c->c_shut && (c->c_eof || mode == MODE_SOURCE)) {
		shutdown(c->c_fd, SHUT_WR);
		c->c_shut = 1;
	}
	if (c->c_eof && c->c_shut)
		return (-1);
	return (0);
}

static void
echod_tcp(int lfd, long long deadline)
{
	struct pollfd	 pfd[ECHOD_MAXCONN + 1];
	size_t		 i, n;
	int		 timeout;

	while (!quit && (timeout = tu_timeleft(deadline)) > 0) {
		pfd[0].fd = nconns < ECHOD_MAXCONN ? lfd : -1;
		pfd[0].events = POLLIN;
		for (i = 0; i < nconns; i++) {
			pfd[i + 1].fd = conns[i]->c_fd;
			pfd[i + 1].events = conn_events(conns[i]);
			pfd[i + 1].revents = 0;
		}
		n = nconns;
		if (poll(pfd, n + 1, timeout < 1000 ? timeout : 1000) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		/* Walk backwards: conn_close() moves the last one to i. */
		for (i = n; i > 0; i--) {
			if (pfd[i].revents != 0 &&
			    conn_io(conns[i - 1], pfd[i].revents) == -1)
				conn_close(i - 1);
		}
		if (pfd[0].revents & POLLIN)
			echod_accept(lfd);
	}
	while (nconns > 0)
		conn_close(nconns - 1);
}

static void
echod_udp(int fd, long long deadline)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct pollfd		 pfd;
	unsigned char		 buf[65536];
	ssize_t			 n;
	int			 timeout;

	while (!quit && (timeout = tu_timeleft(deadline)) > 0) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, timeout < 1000 ? timeout : 1000) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if ((pfd.revents & POLLIN) == 0)
			continue;
		sslen = sizeof(ss);
		n = recvfrom(fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&ss, &sslen);
		if (n == -1) {
			if (errno != EINTR && errno != EAGAIN)
				warn("recvfrom");
			continue;
		}
		if (verbose)
			fprintf(stderr, "echod: %zd bytes from %s\n", n,
			    tu_straddr((struct sockaddr *)&ss, sslen));
		if (sendto(fd, buf, n, 0, (struct sockaddr *)&ss, sslen) == -1)
			warn("sendto");
	}
}

int
main(int argc, char *argv[])
{
	const char	*addr = "127.0.0.1", *port = "0", *portfile = NULL;
	const char	*errstr;
	int		 ch, fd, udp = 0, bound, limit = 60;

	while ((ch = getopt(argc, argv, "6a:l:p:t:uv")) != -1) {
		switch (ch) {
		case '6':
			addr = "::1";
			break;
		case 'a':
			addr = optarg;
			break;
		case 'l':
			port = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		case 't':
			limit = strtonum(optarg, 1, 3600, &errstr);
			if (errstr != NULL)
				errx(2, "seconds %s: %s", optarg, errstr);
			break;
		case 'u':
			udp = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && strcmp(argv[0], "echo") == 0 && argc == 1)
		mode = MODE_ECHO;
	else if (argc > 0 && strcmp(argv[0], "sink") == 0 && argc == 1)
		mode = MODE_SINK;
	else if (argc > 1 && strcmp(argv[0], "source") == 0 && argc <= 3) {
		mode = MODE_SOURCE;
		source_count = strtonum(argv[1], 0, LLONG_MAX, &errstr);
		if (errstr != NULL)
			errx(2, "count %s: %s", argv[1], errstr);
		if (argc == 3) {
			source_seed = strtonum(argv[2], 0, LLONG_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "seed %s: %s", argv[2], errstr);
		}
	} else if (argc != 0)
		usage();
	if (udp && mode != MODE_ECHO)
		errx(2, "-u only echoes");

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, echod_sig);
	signal(SIGINT, echod_sig);

	fd = tu_listen(addr, port, udp ? SOCK_DGRAM : SOCK_STREAM, &bound);
	if (fd == -1)
		return (1);
	if (tu_nonblock(fd) == -1)
		return (1);
	if (portfile != NULL && tu_writeport(portfile, bound) == -1)
		return (1);
	if (verbose)
		fprintf(stderr, "echod: listening on %s port %d\n", addr,
		    bound);

	if (udp)
		echod_udp(fd, tu_now_ms() + limit * 1000LL);
	else
		echod_tcp(fd, tu_now_ms() + limit * 1000LL);
	close(fd);
	return (0);
}

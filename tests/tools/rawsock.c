/*
 * rawsock: a scripted TCP client for hostile-input tests.
 *
 *	rawsock [-d delay-ms] [-t seconds] host port [step ...]
 *
 * Connects to a loopback host:port and runs the steps in order:
 *
 *	send HEX		write the bytes (spaces between them are fine)
 *	sendslow HEX		one byte per write, delay-ms (10) apart
 *	sendfill N HEXBYTE	write N copies of one byte
 *	expect HEX		read exactly these bytes
 *	expecteof		the peer closes (EOF or reset) and sends nothing
 *	expectclose-or HEX	the peer closes at once, or sends exactly
 *				these bytes and then closes
 *	read N			read N bytes and print them in hex
 *	expectpattern N SEED	read N bytes of the pattern(1) stream
 *	echopattern N SEED	send N bytes of the stream while reading
 *				them back, as from an echo server
 *	skip N			read and discard N bytes
 *	shut			shut down our writing side
 *	sleep MS		pause
 *
 * N takes a K or M suffix.  Each step that waits for the peer gives up
 * after -t seconds (5) without progress.  A
 * send cut short because the peer closed is acceptable only if an
 * expecteof or expectclose-or step follows.  Exit 0 only if every step
 * passed; 1 with a message naming the step and what was read otherwise;
 * 2 for a bad script.  With no steps, it only checks that the port
 * accepts connections.
 */

#include <sys/socket.h>

#include <ctype.h>
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

#define RS_SHOWMAX	64

enum rs_kind {
	RS_SEND,
	RS_SENDSLOW,
	RS_SENDFILL,
	RS_EXPECT,
	RS_EXPECTEOF,
	RS_EXPECTCLOSEOR,
	RS_EXPECTPATTERN,
	RS_ECHOPATTERN,
	RS_READ,
	RS_SKIP,
	RS_SHUT,
	RS_SLEEP
};

struct rs_keyword {
	const char	*k_name;
	enum rs_kind	 k_kind;
	int		 k_nargs;
};

static const struct rs_keyword rs_keywords[] = {
	{ "echopattern",	RS_ECHOPATTERN,		2 },
	{ "expect",		RS_EXPECT,		1 },
	{ "expectclose-or",	RS_EXPECTCLOSEOR,	1 },
	{ "expecteof",		RS_EXPECTEOF,		0 },
	{ "expectpattern",	RS_EXPECTPATTERN,	2 },
	{ "read",		RS_READ,		1 },
	{ "send",		RS_SEND,		1 },
	{ "sendfill",		RS_SENDFILL,		2 },
	{ "sendslow",		RS_SENDSLOW,		1 },
	{ "shut",		RS_SHUT,		0 },
	{ "skip",		RS_SKIP,		1 },
	{ "sleep",		RS_SLEEP,		1 },
};

struct rs_step {
	enum rs_kind	 s_kind;
	const char	*s_name;
	unsigned char	*s_data;
	size_t		 s_len;		/* data length, N or milliseconds */
	uint64_t	 s_seed;
};

static int		 rs_timeout = 5000;	/* ms per step */
static int		 rs_delay = 10;		/* ms between slow bytes */
static int		 rs_closed;		/* the peer is gone */
static int		 rs_cutshort;		/* a send met the close */

static void	 usage(void) __attribute__((__noreturn__));
static int	 rs_hexval(int);
static int	 rs_hex(const char *, unsigned char **, size_t *);
static size_t	 rs_number(const char *, long long);
static int	 rs_parse(int, char **, struct rs_step **, size_t *);
static void	 rs_free(struct rs_step *, size_t);
static int	 rs_connect(const char *, const char *);
static void	 rs_show(FILE *, const char *, const unsigned char *,
		    size_t);
static int	 rs_send(int, const unsigned char *, size_t, int);
static int	 rs_recv(int, unsigned char *, size_t, size_t *);
static int	 rs_expect(int, struct rs_step *);
static int	 rs_expecteof(int);
static int	 rs_closeor(int, struct rs_step *);
static int	 rs_read(int, struct rs_step *);
static int	 rs_pattern(int, struct rs_step *);
static int	 rs_run(int, struct rs_step *);
static int	 rs_script(int, struct rs_step *, size_t);

static void
usage(void)
{
	fprintf(stderr, "usage: rawsock [-d delay-ms] [-t seconds] host port "
	    "[step ...]\n");
	exit(2);
}

static int
rs_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* Parse "05 01 00" or "050100" into a new buffer. */
static int
rs_hex(const char *s, unsigned char **data, size_t *len)
{
	unsigned char	*p;
	int		 hi = -1, v;

	if ((p = malloc(strlen(s) / 2 + 1)) == NULL)
		err(1, NULL);
	*data = p;
	*len = 0;
	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s) || *s == ':') {
			if (hi != -1)
				break;
			continue;
		}
		if ((v = rs_hexval((unsigned char)*s)) == -1)
			break;
		if (hi == -1)
			hi = v;
		else {
			p[(*len)++] = hi << 4 | v;
			hi = -1;
		}
	}
	if (*s != '\0' || hi != -1)
		return (-1);
	return (0);
}

/* A count, with an optional K or M suffix (powers of 1024). */
static size_t
rs_number(const char *s, long long max)
{
	char		 buf[32];
	const char	*errstr;
	long long	 n, mult = 1;
	size_t		 len;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		errx(2, "number too long: %s", s);
	len = strlen(buf);
	if (len > 1 && (buf[len - 1] == 'K' || buf[len - 1] == 'k'))
		mult = 1024;
	else if (len > 1 && (buf[len - 1] == 'M' || buf[len - 1] == 'm'))
		mult = 1024 * 1024;
	if (mult != 1)
		buf[len - 1] = '\0';
	n = strtonum(buf, 0, max / mult, &errstr);
	if (errstr != NULL)
		errx(2, "number %s: %s", s, errstr);
	return ((size_t)(n * mult));
}

static int
rs_parse(int argc, char **argv, struct rs_step **stepsp, size_t *nstepsp)
{
	struct rs_step	*steps, *s;
	size_t		 nsteps = 0, k, nkw, one;
	int		 i = 0;

	nkw = sizeof(rs_keywords) / sizeof(rs_keywords[0]);
	if ((steps = calloc(argc + 1, sizeof(*steps))) == NULL)
		err(1, NULL);
	while (i < argc) {
		for (k = 0; k < nkw; k++)
			if (strcmp(argv[i], rs_keywords[k].k_name) == 0)
				break;
		if (k == nkw)
			errx(2, "unknown step: %s", argv[i]);
		if (i + rs_keywords[k].k_nargs >= argc)
			errx(2, "%s: missing argument", argv[i]);
		s = &steps[nsteps++];
		s->s_kind = rs_keywords[k].k_kind;
		s->s_name = argv[i];
		switch (s->s_kind) {
		case RS_SEND:
		case RS_SENDSLOW:
		case RS_EXPECT:
		case RS_EXPECTCLOSEOR:
			if (rs_hex(argv[i + 1], &s->s_data, &s->s_len) == -1)
				errx(2, "%s: bad hex: %s", argv[i],
				    argv[i + 1]);
			break;
		case RS_SENDFILL:
			s->s_len = rs_number(argv[i + 1], 64 * 1024 * 1024);
			if (rs_hex(argv[i + 2], &s->s_data, &one) == -1 ||
			    one != 1)
				errx(2, "sendfill: want one hex byte: %s",
				    argv[i + 2]);
			break;
		case RS_READ:
		case RS_SKIP:
			s->s_len = rs_number(argv[i + 1], 64 * 1024 * 1024);
			break;
		case RS_EXPECTPATTERN:
		case RS_ECHOPATTERN:
			s->s_len = rs_number(argv[i + 1], 1LL << 40);
			s->s_seed = rs_number(argv[i + 2], LLONG_MAX);
			break;
		case RS_SLEEP:
			s->s_len = rs_number(argv[i + 1], 60000);
			break;
		default:
			break;
		}
		i += 1 + rs_keywords[k].k_nargs;
	}
	*stepsp = steps;
	*nstepsp = nsteps;
	return (0);
}

/* What rs_parse() allocated: freed before exit for the leak check. */
static void
rs_free(struct rs_step *steps, size_t nsteps)
{
	size_t	 i;

	for (i = 0; i < nsteps; i++)
		free(steps[i].s_data);
	free(steps);
}

static int
rs_connect(const char *host, const char *port)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct pollfd		 pfd;
	int			 fd, error = 0;
	socklen_t		 errlen = sizeof(error);

	if (tu_loopback(host, port, &ss, &sslen) == -1)
		exit(2);
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (tu_nonblock(fd) == -1)
		exit(1);
	if (connect(fd, (struct sockaddr *)&ss, sslen) == -1) {
		if (errno != EINPROGRESS)
			err(1, "connect %s port %s", host, port);
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, rs_timeout) <= 0)
			errx(1, "connect %s port %s: timed out", host, port);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error,
		    &errlen) == -1)
			err(1, "getsockopt");
		if (error != 0) {
			errno = error;
			err(1, "connect %s port %s", host, port);
		}
	}
	return (fd);
}

static void
rs_show(FILE *fp, const char *what, const unsigned char *p, size_t len)
{
	size_t	 i;

	fprintf(fp, "%s (%zu byte%s):", what, len, len == 1 ? "" : "s");
	for (i = 0; i < len && i < RS_SHOWMAX; i++)
		fprintf(fp, " %02x", p[i]);
	fprintf(fp, "%s\n", len > RS_SHOWMAX ? " ..." : "");
}

/*
 * Write len bytes, one per write with a pause if slow.  A peer that
 * closed is noted rather than failed here; see rs_cutshort.
 */
static int
rs_send(int fd, const unsigned char *p, size_t len, int slow)
{
	struct pollfd	 pfd;
	size_t		 off = 0;
	ssize_t		 n;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	while (off < len) {
		if (poll(&pfd, 1, rs_timeout) == 0) {
			warnx("send timed out after %zu of %zu bytes", off,
			    len);
			return (-1);
		}
		n = write(fd, p + off, slow ? 1 : len - off);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == EPIPE || errno == ECONNRESET) {
				fprintf(stderr, "rawsock: peer closed after "
				    "%zu of %zu bytes were sent\n", off, len);
				rs_closed = rs_cutshort = 1;
				return (0);
			}
			warn("write");
			return (-1);
		}
		off += n;
		if (slow && off < len)
			(void)poll(NULL, 0, rs_delay);
	}
	return (0);
}

/*
 * Read up to want bytes within the step's time limit.  Returns 1 on a
 * full read, 0 if the peer closed first (rs_closed set), -1 on timeout
 * or error; *got says how much arrived either way.
 */
static int
rs_recv(int fd, unsigned char *buf, size_t want, size_t *got)
{
	return (tu_readn(fd, buf, want, got, rs_timeout, &rs_closed));
}

static int
rs_expect(int fd, struct rs_step *s)
{
	unsigned char	*buf;
	size_t		 got;
	int		 r;

	if ((buf = malloc(s->s_len + 1)) == NULL)
		err(1, NULL);
	r = rs_recv(fd, buf, s->s_len, &got);
	if (r == 1 && memcmp(buf, s->s_data, s->s_len) == 0) {
		free(buf);
		return (0);
	}
	rs_show(stderr, "rawsock: wanted", s->s_data, s->s_len);
	rs_show(stderr, r == 0 ? "rawsock: got, then the peer closed" :
	    r == -1 ? "rawsock: got, then timed out" :
	    "rawsock: got", buf, got);
	free(buf);
	return (-1);
}

static int
rs_expecteof(int fd)
{
	unsigned char	 buf[RS_SHOWMAX];
	size_t		 got;
	int		 r;

	if (rs_closed) {
		rs_cutshort = 0;
		return (0);
	}
	r = rs_recv(fd, buf, sizeof(buf), &got);
	if (r == 0 && got == 0) {
		rs_cutshort = 0;
		return (0);
	}
	if (got == 0)
		fprintf(stderr, "rawsock: the peer did not close within "
		    "%d ms\n", rs_timeout);
	else
		rs_show(stderr, "rawsock: wanted EOF, got", buf, got);
	return (-1);
}

static int
rs_closeor(int fd, struct rs_step *s)
{
	unsigned char	*buf;
	size_t		 got;
	int		 r;

	if (rs_closed || s->s_len == 0)
		return (rs_expecteof(fd));
	if ((buf = malloc(s->s_len)) == NULL)
		err(1, NULL);
	/* The first byte decides between the two outcomes. */
	r = rs_recv(fd, buf, 1, &got);
	if (r == 0) {
		free(buf);
		rs_cutshort = 0;
		return (0);
	}
	if (r == 1 && s->s_len > 1) {
		r = rs_recv(fd, buf + 1, s->s_len - 1, &got);
		got++;
	}
	if (r == 1 && memcmp(buf, s->s_data, s->s_len) == 0) {
		free(buf);
		return (rs_expecteof(fd));
	}
	rs_show(stderr, "rawsock: wanted close or", s->s_data, s->s_len);
	if (r == -1 && got == 0)
		fprintf(stderr, "rawsock: neither data nor close within "
		    "%d ms\n", rs_timeout);
	else
		rs_show(stderr, r == 0 ? "rawsock: got, then the peer closed" :
		    r == -1 ? "rawsock: got, then timed out" : "rawsock: got",
		    buf, got);
	free(buf);
	return (-1);
}

static int
rs_read(int fd, struct rs_step *s)
{
	unsigned char	*buf;
	size_t		 got, i;
	int		 r;

	if ((buf = malloc(s->s_len + 1)) == NULL)
		err(1, NULL);
	r = rs_recv(fd, buf, s->s_len, &got);
	if (r != 1) {
		rs_show(stderr, r == 0 ? "rawsock: short read, then the peer "
		    "closed" : "rawsock: short read, then timed out", buf, got);
		free(buf);
		return (-1);
	}
	if (s->s_kind == RS_READ) {
		for (i = 0; i < got; i++)
			printf("%s%02x", i == 0 ? "" : " ", buf[i]);
		printf("\n");
		fflush(stdout);
	}
	free(buf);
	return (0);
}

/*
 * Stream the pattern: read (and, for echopattern, write) until N bytes
 * came back, checking each byte.  The time limit is for idleness, not
 * the whole transfer, so that big transfers on a slow machine pass.
 */
static int
rs_pattern(int fd, struct rs_step *s)
{
	unsigned char	 out[16384], in[16384];
	struct pattern	 tx, rx;
	struct pollfd	 pfd;
	size_t		 sent, rcvd = 0, outlen = 0, outoff = 0, i;
	ssize_t		 n;
	unsigned char	 want;

	sent = s->s_kind == RS_ECHOPATTERN ? 0 : s->s_len;
	pattern_init(&tx, s->s_seed);
	pattern_init(&rx, s->s_seed);
	pfd.fd = fd;
	while (rcvd < s->s_len) {
		if (outoff == outlen && sent < s->s_len) {
			outlen = s->s_len - sent < sizeof(out) ?
			    s->s_len - sent : sizeof(out);
			pattern_fill(&tx, out, outlen);
			outoff = 0;
		}
		pfd.events = POLLIN | (outoff < outlen ? POLLOUT : 0);
		if (poll(&pfd, 1, rs_timeout) == 0) {
			fprintf(stderr, "rawsock: stalled after %zu bytes "
			    "sent, %zu of %zu received\n", sent, rcvd,
			    s->s_len);
			return (-1);
		}
		if ((pfd.revents & POLLOUT) && outoff < outlen) {
			n = write(fd, out + outoff, outlen - outoff);
			if (n == -1 && errno != EINTR && errno != EAGAIN) {
				warn("write after %zu bytes", sent);
				return (-1);
			}
			if (n > 0) {
				outoff += n;
				sent += n;
			}
		}
		if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;
		/* Never read past N: later steps own what follows. */
		n = read(fd, in, s->s_len - rcvd < sizeof(in) ?
		    s->s_len - rcvd : sizeof(in));
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			fprintf(stderr, "rawsock: %s after %zu of %zu bytes\n",
			    n == 0 ? "EOF" : strerror(errno), rcvd, s->s_len);
			rs_closed = 1;
			return (-1);
		}
		for (i = 0; i < (size_t)n; i++, rcvd++) {
			want = pattern_byte(&rx);
			if (in[i] != want) {
				fprintf(stderr, "rawsock: pattern differs at "
				    "offset %zu\n", rcvd);
				return (-1);
			}
		}
	}
	return (0);
}

static int
rs_run(int fd, struct rs_step *s)
{
	unsigned char	*buf;
	int		 r;

	if (rs_closed && s->s_kind != RS_EXPECTEOF &&
	    s->s_kind != RS_EXPECTCLOSEOR && s->s_kind != RS_SLEEP) {
		fprintf(stderr, "rawsock: the peer had already closed\n");
		return (-1);
	}
	switch (s->s_kind) {
	case RS_SEND:
	case RS_SENDSLOW:
		return (rs_send(fd, s->s_data, s->s_len,
		    s->s_kind == RS_SENDSLOW));
	case RS_SENDFILL:
		if ((buf = malloc(s->s_len + 1)) == NULL)
			err(1, NULL);
		memset(buf, s->s_data[0], s->s_len);
		r = rs_send(fd, buf, s->s_len, 0);
		free(buf);
		return (r);
	case RS_EXPECT:
		return (rs_expect(fd, s));
	case RS_EXPECTEOF:
		return (rs_expecteof(fd));
	case RS_EXPECTCLOSEOR:
		return (rs_closeor(fd, s));
	case RS_READ:
	case RS_SKIP:
		return (rs_read(fd, s));
	case RS_EXPECTPATTERN:
	case RS_ECHOPATTERN:
		return (rs_pattern(fd, s));
	case RS_SHUT:
		if (shutdown(fd, SHUT_WR) == -1) {
			warn("shutdown");
			return (-1);
		}
		return (0);
	case RS_SLEEP:
		(void)poll(NULL, 0, (int)s->s_len);
		return (0);
	}
	return (-1);
}

/* Run the steps in order; the exit status. */
static int
rs_script(int fd, struct rs_step *steps, size_t nsteps)
{
	size_t	 i;

	for (i = 0; i < nsteps; i++) {
		if (rs_cutshort && steps[i].s_kind != RS_EXPECTEOF &&
		    steps[i].s_kind != RS_EXPECTCLOSEOR &&
		    steps[i].s_kind != RS_SLEEP) {
			fprintf(stderr, "rawsock: step %zu (%s): the peer "
			    "closed during an earlier send\n", i + 1,
			    steps[i].s_name);
			return (1);
		}
		if (rs_run(fd, &steps[i]) == -1) {
			fprintf(stderr, "rawsock: step %zu (%s) failed\n",
			    i + 1, steps[i].s_name);
			return (1);
		}
	}
	if (rs_cutshort) {
		fprintf(stderr, "rawsock: the peer closed during a send and "
		    "no expecteof followed\n");
		return (1);
	}
	return (0);
}

int
main(int argc, char *argv[])
{
	struct rs_step	*steps;
	const char	*errstr;
	size_t		 nsteps;
	int		 ch, fd, r;

	while ((ch = getopt(argc, argv, "d:t:")) != -1) {
		switch (ch) {
		case 'd':
			rs_delay = strtonum(optarg, 0, 10000, &errstr);
			if (errstr != NULL)
				errx(2, "delay %s: %s", optarg, errstr);
			break;
		case 't':
			rs_timeout = strtonum(optarg, 1, 600, &errstr) * 1000;
			if (errstr != NULL)
				errx(2, "seconds %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	rs_parse(argc - 2, argv + 2, &steps, &nsteps);

	signal(SIGPIPE, SIG_IGN);
	fd = rs_connect(argv[0], argv[1]);
	r = rs_script(fd, steps, nsteps);
	close(fd);
	rs_free(steps, nsteps);
	return (r);
}

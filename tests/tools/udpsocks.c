/*
 * udpsocks: UDP through a plain SOCKS 5 server, odd datagrams, and the
 * peer of a BIND, for the BIND and UDP ASSOCIATE integration tests.
 *
 *	udpsocks assoc [-z] [-t seconds] host port [step ...]
 *	udpsocks send [-s source-port] host port hex | -n size
 *	udpsocks peer [-t seconds] host port
 *
 * assoc connects to the SOCKS 5 server at host:port with method none
 * (sockd with socksmethod none, or gsocks bridge), opens a UDP socket on
 * the loopback address of the same family, asks for UDP ASSOCIATE naming
 * that socket's port (-z: all zeros, so that the server takes the first
 * port it sees), prints "relay ADDRESS:PORT" from the reply and "local
 * ADDRESS:PORT", then runs the steps in order:
 *
 *	echo A:P N SIZE	N datagrams of SIZE bytes of the pattern(1)
 *			stream through the relay to A:P, one at a time;
 *			each must come back whole, its header naming A:P
 *	send A:P SIZE	one datagram through the relay, no answer awaited
 *	stranger A:P SIZE
 *			the same from another UDP socket, which the relay
 *			must ignore: nothing may come back to it
 *	raw HEX		these bytes as one datagram to the relay, as they
 *			are (no UDP request header)
 *	quiet MS	no datagram comes for MS milliseconds
 *	wait FILE	until FILE exists, so that a test acts meanwhile
 *	sleep MS	pause
 *	close		close the control connection
 *	expectclose	the server closes the control connection
 *
 * A is an IPv4 address, an [IPv6 address] or a name (sent for the relay
 * to resolve; the answer must then come from a loopback address).  SIZE
 * and N take a K suffix.
 *
 * send sends one datagram from a new socket; with -s (root only) its
 * source port is forged through a raw IPv4 socket, as if another
 * program's socket had sent it.  The datagram is the bytes of hex, or
 * size bytes of the pattern stream.
 *
 * peer connects to host:port, prints "local ADDRESS:PORT" and echoes
 * what it reads until the other side shuts down its writing side, then
 * shuts down its own and exits.
 *
 * Every address must be loopback.  A step that waits gives up after -t
 * seconds (5).  Exit 0 only if every step passed; 1 with a message
 * naming the step otherwise; 2 for a bad command line.
 */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

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

#define US_DGRAMMAX	65536
#define US_HDRMAX	(4 + 1 + 255 + 2)
#define US_SHOWMAX	32
#define US_SEED		1961

struct us_target {
	unsigned char	 t_hdr[US_HDRMAX];	/* UDP request header */
	size_t		 t_hdrlen;
	int		 t_named;		/* A is a name */
	int		 t_port;
};

static int		 us_timeout = 5000;	/* ms per waiting step */
static uint64_t		 us_seq;		/* datagrams sent so far */
static unsigned char	 us_out[US_DGRAMMAX];
static unsigned char	 us_in[US_DGRAMMAX];

static void	 usage(void) __attribute__((__noreturn__));
static size_t	 us_number(const char *, long long);
static int	 us_hex(const char *, unsigned char *, size_t);
static void	 us_target(const char *, struct us_target *);
static int	 us_tcp(const char *, const char *, struct sockaddr_storage *);
static int	 us_readn(int, unsigned char *, size_t);
static void	 us_show(const char *, const unsigned char *, size_t);

static void
usage(void)
{
	fprintf(stderr,
	    "usage: udpsocks assoc [-z] [-t seconds] host port [step ...]\n"
	    "       udpsocks send [-s source-port] host port hex | -n size\n"
	    "       udpsocks peer [-t seconds] host port\n");
	exit(2);
}

static size_t
us_number(const char *s, long long max)
{
	char		 buf[32];
	const char	*errstr;
	size_t		 len, mult = 1;
	long long	 n;

	len = strlen(s);
	if (len == 0 || len >= sizeof(buf))
		errx(2, "bad number %s", s);
	memcpy(buf, s, len + 1);
	if (buf[len - 1] == 'K' || buf[len - 1] == 'k') {
		mult = 1024;
		buf[len - 1] = '\0';
	}
	n = strtonum(buf, 0, max / mult, &errstr);
	if (errstr != NULL)
		errx(2, "number %s: %s", s, errstr);
	return ((size_t)n * mult);
}

/* "05 01 00" or "050100" into buf; the length, or -1. */
static int
us_hex(const char *s, unsigned char *buf, size_t size)
{
	size_t	 n = 0;
	int	 hi = -1, v;

	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s))
			continue;
		if (!isxdigit((unsigned char)*s))
			return (-1);
		v = isdigit((unsigned char)*s) ? *s - '0' :
		    tolower((unsigned char)*s) - 'a' + 10;
		if (hi == -1) {
			hi = v;
			continue;
		}
		if (n == size)
			return (-1);
		buf[n++] = (hi << 4) | v;
		hi = -1;
	}
	return (hi == -1 ? (int)n : -1);
}

static void
us_show(const char *what, const unsigned char *p, size_t len)
{
	size_t	 i;

	fprintf(stderr, "udpsocks: %s (%zu bytes):", what, len);
	for (i = 0; i < len && i < US_SHOWMAX; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "%s\n", len > US_SHOWMAX ? " ..." : "");
}

/* A:P, [A6]:P or NAME:P into the UDP request header for it. */
static void
us_target(const char *arg, struct us_target *t)
{
	char		 host[256];
	const char	*colon, *h = arg;
	size_t		 len;
	unsigned char	*p = t->t_hdr;

	memset(t, 0, sizeof(*t));
	if ((colon = strrchr(arg, ':')) == NULL)
		errx(2, "%s: expected host:port", arg);
	len = colon - arg;
	if (arg[0] == '[' && len >= 2 && arg[len - 1] == ']') {
		h++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(host))
		errx(2, "%s: bad host", arg);
	memcpy(host, h, len);
	host[len] = '\0';
	if ((t->t_port = tu_port(colon + 1)) <= 0)
		errx(2, "%s: bad port", arg);
	p[0] = p[1] = p[2] = 0;
	if (inet_pton(AF_INET, host, p + 4) == 1) {
		p[3] = 1;
		t->t_hdrlen = 4 + 4;
	} else if (inet_pton(AF_INET6, host, p + 4) == 1) {
		p[3] = 4;
		t->t_hdrlen = 4 + 16;
	} else {
		p[3] = 3;
		p[4] = len;
		memcpy(p + 5, host, len);
		t->t_hdrlen = 5 + len;
		t->t_named = 1;
	}
	p[t->t_hdrlen] = t->t_port >> 8;
	p[t->t_hdrlen + 1] = t->t_port & 0xff;
	t->t_hdrlen += 2;
}

/* A TCP connection to a loopback host:port; *local is our end. */
static int
us_tcp(const char *host, const char *port, struct sockaddr_storage *local)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd;

	if (tu_loopback(host, port, &ss, &len) == -1)
		exit(2);
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&ss, len) == -1)
		err(1, "connect %s port %s", host, port);
	len = sizeof(*local);
	if (getsockname(fd, (struct sockaddr *)local, &len) == -1)
		err(1, "getsockname");
	return (fd);
}

/* Exactly len bytes, each wait bounded: 1, 0 on EOF, -1 on timeout. */
static int
us_readn(int fd, unsigned char *buf, size_t len)
{
	struct pollfd	 pfd;
	size_t		 got = 0;
	ssize_t		 n;

	while (got < len) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, us_timeout) <= 0)
			return (-1);
		if ((n = read(fd, buf + got, len - got)) == -1) {
			if (errno == EINTR)
				continue;
			return (0);
		}
		if (n == 0)
			return (0);
		got += n;
	}
	return (1);
}

/*
 * The association: its control connection, our UDP socket and a second
 * one for "stranger", and where the relay is.
 */
struct us_assoc {
	int			 a_tcp;
	int			 a_udp;
	int			 a_other;
	struct sockaddr_storage	 a_relay;
	socklen_t		 a_relaylen;
};

/* The reply's BND: ATYP ADDR PORT, read off the connection. */
static void
us_reply_addr(struct us_assoc *a, const unsigned char *hdr)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a->a_relay;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&a->a_relay;
	unsigned char		 buf[18];

	memset(&a->a_relay, 0, sizeof(a->a_relay));
	if (hdr[3] == 1) {
		if (us_readn(a->a_tcp, buf, 6) != 1)
			errx(1, "short UDP ASSOCIATE reply");
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, buf, 4);
		memcpy(&sin->sin_port, buf + 4, 2);
		a->a_relaylen = sizeof(*sin);
	} else if (hdr[3] == 4) {
		if (us_readn(a->a_tcp, buf, 18) != 1)
			errx(1, "short UDP ASSOCIATE reply");
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, buf, 16);
		memcpy(&sin6->sin6_port, buf + 16, 2);
		a->a_relaylen = sizeof(*sin6);
	} else
		errx(1, "UDP ASSOCIATE reply with address type %02x", hdr[3]);
}

static void
us_assoc_open(struct us_assoc *a, const char *host, const char *port,
    int zeros)
{
	struct sockaddr_storage	 local, ss;
	socklen_t		 len;
	unsigned char		 req[4 + 16 + 2], hdr[4];
	size_t			 reqlen;
	in_port_t		 uport;

	a->a_tcp = us_tcp(host, port, &local);
	ss = local;
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	len = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	if ((a->a_udp = socket(ss.ss_family, SOCK_DGRAM, 0)) == -1 ||
	    (a->a_other = socket(ss.ss_family, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (bind(a->a_udp, (struct sockaddr *)&ss, len) == -1 ||
	    bind(a->a_other, (struct sockaddr *)&ss, len) == -1)
		err(1, "bind");
	len = sizeof(ss);
	if (getsockname(a->a_udp, (struct sockaddr *)&ss, &len) == -1)
		err(1, "getsockname");
	uport = ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port;

	if (write(a->a_tcp, "\x05\x01\x00", 3) != 3)
		err(1, "write");
	if (us_readn(a->a_tcp, hdr, 2) != 1 || hdr[0] != 5 || hdr[1] != 0)
		errx(1, "the server did not take method none");
	memset(req, 0, sizeof(req));
	req[0] = 5;
	req[1] = 3;
	req[3] = ss.ss_family == AF_INET ? 1 : 4;
	reqlen = 4 + (ss.ss_family == AF_INET ? 4 : 16);
	if (!zeros)
		memcpy(req + reqlen, &uport, 2);
	reqlen += 2;
	if (write(a->a_tcp, req, reqlen) != (ssize_t)reqlen)
		err(1, "write");
	if (us_readn(a->a_tcp, hdr, 4) != 1)
		errx(1, "no reply to UDP ASSOCIATE");
	if (hdr[0] != 5 || hdr[1] != 0) {
		us_show("UDP ASSOCIATE refused", hdr, 4);
		exit(1);
	}
	us_reply_addr(a, hdr);
	printf("relay %s\n", tu_straddr((struct sockaddr *)&a->a_relay,
	    a->a_relaylen));
	printf("local %s\n", tu_straddr((struct sockaddr *)&ss, len));
	fflush(stdout);
}

/* One datagram for target: its header and size bytes of the stream. */
static size_t
us_dgram(const struct us_target *t, size_t size)
{
	struct pattern	 pt;

	if (t->t_hdrlen + size > sizeof(us_out))
		errx(2, "a datagram of %zu bytes is too large", size);
	memcpy(us_out, t->t_hdr, t->t_hdrlen);
	pattern_init(&pt, US_SEED + us_seq++);
	pattern_fill(&pt, us_out + t->t_hdrlen, size);
	return (t->t_hdrlen + size);
}

static void
us_sendto(struct us_assoc *a, int fd, size_t len)
{
	if (sendto(fd, us_out, len, 0, (struct sockaddr *)&a->a_relay,
	    a->a_relaylen) != (ssize_t)len)
		err(1, "sendto the relay (%zu bytes)", len);
}

/* Wait up to ms for a datagram on fd: its length, or -1. */
static ssize_t
us_recv(int fd, int ms)
{
	struct pollfd	 pfd;
	long long	 deadline = tu_now_ms() + ms;
	ssize_t		 n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, tu_timeleft(deadline)) <= 0)
			return (-1);
		n = recv(fd, us_in, sizeof(us_in), MSG_TRUNC);
		if (n >= 0)
			return (n);
		if (errno != EINTR && errno != EAGAIN)
			err(1, "recv");
	}
}

/* The answer must carry the target's address (its IP, for a name). */
static int
us_echo_check(const struct us_target *t, size_t len, ssize_t n)
{
	size_t	 hl = t->t_hdrlen;

	if (n < 0) {
		warnx("echo: no datagram back within %d ms", us_timeout);
		return (-1);
	}
	if (t->t_named) {
		/* 00 00 00 01 127.x.y.z PORT, then the data. */
		hl = 10;
		if (n < 10 || memcmp(us_in, "\0\0\0\1\177", 5) != 0 ||
		    (us_in[8] << 8 | us_in[9]) != t->t_port ||
		    (size_t)n - hl != len - t->t_hdrlen) {
			us_show("echo: unexpected header", us_in, n);
			return (-1);
		}
	} else if ((size_t)n != len || memcmp(us_in, us_out, hl) != 0) {
		us_show("echo: unexpected datagram", us_in, n);
		return (-1);
	}
	if (memcmp(us_in + hl, us_out + t->t_hdrlen, len - t->t_hdrlen) !=
	    0) {
		warnx("echo: the data of datagram %llu differs",
		    (unsigned long long)us_seq);
		return (-1);
	}
	return (0);
}

static int
us_echo(struct us_assoc *a, const char *to, size_t count, size_t size)
{
	struct us_target	 t;
	size_t			 i, len;

	us_target(to, &t);
	for (i = 0; i < count; i++) {
		len = us_dgram(&t, size);
		us_sendto(a, a->a_udp, len);
		if (us_echo_check(&t, len, us_recv(a->a_udp, us_timeout)) ==
		    -1) {
			warnx("echo %s: datagram %zu of %zu (%zu bytes)", to,
			    i + 1, count, size);
			return (-1);
		}
	}
	return (0);
}

static int
us_quiet(struct us_assoc *a, int ms)
{
	ssize_t	 n;

	if ((n = us_recv(a->a_udp, ms)) >= 0) {
		us_show("quiet: a datagram came", us_in, n);
		return (-1);
	}
	return (0);
}

static int
us_wait(const char *path)
{
	long long	 deadline = tu_now_ms() + us_timeout;

	while (access(path, F_OK) == -1) {
		if (tu_timeleft(deadline) == 0) {
			warnx("wait: no %s within %d ms", path, us_timeout);
			return (-1);
		}
		usleep(20000);
	}
	return (0);
}

static int
us_expectclose(struct us_assoc *a)
{
	unsigned char	 c;

	switch (us_readn(a->a_tcp, &c, 1)) {
	case 0:
		return (0);
	case 1:
		warnx("expectclose: the server sent data");
		return (-1);
	default:
		warnx("expectclose: not closed within %d ms", us_timeout);
		return (-1);
	}
}

static int
us_raw(struct us_assoc *a, const char *hex)
{
	int	 n;

	if ((n = us_hex(hex, us_out, sizeof(us_out))) == -1)
		errx(2, "raw: bad hex");
	us_sendto(a, a->a_udp, n);
	return (0);
}

/* Run one step; argv[0] is its name.  Returns the words it took. */
static int
us_step(struct us_assoc *a, int argc, char **argv, int *failed)
{
	struct us_target	 t;
	const char		*s = argv[0];
	ssize_t			 n;
	int			 r = 0, want;

	want = strcmp(s, "echo") == 0 ? 4 :
	    strcmp(s, "send") == 0 || strcmp(s, "stranger") == 0 ? 3 :
	    strcmp(s, "raw") == 0 || strcmp(s, "quiet") == 0 ||
	    strcmp(s, "wait") == 0 || strcmp(s, "sleep") == 0 ? 2 :
	    strcmp(s, "close") == 0 || strcmp(s, "expectclose") == 0 ? 1 : 0;
	if (want == 0 || argc < want)
		errx(2, "bad step %s", s);
	if (strcmp(s, "echo") == 0)
		r = us_echo(a, argv[1], us_number(argv[2], 100000),
		    us_number(argv[3], US_DGRAMMAX));
	else if (strcmp(s, "send") == 0) {
		us_target(argv[1], &t);
		us_sendto(a, a->a_udp, us_dgram(&t, us_number(argv[2],
		    US_DGRAMMAX)));
	} else if (strcmp(s, "stranger") == 0) {
		us_target(argv[1], &t);
		us_sendto(a, a->a_other, us_dgram(&t, us_number(argv[2],
		    US_DGRAMMAX)));
		if ((n = us_recv(a->a_other, 300)) >= 0) {
			us_show("stranger: an answer came", us_in, n);
			r = -1;
		}
	} else if (strcmp(s, "raw") == 0)
		r = us_raw(a, argv[1]);
	else if (strcmp(s, "quiet") == 0)
		r = us_quiet(a, us_number(argv[1], 600000));
	else if (strcmp(s, "wait") == 0)
		r = us_wait(argv[1]);
	else if (strcmp(s, "sleep") == 0)
		usleep(us_number(argv[1], 600000) * 1000);
	else if (strcmp(s, "close") == 0) {
		close(a->a_tcp);
		a->a_tcp = -1;
	} else
		r = us_expectclose(a);
	if (r == -1) {
		warnx("step \"%s\" failed", s);
		*failed = 1;
	}
	return (want);
}

static int
assoc_main(int argc, char **argv)
{
	struct us_assoc	 a;
	const char	*errstr;
	int		 ch, zeros = 0, failed = 0;

	while ((ch = getopt(argc, argv, "+t:z")) != -1) {
		switch (ch) {
		case 't':
			us_timeout = strtonum(optarg, 1, 600, &errstr) * 1000;
			if (errstr != NULL)
				errx(2, "-t %s: %s", optarg, errstr);
			break;
		case 'z':
			zeros = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	us_assoc_open(&a, argv[0], argv[1], zeros);
	argc -= 2;
	argv += 2;
	while (argc > 0 && !failed) {
		ch = us_step(&a, argc, argv, &failed);
		argc -= ch;
		argv += ch;
	}
	return (failed);
}

/* IPv4 only: the kernel adds the IP header; checksum 0 is "none". */
static void
send_forged(const struct sockaddr_storage *ss, socklen_t sslen, int sport,
    size_t len)
{
	static unsigned char	 pkt[8 + US_DGRAMMAX];
	int			 fd;

	if (ss->ss_family != AF_INET)
		errx(2, "-s: IPv4 only");
	if (len > 65507)
		errx(2, "-s: %zu bytes do not fit one IPv4 datagram", len);
	memmove(pkt + 8, us_out, len);
	pkt[0] = sport >> 8;
	pkt[1] = sport & 0xff;
	memcpy(pkt + 2, &((const struct sockaddr_in *)ss)->sin_port, 2);
	pkt[4] = (8 + len) >> 8;
	pkt[5] = (8 + len) & 0xff;
	pkt[6] = pkt[7] = 0;
	if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP)) == -1)
		err(1, "raw socket (root only)");
	if (sendto(fd, pkt, 8 + len, 0, (const struct sockaddr *)ss, sslen) !=
	    (ssize_t)(8 + len))
		err(1, "sendto");
	close(fd);
}

static int
send_main(int argc, char **argv)
{
	struct sockaddr_storage	 ss;
	struct pattern		 pt;
	socklen_t		 sslen;
	size_t			 len;
	int			 ch, sport = 0, fd, n;

	while ((ch = getopt(argc, argv, "+s:")) != -1) {
		switch (ch) {
		case 's':
			if ((sport = tu_port(optarg)) <= 0)
				usage();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 4 && strcmp(argv[2], "-n") == 0) {
		len = us_number(argv[3], 65507);
		pattern_init(&pt, US_SEED);
		pattern_fill(&pt, us_out, len);
	} else if (argc == 3) {
		if ((n = us_hex(argv[2], us_out, sizeof(us_out))) == -1)
			errx(2, "bad hex");
		len = n;
	} else
		usage();
	if (tu_loopback(argv[0], argv[1], &ss, &sslen) == -1)
		return (2);
	if (sport != 0) {
		send_forged(&ss, sslen, sport, len);
		return (0);
	}
	if ((fd = socket(ss.ss_family, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (sendto(fd, us_out, len, 0, (struct sockaddr *)&ss, sslen) !=
	    (ssize_t)len)
		err(1, "sendto");
	close(fd);
	return (0);
}

static int
peer_main(int argc, char **argv)
{
	struct sockaddr_storage	 local;
	const char		*errstr;
	ssize_t			 n;
	int			 ch, fd;

	while ((ch = getopt(argc, argv, "+t:")) != -1) {
		switch (ch) {
		case 't':
			us_timeout = strtonum(optarg, 1, 600, &errstr) * 1000;
			if (errstr != NULL)
				errx(2, "-t %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	fd = us_tcp(argv[0], argv[1], &local);
	printf("local %s\n", tu_straddr((struct sockaddr *)&local,
	    sizeof(local)));
	fflush(stdout);
	for (;;) {
		struct pollfd	 pfd = { fd, POLLIN, 0 };

		if (poll(&pfd, 1, us_timeout) <= 0)
			errx(1, "peer: nothing for %d ms", us_timeout);
		if ((n = read(fd, us_in, sizeof(us_in))) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "peer: read");
		}
		if (n == 0)
			break;
		if (write(fd, us_in, n) != n)
			err(1, "peer: write");
	}
	if (shutdown(fd, SHUT_WR) == -1)
		err(1, "peer: shutdown");
	close(fd);
	return (0);
}

int
main(int argc, char *argv[])
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		usage();
	optind = 2;
	if (strcmp(argv[1], "assoc") == 0)
		return (assoc_main(argc, argv));
	if (strcmp(argv[1], "send") == 0)
		return (send_main(argc, argv));
	if (strcmp(argv[1], "peer") == 0)
		return (peer_main(argc, argv));
	usage();
}

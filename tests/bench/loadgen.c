/*
 * loadgen: a load generator that speaks GSS-API SOCKS (RFC 1928 and
 * RFC 1961, Heimdal) and is also the target its sessions reach.
 *
 *	loadgen [-V] [-a addrs] [-b bytes] [-c concurrency] [-k pids]
 *	    [-L port] [-l level] [-m mode] [-n sessions] [-p host:port]
 *	    [-s service] [-t seconds] test
 *
 * Modes (-m): "direct" connects straight to the target, "relay" to a
 * relay at -p that joins it to the target by itself (minrelay), "none"
 * and "gssapi" go through the SOCKS server at -p with method none or
 * with GSS-API at protection level -l (clear, integrity or
 * confidentiality).  The target listens on 127.0.0.1, port -L (default:
 * any free one), in this process; every session's CONNECT names it.
 *
 * Every session first makes a small echo round trip through the target,
 * which proves it works end to end; then, by test:
 *
 *	down	bulk transfer of -b bytes from the target to one session
 *	up	bulk transfer of -b bytes from one session to the target
 *	hs	-n sessions, -c at a time, each closed after its echo:
 *		sessions per second and latency percentiles
 *	idle	-n sessions held open once their echo is done; the line
 *		is printed once all are, and they are held until SIGTERM.
 *		With -b, each first gets -b bytes from the target, as
 *		for active, and is held once all are in: the client
 *		counts them, and the target does not close, since an end
 *		of file would end the session
 *	active	-n sessions held open, then -b bytes from the target to
 *		each, all at once: aggregate throughput
 *
 * What is timed is the server's work, as far as a client can keep out
 * of its way: the AP-REQs are made before the clock starts (Heimdal's
 * initiator is slow at it, and a client makes one per session anyway);
 * on the way up the tokens are wrapped before the clock starts, so that
 * the client only writes; on the way down the client checks the frames
 * and counts the plaintext without unwrapping (the token overhead is
 * learnt from the echo), unless -V asks for every byte to be unwrapped
 * and checked against the pattern(1) stream, which costs the client as
 * much as the server.
 *
 * -k names the server's processes (comma separated pids): their CPU time
 * (utime + stime from /proc) over the timed part is reported.  -a spreads
 * the sessions' source addresses over 127.0.0.1 to 127.0.0.N.  Prints
 * one line of key=value; exits 1 if any session failed.  Loopback only;
 * everything stops after -t seconds (default 600).
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gssapi/gssapi.h>

#include "bench.h"
#include "gssframe.h"
#include "pattern.h"

#define LG_HSBUF	4096		/* handshake and echo input */
#define LG_RDBUF	(256 * 1024)	/* bulk input */
#define LG_CHUNK	65536		/* plain writes */
#define LG_ECHOLEN	64
#define LG_MAXPIDS	64
#define LG_SEED		1961

enum lg_mode {
	M_DIRECT,
	M_RELAY,
	M_NONE,
	M_GSSAPI
};

enum lg_test {
	T_DOWN,
	T_UP,
	T_HS,
	T_IDLE,
	T_ACTIVE
};

enum lg_state {
	ST_CONNECT,
	ST_METHOD,		/* greeting sent */
	ST_AUTH,		/* AP-REQ sent */
	ST_PROTECT,		/* level sent */
	ST_REPLY,		/* request sent */
	ST_ECHO,		/* echo sent */
	ST_READY,		/* waiting for the others or for go */
	ST_DOWN,
	ST_UP,
	ST_HELD,		/* idle -b: all bytes in, held open */
	ST_DONE
};

enum lg_tmode {
	TM_ECHO,
	TM_SOURCE,
	TM_SINK
};

struct lg_sess {
	int		 s_idx;
	int		 s_fd;
	enum lg_state	 s_state;
	struct event	 s_ev;
	gss_ctx_id_t	 s_ctx;
	gss_buffer_desc	 s_apreq;
	uint8_t		*s_in;
	size_t		 s_insize;
	size_t		 s_inlen;
	uint8_t		*s_out;		/* handshake output */
	size_t		 s_outsize;
	size_t		 s_outoff;
	size_t		 s_outlen;
	const uint8_t	*s_up;		/* upload stream */
	size_t		 s_upoff;
	size_t		 s_uplen;
	long long	 s_upleft;	/* plain upload: bytes to make */
	uint8_t		*s_chunk;
	size_t		 s_overhead;	/* token less plaintext */
	int		 s_haveover;
	size_t		 s_skip;	/* down: token bytes to pass */
	uint8_t		 s_hdr[GSSF_HDRLEN];
	size_t		 s_hdrlen;
	long long	 s_bytes;	/* plaintext received */
	size_t		 s_echoed;
	struct pattern	 s_pt;
	double		 s_t0;
	int		 s_negotiating;
};

struct lg_tconn {
	int		 t_fd;
	enum lg_tmode	 t_mode;
	struct event	 t_ev;
	uint8_t		 t_buf[LG_HSBUF];
	size_t		 t_off;
	size_t		 t_len;
	uint8_t		*t_src;		/* -V: bytes to send */
	size_t		 t_srcoff;
	size_t		 t_srclen;
	long long	 t_left;	/* source: bytes still to send */
	long long	 t_got;		/* sink: bytes received */
	int		 t_eof;
	int		 t_shut;
	struct pattern	 t_pt;
	struct lg_tconn	*t_next;
};

/* The command line. */
static enum lg_mode	 lg_mode = M_GSSAPI;
static enum lg_test	 lg_test;
static int		 lg_level = BG_LEVEL_CONF;
static int		 lg_verify;
static int		 lg_naddrs = 1;
static int		 lg_conc = 1;
static int		 lg_nsess = 1;
static long long	 lg_bytes = 1LL << 30;
static int		 lg_idledata;	/* idle with -b */
static const char	*lg_service = "rcmd/localhost";
static struct sockaddr_in lg_proxy;
static pid_t		 lg_pids[LG_MAXPIDS];
static int		 lg_npids;

/* The run. */
static struct lg_sess	*lg_sess;
static gss_name_t	 lg_target;
static struct sockaddr_in lg_taddr;	/* the target's address */
static int		 lg_lfd;
static struct event	 lg_lev;
static struct event	 lg_deadline;
static struct event	 lg_evterm;
static struct lg_tconn	*lg_tconns;
static int		 lg_started;
static int		 lg_active;	/* sessions negotiating */
static int		 lg_ready;	/* sessions through their echo */
static int		 lg_done;	/* of those, ended after go */
static int		 lg_held;	/* idle -b: of those, with all bytes */
static int		 lg_said;	/* idle: the line is out */
static int		 lg_finished;	/* the result is out */
static int		 lg_failures;
static int		 lg_go;
static double		 lg_t0, lg_t1;
static double		 lg_setup;	/* seconds until all echoes */
static double		 lg_tdata;	/* idle -b: when the data started */
static double		 lg_cpu0, lg_mycpu0;
static double		*lg_lat;
static int		 lg_nlat;
static long long	 lg_sunk;	/* bytes the target received */
static uint8_t		 lg_echo[LG_ECHOLEN];
static uint8_t		*lg_srcbuf;	/* plain data, not -V */
static uint8_t		*lg_scratch;
static double		 lg_premade;
static double		 lg_wrapsecs;

static void	 usage(void) __attribute__((__noreturn__));
static void	 lg_sess_cb(int, short, void *);
static void	 lg_sess_arm(struct lg_sess *);
static void	 lg_sess_fail(struct lg_sess *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	 lg_sess_start(void);
static void	 lg_sess_end(struct lg_sess *);
static void	 lg_tconn_cb(int, short, void *);
static void	 lg_tconn_arm(struct lg_tconn *);
static void	 lg_check(void);
static void	 lg_begin(void);
static void	 lg_finish(void);
static void	 lg_report(void);

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen [-V] [-a addrs] [-b bytes] "
	    "[-c concurrency] [-k pids] [-L port]\n"
	    "           [-l level] [-m direct|relay|none|gssapi] "
	    "[-n sessions] [-p host:port]\n"
	    "           [-s service] [-t seconds] "
	    "down|up|hs|idle|active\n");
	exit(2);
}

/* The server's CPU seconds so far: utime + stime of each process. */
static double
lg_cpu(void)
{
	char		 path[64], buf[2048], *p;
	unsigned long	 ut, st;
	double		 total = 0;
	ssize_t		 n;
	int		 fd, i;

	for (i = 0; i < lg_npids; i++) {
		(void)snprintf(path, sizeof(path), "/proc/%ld/stat",
		    (long)lg_pids[i]);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* The command name may hold spaces: skip past its ')'. */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
		    "%*u %lu %lu", &ut, &st) != 2)
			continue;
		total += (double)(ut + st) / sysconf(_SC_CLK_TCK);
	}
	return (total);
}

static double
lg_mycpu(void)
{
	struct rusage	 ru;

	(void)getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

static void
lg_pids_parse(char *arg)
{
	const char	*errstr;
	char		*p;

	while ((p = strsep(&arg, ",")) != NULL) {
		if (*p == '\0')
			continue;
		if (lg_npids == LG_MAXPIDS)
			errx(2, "more than %d pids", LG_MAXPIDS);
		lg_pids[lg_npids++] = strtonum(p, 1, INT32_MAX, &errstr);
		if (errstr != NULL)
			errx(2, "pid %s: %s", p, errstr);
	}
}

static void
lg_addr_parse(const char *arg, struct sockaddr_in *sin)
{
	char		 host[64], *colon;
	const char	*errstr;

	if (strlcpy(host, arg, sizeof(host)) >= sizeof(host) ||
	    (colon = strrchr(host, ':')) == NULL)
		errx(2, "%s: expected address:port", arg);
	*colon = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
	    (ntohl(sin->sin_addr.s_addr) >> 24) != 127)
		errx(2, "%s: not a numeric loopback address", host);
	sin->sin_port = htons(strtonum(colon + 1, 1, 65535, &errstr));
	if (errstr != NULL)
		errx(2, "port %s: %s", colon + 1, errstr);
}

static int
lg_nonblock(int fd)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return (-1);
	return (0);
}

/* ---------------------------------------------------------------- */
/* The target: echo, then a source or a sink once the test says go. */

static void
lg_tconn_close(struct lg_tconn *t)
{
	struct lg_tconn	**pp;

	event_del(&t->t_ev);
	close(t->t_fd);
	for (pp = &lg_tconns; *pp != NULL; pp = &(*pp)->t_next)
		if (*pp == t) {
			*pp = t->t_next;
			break;
		}
	free(t->t_src);
	free(t);
}

/* At go: the way down makes it a source, the way up a sink. */
static void
lg_tconn_go(struct lg_tconn *t)
{
	if (lg_test == T_UP) {
		t->t_mode = TM_SINK;
		pattern_init(&t->t_pt, LG_SEED);
	} else {
		t->t_mode = TM_SOURCE;
		t->t_left = lg_bytes;
		pattern_init(&t->t_pt, LG_SEED);
		if (lg_verify && (t->t_src = malloc(LG_CHUNK)) == NULL)
			err(1, NULL);
	}
	lg_tconn_arm(t);
}

static void
lg_accept(int fd, short ev, void *arg)
{
	struct lg_tconn	*t;
	int		 cfd, on = 1;

	(void)fd;
	(void)ev;
	(void)arg;
	if ((cfd = accept(lg_lfd, NULL, NULL)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			warn("accept");
		return;
	}
	(void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (lg_nonblock(cfd) == -1 || (t = calloc(1, sizeof(*t))) == NULL)
		err(1, "target connection");
	t->t_fd = cfd;
	t->t_mode = TM_ECHO;
	event_set(&t->t_ev, cfd, 0, lg_tconn_cb, t);
	t->t_next = lg_tconns;
	lg_tconns = t;
	if (lg_go)
		lg_tconn_go(t);
	else
		lg_tconn_arm(t);
}

static void
lg_tconn_arm(struct lg_tconn *t)
{
	short	 ev = 0;

	if (!t->t_eof && (t->t_mode != TM_ECHO || t->t_off == t->t_len))
		ev |= EV_READ;
	if (t->t_off < t->t_len || t->t_srcoff < t->t_srclen ||
	    (t->t_mode == TM_SOURCE && t->t_left > 0))
		ev |= EV_WRITE;
	event_del(&t->t_ev);
	if (ev) {
		event_set(&t->t_ev, t->t_fd, ev, lg_tconn_cb, t);
		event_add(&t->t_ev, NULL);
	}
}

static int
lg_tconn_read(struct lg_tconn *t)
{
	uint8_t		*p = lg_scratch;
	size_t		 sz = LG_RDBUF;
	ssize_t		 n, i;

	if (t->t_mode == TM_ECHO) {
		p = t->t_buf;
		sz = sizeof(t->t_buf);
	}

	if ((n = read(t->t_fd, p, sz)) == -1)
		return (errno == EAGAIN || errno == EINTR ? 0 : -1);
	if (n == 0) {
		t->t_eof = 1;
		return (0);
	}
	if (t->t_mode == TM_ECHO) {
		t->t_off = 0;
		t->t_len = n;
	} else if (t->t_mode == TM_SINK) {
		if (lg_verify)
			for (i = 0; i < n; i++)
				if (p[i] != pattern_byte(&t->t_pt)) {
					warnx("target: byte %lld differs",
					    t->t_got + i);
					return (-1);
				}
		t->t_got += n;
		lg_sunk += n;
	}
	return (0);
}

static int
lg_tconn_write(struct lg_tconn *t)
{
	const uint8_t	*p;
	size_t		 len;
	ssize_t		 n;

	if (t->t_mode == TM_SOURCE && t->t_srcoff == t->t_srclen &&
	    t->t_left > 0) {
		len = t->t_left < LG_CHUNK ? (size_t)t->t_left : LG_CHUNK;
		if (lg_verify)
			pattern_fill(&t->t_pt, t->t_src, len);
		t->t_srcoff = 0;
		t->t_srclen = len;
		t->t_left -= len;
	}
	if (t->t_off < t->t_len) {
		p = t->t_buf + t->t_off;
		len = t->t_len - t->t_off;
	} else if (t->t_srcoff < t->t_srclen) {
		p = (lg_verify ? t->t_src : lg_srcbuf) + t->t_srcoff;
		len = t->t_srclen - t->t_srcoff;
	} else
		return (0);
	if ((n = write(t->t_fd, p, len)) == -1)
		return (errno == EAGAIN || errno == EINTR ? 0 : -1);
	if (t->t_off < t->t_len)
		t->t_off += n;
	else
		t->t_srcoff += n;
	if (t->t_off == t->t_len)
		t->t_off = t->t_len = 0;
	return (0);
}

static void
lg_tconn_cb(int fd, short ev, void *arg)
{
	struct lg_tconn	*t = arg;
	int		 owed;

	(void)fd;
	if (((ev & EV_READ) && lg_tconn_read(t) == -1) ||
	    ((ev & EV_WRITE) && lg_tconn_write(t) == -1)) {
		lg_tconn_close(t);
		return;
	}
	owed = t->t_off < t->t_len || t->t_srcoff < t->t_srclen ||
	    (t->t_mode == TM_SOURCE && t->t_left > 0);
	/* Idle: the client counts; an end of file would end the session. */
	if (!owed && !t->t_shut && (t->t_eof ||
	    (t->t_mode == TM_SOURCE && lg_test != T_IDLE))) {
		(void)shutdown(t->t_fd, SHUT_WR);
		t->t_shut = 1;
	}
	if (t->t_mode == TM_SINK && t->t_eof && lg_test == T_UP &&
	    t->t_got == lg_bytes) {
		lg_done++;
		lg_finish();
		return;
	}
	if (t->t_eof && t->t_shut) {
		lg_tconn_close(t);
		return;
	}
	lg_tconn_arm(t);
}

/* ---------------------------------------------------------------- */
/* A session: the client side. */

static void
lg_sess_fail(struct lg_sess *s, const char *fmt, ...)
{
	va_list	 ap;

	if (lg_failures++ < 5) {
		fprintf(stderr, "loadgen: session %d: ", s->s_idx);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
	}
	lg_sess_end(s);
}

static void
lg_queue(struct lg_sess *s, const void *buf, size_t len)
{
	size_t	 need = s->s_outlen + len;

	if (need > s->s_outsize) {
		if ((s->s_out = realloc(s->s_out, need)) == NULL)
			err(1, NULL);
		s->s_outsize = need;
	}
	memcpy(s->s_out + s->s_outlen, buf, len);
	s->s_outlen += len;
}

static void
lg_queue_frame(struct lg_sess *s, uint8_t mtyp, const void *tok, size_t len)
{
	uint8_t	 hdr[GSSF_HDRLEN];

	gssframe_header(hdr, mtyp, len);
	lg_queue(s, hdr, sizeof(hdr));
	lg_queue(s, tok, len);
}

/* Plaintext for the target: raw, or one token at the session's level. */
static int
lg_send_data(struct lg_sess *s, const void *buf, size_t len)
{
	gss_buffer_desc	 in, out;
	OM_uint32	 maj, min;

	if (lg_mode != M_GSSAPI || lg_level == BG_LEVEL_CLEAR) {
		lg_queue(s, buf, len);
		return (0);
	}
	in.value = (void *)buf;
	in.length = len;
	maj = gss_wrap(&min, s->s_ctx, lg_level == BG_LEVEL_CONF,
	    GSS_C_QOP_DEFAULT, &in, NULL, &out);
	if (GSS_ERROR(maj)) {
		bg_status("gss_wrap", maj, min);
		return (-1);
	}
	lg_queue_frame(s, GSSF_MTYP_DATA, out.value, out.length);
	(void)gss_release_buffer(&min, &out);
	return (0);
}

static void
lg_send_request(struct lg_sess *s)
{
	uint8_t	 req[10];

	req[0] = 5;
	req[1] = 1;		/* CONNECT */
	req[2] = 0;
	req[3] = 1;		/* IPv4 */
	memcpy(req + 4, &lg_taddr.sin_addr, 4);
	memcpy(req + 8, &lg_taddr.sin_port, 2);
	if (lg_send_data(s, req, sizeof(req)) == -1) {
		lg_sess_fail(s, "cannot wrap the request");
		return;
	}
	s->s_state = ST_REPLY;
}

static void
lg_send_echo(struct lg_sess *s)
{
	s->s_echoed = 0;
	if (lg_send_data(s, lg_echo, sizeof(lg_echo)) == -1) {
		lg_sess_fail(s, "cannot wrap the echo");
		return;
	}
	s->s_state = ST_ECHO;
}

static void
lg_connected(struct lg_sess *s)
{
	static const uint8_t	 greet_none[] = { 5, 1, 0 };
	static const uint8_t	 greet_gss[] = { 5, 1, 1 };

	switch (lg_mode) {
	case M_DIRECT:
	case M_RELAY:
		lg_send_echo(s);
		break;
	case M_NONE:
		lg_queue(s, greet_none, sizeof(greet_none));
		s->s_state = ST_METHOD;
		break;
	case M_GSSAPI:
		lg_queue(s, greet_gss, sizeof(greet_gss));
		s->s_state = ST_METHOD;
		break;
	}
}

/*
 * One whole frame of type mtyp at the head of the input: 1 with the
 * token in *tok and *toklen, 0 for more, -1 on anything else.
 */
static int
lg_frame(struct lg_sess *s, uint8_t mtyp, uint8_t **tok, size_t *toklen)
{
	enum gssf_status	 st;

	st = gssframe_parse(s->s_in, s->s_inlen, mtyp, toklen);
	if (st == GSSF_MORE) {
		if (s->s_inlen == s->s_insize) {
			lg_sess_fail(s, "frame larger than the buffer");
			return (-1);
		}
		return (0);
	}
	if (st != GSSF_OK) {
		lg_sess_fail(s, "frame: %s", gssframe_strerror(st));
		return (-1);
	}
	*tok = s->s_in + GSSF_HDRLEN;
	return (1);
}

static void
lg_consume(struct lg_sess *s, size_t n)
{
	memmove(s->s_in, s->s_in + n, s->s_inlen - n);
	s->s_inlen -= n;
}

static int
lg_unwrap(struct lg_sess *s, const void *tok, size_t len, gss_buffer_t out)
{
	gss_buffer_desc	 in;
	OM_uint32	 maj, min;

	in.value = (void *)tok;
	in.length = len;
	maj = gss_unwrap(&min, s->s_ctx, &in, out, NULL, NULL);
	if (maj != GSS_S_COMPLETE) {
		bg_status("gss_unwrap", maj, min);
		lg_sess_fail(s, "a token does not verify");
		return (-1);
	}
	return (0);
}

/* ST_AUTH: the AP-REP; then the level, wrapped for integrity only. */
static int
lg_step_auth(struct lg_sess *s)
{
	gss_buffer_desc	 in, out;
	OM_uint32	 maj, min;
	uint8_t		*tok, octet = lg_level;
	size_t		 len;
	int		 r;

	if ((r = lg_frame(s, GSSF_MTYP_AUTH, &tok, &len)) != 1)
		return (r);
	if (bg_init_last(lg_target, &s->s_ctx, tok, len) == -1) {
		lg_sess_fail(s, "the AP-REP does not verify");
		return (-1);
	}
	lg_consume(s, GSSF_HDRLEN + len);
	in.value = &octet;
	in.length = 1;
	maj = gss_wrap(&min, s->s_ctx, 0, GSS_C_QOP_DEFAULT, &in, NULL, &out);
	if (GSS_ERROR(maj)) {
		lg_sess_fail(s, "gss_wrap of the level");
		return (-1);
	}
	lg_queue_frame(s, GSSF_MTYP_PROTECT, out.value, out.length);
	(void)gss_release_buffer(&min, &out);
	s->s_state = ST_PROTECT;
	return (1);
}

static int
lg_step_protect(struct lg_sess *s)
{
	gss_buffer_desc	 out;
	OM_uint32	 min;
	uint8_t		*tok;
	size_t		 len;
	int		 r, ok;

	if ((r = lg_frame(s, GSSF_MTYP_PROTECT, &tok, &len)) != 1)
		return (r);
	if (lg_unwrap(s, tok, len, &out) == -1)
		return (-1);
	ok = out.length == 1 && *(uint8_t *)out.value == lg_level;
	(void)gss_release_buffer(&min, &out);
	lg_consume(s, GSSF_HDRLEN + len);
	if (!ok) {
		lg_sess_fail(s, "the server granted another level");
		return (-1);
	}
	lg_send_request(s);
	return (s->s_state == ST_REPLY ? 1 : -1);
}

/*
 * Plaintext from the proxy during the handshake and the echo: raw, or
 * the next token unwrapped.  1 with the bytes in *out (released by the
 * caller), 0 for more, -1 on failure.  At GSS-API levels the token
 * overhead is noted for counting the bulk that follows.
 */
static int
lg_next_plain(struct lg_sess *s, gss_buffer_t out)
{
	uint8_t		*tok;
	size_t		 len;
	int		 r;

	if (lg_mode != M_GSSAPI || lg_level == BG_LEVEL_CLEAR) {
		if (s->s_inlen == 0)
			return (0);
		if ((out->value = malloc(s->s_inlen)) == NULL)
			err(1, NULL);
		memcpy(out->value, s->s_in, s->s_inlen);
		out->length = s->s_inlen;
		s->s_inlen = 0;
		return (1);
	}
	if ((r = lg_frame(s, GSSF_MTYP_DATA, &tok, &len)) != 1)
		return (r);
	if (lg_unwrap(s, tok, len, out) == -1)
		return (-1);
	s->s_overhead = len - out->length;
	s->s_haveover = 1;
	lg_consume(s, GSSF_HDRLEN + len);
	return (1);
}

static void
lg_release(gss_buffer_t b)
{
	OM_uint32	 min;

	if (lg_mode != M_GSSAPI || lg_level == BG_LEVEL_CLEAR) {
		free(b->value);
		b->value = NULL;
		b->length = 0;
	} else
		(void)gss_release_buffer(&min, b);
}

/* The SOCKS reply: 10 bytes for the IPv4 address the relay has. */
static int
lg_step_reply(struct lg_sess *s)
{
	gss_buffer_desc	 out;
	const uint8_t	*p;
	int		 r;

	if (lg_mode != M_GSSAPI || lg_level == BG_LEVEL_CLEAR) {
		if (s->s_inlen < 10)
			return (0);
		p = s->s_in;
		if (p[0] != 5 || p[1] != 0 || p[3] != 1) {
			lg_sess_fail(s, "request refused (reply %u)", p[1]);
			return (-1);
		}
		lg_consume(s, 10);
	} else {
		if ((r = lg_next_plain(s, &out)) != 1)
			return (r);
		p = out.value;
		r = out.length == 10 && p[0] == 5 && p[1] == 0 && p[3] == 1;
		if (!r)
			lg_sess_fail(s, "request refused (reply %u)",
			    out.length > 1 ? p[1] : 255);
		lg_release(&out);
		if (!r)
			return (-1);
	}
	lg_send_echo(s);
	return (s->s_state == ST_ECHO ? 1 : -1);
}

static int
lg_step_echo(struct lg_sess *s)
{
	gss_buffer_desc	 out;
	int		 r;

	while (s->s_echoed < LG_ECHOLEN) {
		if ((r = lg_next_plain(s, &out)) != 1)
			return (r);
		if (out.length > LG_ECHOLEN - s->s_echoed ||
		    memcmp(out.value, lg_echo + s->s_echoed,
		    out.length) != 0) {
			lg_release(&out);
			lg_sess_fail(s, "the echo came back wrong");
			return (-1);
		}
		s->s_echoed += out.length;
		lg_release(&out);
	}
	if (s->s_inlen != 0) {
		lg_sess_fail(s, "bytes after the echo");
		return (-1);
	}
	if (lg_test == T_HS) {
		lg_lat[lg_nlat++] = bg_now() - s->s_t0;
		lg_sess_end(s);
		return (-1);
	}
	s->s_state = ST_READY;
	s->s_negotiating = 0;
	lg_active--;
	lg_ready++;
	lg_sess_start();
	lg_check();
	return (1);
}

static void
lg_handshake(struct lg_sess *s)
{
	int	 r = 1;

	while (r == 1) {
		switch (s->s_state) {
		case ST_METHOD:
			if (s->s_inlen < 2)
				return;
			if (s->s_in[0] != 5 || s->s_in[1] !=
			    (lg_mode == M_GSSAPI ? 1 : 0)) {
				lg_sess_fail(s, "method %u refused",
				    lg_mode == M_GSSAPI ? 1 : 0);
				return;
			}
			lg_consume(s, 2);
			if (lg_mode == M_NONE)
				lg_send_request(s);
			else {
				lg_queue_frame(s, GSSF_MTYP_AUTH,
				    s->s_apreq.value, s->s_apreq.length);
				s->s_state = ST_AUTH;
			}
			break;
		case ST_AUTH:
			r = lg_step_auth(s);
			break;
		case ST_PROTECT:
			r = lg_step_protect(s);
			break;
		case ST_REPLY:
			r = lg_step_reply(s);
			break;
		case ST_ECHO:
			r = lg_step_echo(s);
			break;
		default:
			if (s->s_inlen > 0) {
				lg_sess_fail(s, "unexpected bytes");
				return;
			}
			return;
		}
	}
}

/*
 * The way down, not verified: check each frame header and count the
 * plaintext as the token length less the overhead seen at the echo.
 */
static int
lg_down_count(struct lg_sess *s, const uint8_t *p, size_t n)
{
	size_t	 take, toklen;

	while (n > 0) {
		if (s->s_skip > 0) {
			take = n < s->s_skip ? n : s->s_skip;
			s->s_skip -= take;
			p += take;
			n -= take;
			continue;
		}
		take = GSSF_HDRLEN - s->s_hdrlen;
		if (take > n)
			take = n;
		memcpy(s->s_hdr + s->s_hdrlen, p, take);
		s->s_hdrlen += take;
		p += take;
		n -= take;
		if (s->s_hdrlen < GSSF_HDRLEN)
			break;
		s->s_hdrlen = 0;
		if (gssframe_parse(s->s_hdr, GSSF_HDRLEN, GSSF_MTYP_DATA,
		    &toklen) != GSSF_MORE || toklen <= s->s_overhead) {
			lg_sess_fail(s, "bad frame on the way down");
			return (-1);
		}
		s->s_bytes += toklen - s->s_overhead;
		s->s_skip = toklen;
	}
	return (0);
}

static int
lg_check_pattern(struct lg_sess *s, const uint8_t *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (p[i] != pattern_byte(&s->s_pt)) {
			lg_sess_fail(s, "byte %lld differs", s->s_bytes +
			    (long long)i);
			return (-1);
		}
	s->s_bytes += n;
	return (0);
}

/* -V at a GSS-API level: every token unwrapped and checked. */
static int
lg_down_verify(struct lg_sess *s)
{
	gss_buffer_desc	 out;
	uint8_t		*tok;
	size_t		 len;
	int		 r;

	while ((r = lg_frame(s, GSSF_MTYP_DATA, &tok, &len)) == 1) {
		if (lg_unwrap(s, tok, len, &out) == -1)
			return (-1);
		r = lg_check_pattern(s, out.value, out.length);
		lg_release(&out);
		if (r == -1)
			return (-1);
		lg_consume(s, GSSF_HDRLEN + len);
	}
	return (r);
}

/*
 * Idle -b: the session has all its bytes once the count is reached at
 * a frame's end (the target does not close).  Then it is held, its
 * large input buffer given back.
 */
static int
lg_down_counted(struct lg_sess *s, int wrapped)
{
	if (s->s_bytes > lg_bytes) {
		lg_sess_fail(s, "more than %lld bytes", lg_bytes);
		return (-1);
	}
	if (s->s_bytes < lg_bytes || s->s_skip != 0)
		return (0);
	if (s->s_hdrlen != 0 || (wrapped && lg_verify && s->s_inlen != 0)) {
		lg_sess_fail(s, "bytes beyond the %lld", lg_bytes);
		return (-1);
	}
	free(s->s_in);
	s->s_in = NULL;
	s->s_insize = s->s_inlen = 0;
	s->s_state = ST_HELD;
	lg_held++;
	lg_check();
	return (0);
}

static int
lg_down_read(struct lg_sess *s)
{
	ssize_t	 n;
	int	 wrapped;

	wrapped = lg_mode == M_GSSAPI && lg_level != BG_LEVEL_CLEAR;

	if (wrapped && lg_verify) {
		n = read(s->s_fd, s->s_in + s->s_inlen,
		    s->s_insize - s->s_inlen);
		if (n > 0) {
			s->s_inlen += n;
			if (lg_down_verify(s) == -1)
				return (-1);
		}
	} else {
		n = read(s->s_fd, s->s_in, s->s_insize);
		if (n > 0) {
			if (wrapped && lg_down_count(s, s->s_in, n) == -1)
				return (-1);
			if (!wrapped && lg_verify &&
			    lg_check_pattern(s, s->s_in, n) == -1)
				return (-1);
			if (!wrapped && !lg_verify)
				s->s_bytes += n;
		}
	}
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		lg_sess_fail(s, "read: %s", strerror(errno));
		return (-1);
	}
	if (n > 0 && lg_test == T_IDLE)
		return (lg_down_counted(s, wrapped));
	if (n != 0)
		return (0);
	/* The end: everything the target sent, and whole frames. */
	if (s->s_bytes != lg_bytes || s->s_skip != 0 || s->s_hdrlen != 0 ||
	    (wrapped && lg_verify && s->s_inlen != 0)) {
		lg_sess_fail(s, "end of data after %lld of %lld bytes",
		    s->s_bytes, lg_bytes);
		return (-1);
	}
	s->s_state = ST_DONE;
	lg_done++;
	lg_check();
	return (-1);
}

/* The way up: the stream made at go, or plain chunks made as we go. */
static int
lg_up_write(struct lg_sess *s)
{
	size_t	 len;
	ssize_t	 n;

	if (s->s_upoff == s->s_uplen && s->s_upleft > 0) {
		len = s->s_upleft < LG_CHUNK ? (size_t)s->s_upleft : LG_CHUNK;
		if (lg_verify)
			pattern_fill(&s->s_pt, s->s_chunk, len);
		s->s_up = s->s_chunk;
		s->s_upoff = 0;
		s->s_uplen = len;
		s->s_upleft -= len;
	}
	if (s->s_upoff == s->s_uplen)
		return (0);
	len = s->s_uplen - s->s_upoff;
	if (len > LG_RDBUF)
		len = LG_RDBUF;
	if ((n = write(s->s_fd, s->s_up + s->s_upoff, len)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return (0);
		lg_sess_fail(s, "write: %s", strerror(errno));
		return (-1);
	}
	s->s_upoff += n;
	if (s->s_upoff == s->s_uplen && s->s_upleft == 0)
		(void)shutdown(s->s_fd, SHUT_WR);
	return (0);
}

static int
lg_flush(struct lg_sess *s)
{
	ssize_t	 n;

	if (s->s_outoff == s->s_outlen)
		return (0);
	n = write(s->s_fd, s->s_out + s->s_outoff, s->s_outlen - s->s_outoff);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return (0);
		lg_sess_fail(s, "write: %s", strerror(errno));
		return (-1);
	}
	s->s_outoff += n;
	if (s->s_outoff == s->s_outlen)
		s->s_outoff = s->s_outlen = 0;
	return (0);
}

static int
lg_hs_read(struct lg_sess *s)
{
	ssize_t	 n;

	if (s->s_inlen == s->s_insize) {
		lg_sess_fail(s, "too much input");
		return (-1);
	}
	n = read(s->s_fd, s->s_in + s->s_inlen, s->s_insize - s->s_inlen);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return (0);
		lg_sess_fail(s, "read: %s", strerror(errno));
		return (-1);
	}
	if (n == 0) {
		lg_sess_fail(s, "the server closed (state %d)", s->s_state);
		return (-1);
	}
	s->s_inlen += n;
	return (0);
}

static void
lg_sess_cb(int fd, short ev, void *arg)
{
	struct lg_sess	*s = arg;
	int		 error = 0;
	socklen_t	 len = sizeof(error);
	uint8_t		 junk[512];
	ssize_t		 n;

	if (s->s_state == ST_CONNECT) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1)
			error = errno;
		if (error != 0) {
			lg_sess_fail(s, "connect: %s", strerror(error));
			return;
		}
		lg_connected(s);
	} else if (s->s_state == ST_UP) {
		if ((ev & EV_WRITE) && lg_up_write(s) == -1)
			return;
		/* The server says nothing on the way up, but may close. */
		n = (ev & EV_READ) ? read(fd, junk, sizeof(junk)) : -1;
		if (n >= 0) {
			if (n > 0) {
				lg_sess_fail(s, "unexpected bytes");
				return;
			}
			if (!lg_finished)
				lg_sess_fail(s, "closed on the way up");
			return;
		}
	} else if (s->s_state == ST_DOWN) {
		if ((ev & EV_READ) && lg_down_read(s) == -1)
			return;
	} else if (s->s_state == ST_HELD) {
		/* Idle: the server has nothing to say, nor to close. */
		n = read(fd, junk, sizeof(junk));
		if (n > 0) {
			lg_sess_fail(s, "bytes while idle");
			return;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			lg_sess_fail(s, "closed while idle");
			return;
		}
	} else {
		if ((ev & EV_WRITE) && lg_flush(s) == -1)
			return;
		if ((ev & EV_READ)) {
			if (lg_hs_read(s) == -1)
				return;
			lg_handshake(s);
			if (s->s_fd == -1)
				return;
		}
	}
	lg_sess_arm(s);
}

static void
lg_sess_arm(struct lg_sess *s)
{
	short	 ev = 0;

	if (s->s_fd == -1)
		return;
	switch (s->s_state) {
	case ST_CONNECT:
		ev = EV_WRITE;
		break;
	case ST_READY:
	case ST_DONE:
		break;
	case ST_DOWN:
	case ST_HELD:
		ev = EV_READ;
		break;
	case ST_UP:
		ev = EV_READ;
		if (s->s_upoff < s->s_uplen || s->s_upleft > 0)
			ev |= EV_WRITE;
		break;
	default:
		ev = EV_READ;
		if (s->s_outoff < s->s_outlen)
			ev |= EV_WRITE;
		break;
	}
	event_del(&s->s_ev);
	if (ev) {
		event_set(&s->s_ev, s->s_fd, ev, lg_sess_cb, s);
		event_add(&s->s_ev, NULL);
	}
}

static void
lg_sess_end(struct lg_sess *s)
{
	OM_uint32	 min;

	if (s->s_fd == -1)
		return;
	event_del(&s->s_ev);
	close(s->s_fd);
	s->s_fd = -1;
	if (s->s_ctx != GSS_C_NO_CONTEXT)
		(void)gss_delete_sec_context(&min, &s->s_ctx, GSS_C_NO_BUFFER);
	(void)gss_release_buffer(&min, &s->s_apreq);
	free(s->s_in);
	free(s->s_out);
	free(s->s_chunk);
	s->s_in = s->s_out = s->s_chunk = NULL;
	if (s->s_negotiating) {
		s->s_negotiating = 0;
		lg_active--;
		lg_sess_start();
	} else if (s->s_state != ST_DONE)
		lg_done++;
	if (s->s_state == ST_HELD)
		lg_held--;
	lg_check();
}

/* Has the test reached its next step? */
static void
lg_check(void)
{
	if (lg_finished)
		return;
	if (!lg_go && lg_started == lg_nsess && lg_active == 0) {
		if (lg_test == T_HS || lg_ready == 0)
			lg_finish();
		else
			lg_begin();
		return;
	}
	if (!lg_go || lg_said)
		return;
	if (lg_test != T_IDLE) {
		if (lg_done == lg_ready)
			lg_finish();
	} else if (lg_held + lg_done == lg_ready) {
		/* Idle -b: every session has its bytes, or has failed. */
		if (lg_held == 0)
			lg_finish();
		else {
			lg_said = 1;
			lg_report();
		}
	}
}

/* Start sessions while fewer than -c are negotiating. */
static void
lg_sess_start(void)
{
	struct sockaddr_in	 src;
	struct lg_sess		*s;
	int			 fd, on = 1;

	while (lg_started < lg_nsess && lg_active < lg_conc) {
		s = &lg_sess[lg_started++];
		lg_active++;
		s->s_negotiating = 1;
		s->s_t0 = bg_now();
		s->s_insize = LG_HSBUF;
		if ((s->s_in = malloc(s->s_insize)) == NULL ||
		    (fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			err(1, "session %d", s->s_idx);
		s->s_fd = fd;
		event_set(&s->s_ev, fd, 0, lg_sess_cb, s);
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on));
		if (lg_naddrs > 1) {
			memset(&src, 0, sizeof(src));
			src.sin_family = AF_INET;
			src.sin_addr.s_addr = htonl(0x7f000001 +
			    s->s_idx % lg_naddrs);
			if (bind(fd, (struct sockaddr *)&src,
			    sizeof(src)) == -1)
				err(1, "bind 127.0.0.%d",
				    1 + s->s_idx % lg_naddrs);
		}
		if (lg_nonblock(fd) == -1)
			err(1, "fcntl");
		s->s_state = ST_CONNECT;
		if (connect(fd, (struct sockaddr *)(lg_mode == M_DIRECT ?
		    &lg_taddr : &lg_proxy), sizeof(lg_proxy)) == -1 &&
		    errno != EINPROGRESS) {
			lg_sess_fail(s, "connect: %s", strerror(errno));
			continue;
		}
		lg_sess_arm(s);
	}
}

/* ---------------------------------------------------------------- */
/* The test's steps. */

/* The way up at a GSS-API level: every token made before the clock. */
static void
lg_prewrap(struct lg_sess *s)
{
	gss_buffer_desc	 in, out;
	OM_uint32	 maj, min;
	struct pattern	 pt;
	uint8_t		*stream, *chunk;
	size_t		 max, len, off = 0, ntok;
	long long	 left;
	double		 t0;

	if (bg_maxplain(s->s_ctx, lg_level, &max) == -1)
		errx(1, "no token size");
	ntok = (lg_bytes + max - 1) / max;
	if ((stream = malloc(lg_bytes + ntok * (GSSF_HDRLEN + 128))) == NULL ||
	    (chunk = malloc(max)) == NULL)
		err(1, "%lld bytes of tokens", lg_bytes);
	pattern_init(&pt, LG_SEED);
	t0 = bg_now();
	for (left = lg_bytes; left > 0; left -= len) {
		len = left < (long long)max ? (size_t)left : max;
		pattern_fill(&pt, chunk, len);
		in.value = chunk;
		in.length = len;
		maj = gss_wrap(&min, s->s_ctx, lg_level == BG_LEVEL_CONF,
		    GSS_C_QOP_DEFAULT, &in, NULL, &out);
		if (GSS_ERROR(maj) || out.length > BG_MAXTOKEN ||
		    out.length > len + 128) {
			bg_status("gss_wrap", maj, min);
			errx(1, "cannot make the tokens");
		}
		gssframe_header(stream + off, GSSF_MTYP_DATA, out.length);
		memcpy(stream + off + GSSF_HDRLEN, out.value, out.length);
		off += GSSF_HDRLEN + out.length;
		(void)gss_release_buffer(&min, &out);
	}
	lg_wrapsecs = bg_now() - t0;
	free(chunk);
	s->s_up = stream;
	s->s_upoff = 0;
	s->s_uplen = off;
	s->s_upleft = 0;
}

static void
lg_go_up(struct lg_sess *s)
{
	if (lg_mode == M_GSSAPI && lg_level != BG_LEVEL_CLEAR)
		lg_prewrap(s);
	else {
		if ((s->s_chunk = malloc(LG_CHUNK)) == NULL)
			err(1, NULL);
		memcpy(s->s_chunk, lg_srcbuf, LG_CHUNK);
		pattern_init(&s->s_pt, LG_SEED);
		s->s_upleft = lg_bytes;
	}
	s->s_state = ST_UP;
}

static void
lg_go_down(struct lg_sess *s)
{
	free(s->s_in);
	s->s_insize = LG_RDBUF;
	s->s_inlen = 0;
	if ((s->s_in = malloc(s->s_insize)) == NULL)
		err(1, NULL);
	pattern_init(&s->s_pt, LG_SEED);
	s->s_bytes = 0;
	s->s_state = ST_DOWN;
}

static void
lg_sigterm(int sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	(void)arg;
	if (lg_test == T_IDLE && lg_said) {
		lg_finished = 1;
		event_loopexit(NULL);
	} else {
		warnx("stopped before the end");
		lg_failures++;
		lg_finish();
	}
}

/* Every session is through its echo: go. */
static void
lg_begin(void)
{
	struct lg_tconn	*t;
	int		 i;

	lg_go = 1;
	lg_setup = bg_now() - lg_t0;
	if (lg_test == T_IDLE && !lg_idledata) {
		/* Say so, and hold the sessions until told to stop. */
		lg_said = 1;
		lg_report();
		return;
	}
	for (i = 0; i < lg_nsess; i++) {
		if (lg_sess[i].s_fd == -1 || lg_sess[i].s_state != ST_READY)
			continue;
		if (lg_test == T_UP)
			lg_go_up(&lg_sess[i]);
		else
			lg_go_down(&lg_sess[i]);
	}
	if (lg_test == T_IDLE)
		lg_tdata = bg_now();	/* CPU counts on from the start */
	else {
		lg_t0 = bg_now();
		lg_cpu0 = lg_cpu();
		lg_mycpu0 = lg_mycpu();
	}
	for (t = lg_tconns; t != NULL; t = t->t_next)
		lg_tconn_go(t);
	for (i = 0; i < lg_nsess; i++)
		lg_sess_arm(&lg_sess[i]);
}

static int
lg_dblcmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static double
lg_pct(double p)
{
	int	 i;

	if (lg_nlat == 0)
		return (0);
	i = (int)(p * lg_nlat + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= lg_nlat)
		i = lg_nlat - 1;
	return (lg_lat[i] * 1e3);
}

static const char *
lg_modename(void)
{
	switch (lg_mode) {
	case M_DIRECT:
		return ("direct");
	case M_RELAY:
		return ("relay");
	case M_NONE:
		return ("none");
	default:
		return ("gssapi");
	}
}

static void
lg_report(void)
{
	double		 secs = lg_t1 - lg_t0;
	double		 cpu = lg_cpu() - lg_cpu0;
	double		 mycpu = lg_mycpu() - lg_mycpu0;
	long long	 total;

	printf("mode=%s level=%s failures=%d ", lg_modename(),
	    lg_mode == M_GSSAPI ? bg_levelname(lg_level) : "none",
	    lg_failures);
	switch (lg_test) {
	case T_DOWN:
	case T_UP:
	case T_ACTIVE:
		total = lg_test == T_UP ? lg_sunk : lg_bytes * lg_ready;
		printf("test=%s sessions=%d bytes=%lld seconds=%.4f "
		    "MBps=%.1f srv_cpu=%.2f cli_cpu=%.2f wrap_seconds=%.2f "
		    "premade_seconds=%.2f setup_seconds=%.2f\n",
		    lg_test == T_UP ? "up" : lg_test == T_DOWN ? "down" :
		    "active", lg_ready, total, secs, total / secs / 1e6, cpu,
		    mycpu, lg_wrapsecs, lg_premade, lg_setup);
		break;
	case T_HS:
		qsort(lg_lat, lg_nlat, sizeof(*lg_lat), lg_dblcmp);
		printf("test=hs sessions=%d ok=%d conc=%d seconds=%.4f "
		    "rate=%.1f p50_ms=%.3f p99_ms=%.3f srv_cpu=%.2f "
		    "cli_cpu=%.2f premade_seconds=%.2f\n", lg_nsess, lg_nlat,
		    lg_conc, secs, lg_nlat / secs, lg_pct(0.50),
		    lg_pct(0.99), cpu, mycpu, lg_premade);
		break;
	case T_IDLE:
		/* With -b, the sessions held are those with all bytes. */
		printf("test=idle sessions=%d setup_seconds=%.2f "
		    "setup_rate=%.1f srv_cpu=%.2f cli_cpu=%.2f "
		    "premade_seconds=%.2f", lg_idledata ? lg_held : lg_ready,
		    lg_setup, lg_ready / lg_setup, cpu, mycpu, lg_premade);
		if (lg_idledata)
			printf(" bytes=%lld data_seconds=%.2f",
			    lg_bytes * lg_held, bg_now() - lg_tdata);
		printf("\n");
		break;
	}
	fflush(stdout);
}

static void
lg_finish(void)
{
	if (lg_finished)
		return;
	lg_finished = 1;
	lg_t1 = bg_now();
	lg_report();
	event_loopexit(NULL);
}

static void
lg_timeout(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	warnx("time limit reached: %d of %d sessions started, %d ready, "
	    "%d done", lg_started, lg_nsess, lg_ready, lg_done);
	lg_failures++;
	lg_finish();
}

/* Everything that is slow and not the server's: before the clock. */
static void
lg_prepare(void)
{
	gss_cred_id_t	 cred;
	double		 t0;
	int		 i;

	if ((lg_sess = calloc(lg_nsess, sizeof(*lg_sess))) == NULL ||
	    (lg_lat = calloc(lg_nsess, sizeof(*lg_lat))) == NULL ||
	    (lg_srcbuf = malloc(LG_CHUNK)) == NULL ||
	    (lg_scratch = malloc(LG_RDBUF)) == NULL)
		err(1, NULL);
	memset(lg_srcbuf, 'x', LG_CHUNK);
	for (i = 0; i < LG_ECHOLEN; i++)
		lg_echo[i] = 'a' + i % 26;
	for (i = 0; i < lg_nsess; i++) {
		lg_sess[i].s_idx = i;
		lg_sess[i].s_fd = -1;
	}
	if (lg_mode != M_GSSAPI)
		return;
	if (bg_initiator(&cred) == -1 || bg_target(lg_service,
	    &lg_target) == -1)
		exit(1);
	t0 = bg_now();
	for (i = 0; i < lg_nsess; i++)
		if (bg_init_first(cred, lg_target, &lg_sess[i].s_ctx,
		    &lg_sess[i].s_apreq) == -1)
			errx(1, "cannot make AP-REQ %d", i);
	lg_premade = bg_now() - t0;
}

static void
lg_listen(int port)
{
	socklen_t	 len = sizeof(lg_taddr);
	int		 on = 1;

	memset(&lg_taddr, 0, sizeof(lg_taddr));
	lg_taddr.sin_family = AF_INET;
	lg_taddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lg_taddr.sin_port = htons(port);
	if ((lg_lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(lg_lfd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == -1 ||
	    bind(lg_lfd, (struct sockaddr *)&lg_taddr, sizeof(lg_taddr)) ==
	    -1 || listen(lg_lfd, 4096) == -1 ||
	    getsockname(lg_lfd, (struct sockaddr *)&lg_taddr, &len) == -1 ||
	    lg_nonblock(lg_lfd) == -1)
		err(1, "target on 127.0.0.1 port %d", port);
	event_set(&lg_lev, lg_lfd, EV_READ | EV_PERSIST, lg_accept, NULL);
	event_add(&lg_lev, NULL);
}

static enum lg_test
lg_testbyname(const char *name)
{
	static const char	*names[] = { "down", "up", "hs", "idle",
				    "active" };
	size_t			 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return ((enum lg_test)i);
	usage();
}

static enum lg_mode
lg_modebyname(const char *name)
{
	static const char	*names[] = { "direct", "relay", "none",
				    "gssapi" };
	size_t			 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return ((enum lg_mode)i);
	usage();
}

int
main(int argc, char *argv[])
{
	struct rlimit	 rl;
	struct timeval	 tv;
	const char	*errstr, *proxy = NULL;
	int		 ch, port = 0, limit = 600, bset = 0;

	while ((ch = getopt(argc, argv, "a:b:c:k:L:l:m:n:p:s:t:V")) != -1) {
		switch (ch) {
		case 'a':
			lg_naddrs = strtonum(optarg, 1, 254, &errstr);
			if (errstr != NULL)
				errx(2, "addresses %s: %s", optarg, errstr);
			break;
		case 'b':
			lg_bytes = bg_size(optarg);
			bset = 1;
			break;
		case 'c':
			lg_conc = strtonum(optarg, 1, 100000, &errstr);
			if (errstr != NULL)
				errx(2, "concurrency %s: %s", optarg, errstr);
			break;
		case 'k':
			lg_pids_parse(optarg);
			break;
		case 'L':
			port = strtonum(optarg, 1, 65535, &errstr);
			if (errstr != NULL)
				errx(2, "port %s: %s", optarg, errstr);
			break;
		case 'l':
			if ((lg_level = bg_level(optarg)) == -1)
				errx(2, "level %s: clear, integrity or "
				    "confidentiality", optarg);
			break;
		case 'm':
			lg_mode = lg_modebyname(optarg);
			break;
		case 'n':
			lg_nsess = strtonum(optarg, 1, 100000, &errstr);
			if (errstr != NULL)
				errx(2, "sessions %s: %s", optarg, errstr);
			break;
		case 'p':
			proxy = optarg;
			break;
		case 's':
			lg_service = optarg;
			break;
		case 't':
			limit = strtonum(optarg, 1, 3600, &errstr);
			if (errstr != NULL)
				errx(2, "seconds %s: %s", optarg, errstr);
			break;
		case 'V':
			lg_verify = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	lg_test = lg_testbyname(argv[0]);
	if ((lg_test == T_DOWN || lg_test == T_UP) && lg_nsess != 1)
		errx(2, "down and up are one session (-n 1)");
	lg_idledata = lg_test == T_IDLE && bset;
	if (lg_idledata && lg_bytes == 0)
		errx(2, "idle -b: at least one byte");
	if (lg_mode != M_DIRECT && proxy == NULL)
		errx(2, "-p is needed but for -m direct");
	if (proxy != NULL)
		lg_addr_parse(proxy, &lg_proxy);

	/* Two descriptors per session: the client's and the target's. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	event_init();
	lg_listen(port);
	lg_prepare();
	timerclear(&tv);
	tv.tv_sec = limit;
	evtimer_set(&lg_deadline, lg_timeout, NULL);
	evtimer_add(&lg_deadline, &tv);
	signal_set(&lg_evterm, SIGTERM, lg_sigterm, NULL);
	signal_add(&lg_evterm, NULL);

	lg_t0 = bg_now();
	lg_cpu0 = lg_cpu();
	lg_mycpu0 = lg_mycpu();
	lg_sess_start();
	event_dispatch();
	return (lg_failures > 0 || lg_finished == 0);
}

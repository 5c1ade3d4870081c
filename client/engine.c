/*
 * The event-loop engine: one session per connection to the proxy, its
 * buffers and events, the non-blocking connect, the negotiation's I/O and
 * the relay between the proxy and the local side.
 *
 * Buffers are allocated once per session.  Data from the local side is
 * read straight into the proxy's output buffer, past room for a frame
 * header, and wrapped in place; data from the proxy is unwrapped into the
 * local output buffer, or at clear level read there directly.  A side is
 * read only while the buffer it feeds has room for what one read can
 * produce, which is all the flow control there is.
 *
 * BIND's wait for the peer (GS_ST_BOUND) reads the local side into the
 * early buffer, so that what the client sends meanwhile goes first once
 * the relay starts, and its EOF is noticed.  A UDP association's control
 * connections carry nothing: a byte from the local side is dropped, and
 * an EOF from either side ends the association.
 *
 * Any function here or in negotiate.c, gss.c and udp.c that takes a
 * session and returns -1 has ended the session already (gsocks.h names
 * the exceptions): the caller must return without touching it.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "gsocks.h"

#define GS_FRAMEMAX	(GSSF_HDRLEN + GSSF_MAXTOKEN)
#define GS_INSIZE	GS_FRAMEMAX		/* one whole frame */
#define GS_OUTSIZE	(2 * GS_FRAMEMAX)
#define GS_LSIZE	(2 * 65536)

/* Bits of s_evon: which events are added. */
#define GS_EV_RD	0x01
#define GS_EV_WR	0x02
#define GS_EV_LRD	0x04
#define GS_EV_LWR	0x08
#define GS_EV_TIMER	0x10

/* "[address]:port" of a resolved proxy address. */
#define GS_AISTRLEN	(NI_MAXHOST + NI_MAXSERV + 4)

static int	gsbuf_init(struct gs_buf *, size_t);
static void	gsbuf_free(struct gs_buf *);
static uint8_t	*gsbuf_tail(struct gs_buf *);
static size_t	gsbuf_space(const struct gs_buf *);
static void	gsbuf_compact(struct gs_buf *);
static int	engine_early(struct gs_session *);
static int	engine_ev(struct gs_session *, struct event *, int, int);
static int	engine_update(struct gs_session *);
static void	engine_progress(struct gs_session *);
static int	engine_connect_next(struct gs_session *);
static int	engine_connect_one(struct gs_session *, struct addrinfo *);
static void	engine_connected(struct gs_session *);
static int	engine_down(struct gs_session *);
static int	engine_lrd_early(struct gs_session *, int);
static int	engine_lrd_udp(struct gs_session *, int);
static void	engine_rd(int, short, void *);
static void	engine_wr(int, short, void *);
static void	engine_lrd(int, short, void *);
static void	engine_lwr(int, short, void *);
static void	engine_timeout(int, short, void *);
static const char *engine_statestr(enum gs_state);

static int
gsbuf_init(struct gs_buf *b, size_t size)
{
	memset(b, 0, sizeof(*b));
	if ((b->b_data = malloc(size)) == NULL)
		return (-1);
	b->b_size = size;
	return (0);
}

static void
gsbuf_free(struct gs_buf *b)
{
	/* Plaintext of a protected session lives here. */
	freezero(b->b_data, b->b_size);
	memset(b, 0, sizeof(*b));
}

static uint8_t *
gsbuf_tail(struct gs_buf *b)
{
	return (b->b_data + b->b_off + b->b_len);
}

/* Room at the tail once the buffer is compacted. */
static size_t
gsbuf_space(const struct gs_buf *b)
{
	return (b->b_size - b->b_len);
}

static void
gsbuf_compact(struct gs_buf *b)
{
	if (b->b_off == 0)
		return;
	if (b->b_len > 0)
		memmove(b->b_data, b->b_data + b->b_off, b->b_len);
	b->b_off = 0;
}

void
gsbuf_consume(struct gs_buf *b, size_t n)
{
	b->b_off += n;
	b->b_len -= n;
	if (b->b_len == 0)
		b->b_off = 0;
}

struct gs_session *
engine_session_new(const struct gs_conf *conf, const struct gs_local *local,
    void *arg, int lin, int lout, const struct socks_addr *dst)
{
	struct gs_session	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (NULL);
	if (gsbuf_init(&s->s_in, GS_INSIZE) == -1 ||
	    gsbuf_init(&s->s_out, GS_OUTSIZE) == -1 ||
	    gsbuf_init(&s->s_lbuf, GS_LSIZE) == -1) {
		gsbuf_free(&s->s_in);
		gsbuf_free(&s->s_out);
		free(s);
		return (NULL);
	}
	s->s_conf = conf;
	s->s_local = local;
	s->s_localarg = arg;
	s->s_dst = *dst;
	s->s_cmd = SOCKS_CMD_CONNECT;
	s->s_rep = SOCKS_REP_FAILURE;
	s->s_fd = -1;
	s->s_lin = lin;
	s->s_lout = lout;
	s->s_ctx = GSS_C_NO_CONTEXT;
	s->s_target = GSS_C_NO_NAME;
	s->s_state = GS_ST_CONNECT;
	event_set(&s->s_ev_lrd, lin, EV_READ | EV_PERSIST, engine_lrd, s);
	event_set(&s->s_ev_lwr, lout, EV_WRITE | EV_PERSIST, engine_lwr, s);
	evtimer_set(&s->s_ev_timer, engine_timeout, s);
	return (s);
}

/*
 * Bytes the local side sent before the session was set up (a client that
 * does not wait for the SOCKS reply): they go to the proxy first, once
 * the relay starts.  Called before engine_session_start().
 */
int
engine_session_early(struct gs_session *s, const void *data, size_t len)
{
	if (len > sizeof(s->s_early) - s->s_earlylen)
		return (-1);
	memcpy(s->s_early + s->s_earlylen, data, len);
	s->s_earlylen += len;
	return (0);
}

/*
 * Bytes for the local side ahead of the relayed data, such as the SOCKS
 * reply of a bridge; from lo_ready, when the local buffer is empty.
 */
int
engine_local_send(struct gs_session *s, const void *data, size_t len)
{
	gsbuf_compact(&s->s_lbuf);
	if (gsbuf_space(&s->s_lbuf) < len)
		return (-1);
	memcpy(gsbuf_tail(&s->s_lbuf), data, len);
	s->s_lbuf.b_len += len;
	return (0);
}

/* Start connecting; from here on, the end is reported through lo_done. */
void
engine_session_start(struct gs_session *s)
{
	struct timeval	tv;

	if (s->s_conf->gc_timeout > 0) {
		timerclear(&tv);
		tv.tv_sec = s->s_conf->gc_timeout;
		if (evtimer_add(&s->s_ev_timer, &tv) == -1) {
			engine_fail(s, GS_EXIT_LOCAL, "cannot set a timer");
			return;
		}
		s->s_evon |= GS_EV_TIMER;
	}
	s->s_ai = s->s_conf->gc_proxyai;
	(void)engine_connect_next(s);
}

void
engine_end(struct gs_session *s, int status)
{
	(void)engine_ev(s, &s->s_ev_rd, GS_EV_RD, 0);
	(void)engine_ev(s, &s->s_ev_wr, GS_EV_WR, 0);
	(void)engine_ev(s, &s->s_ev_lrd, GS_EV_LRD, 0);
	(void)engine_ev(s, &s->s_ev_lwr, GS_EV_LWR, 0);
	(void)engine_ev(s, &s->s_ev_timer, GS_EV_TIMER, 0);
	if (s->s_fd != -1)
		close(s->s_fd);
	if (s->s_state == GS_ST_RELAY || s->s_state == GS_ST_DONE)
		log_debug("%s%ssession to %s ended: %llu bytes sent, "
		    "%llu bytes received", s->s_label,
		    s->s_label[0] != '\0' ? ": " : "", s->s_conf->gc_proxystr,
		    s->s_bytes_up, s->s_bytes_down);
	s->s_state = GS_ST_DONE;
	if (s->s_udp != NULL) {
		udp_free(s->s_udp);
		s->s_udp = NULL;
	}
	sec_end(s);
	explicit_bzero(s->s_early, sizeof(s->s_early));
	gsbuf_free(&s->s_in);
	gsbuf_free(&s->s_out);
	gsbuf_free(&s->s_lbuf);
	s->s_local->lo_done(s, status);
	free(s);
}

/* Say why the session ends, named by its label if it has one. */
void
engine_fail(struct gs_session *s, int status, const char *fmt, ...)
{
	char	msg[1400];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->s_label[0] != '\0')
		log_warnx("%s: %s", s->s_label, msg);
	else
		log_warnx("%s", msg);
	engine_end(s, status);
}

/* Queue negotiation bytes for the proxy. */
int
engine_send(struct gs_session *s, const void *data, size_t len)
{
	gsbuf_compact(&s->s_out);
	if (gsbuf_space(&s->s_out) < len) {
		engine_fail(s, GS_EXIT_LOCAL, "output buffer full");
		return (-1);
	}
	memcpy(gsbuf_tail(&s->s_out), data, len);
	s->s_out.b_len += len;
	return (0);
}

int
engine_send_frame(struct gs_session *s, uint8_t mtyp, const void *tok,
    size_t len)
{
	uint8_t	hdr[GSSF_HDRLEN];

	if (len > GSSF_MAXTOKEN) {
		engine_fail(s, GS_EXIT_LOCAL, "a GSS-API token of %zu bytes "
		    "does not fit an RFC 1961 message", len);
		return (-1);
	}
	gsbuf_compact(&s->s_out);
	if (gsbuf_space(&s->s_out) < GSSF_HDRLEN + len) {
		engine_fail(s, GS_EXIT_LOCAL, "output buffer full");
		return (-1);
	}
	gssframe_header(hdr, mtyp, len);
	memcpy(gsbuf_tail(&s->s_out), hdr, sizeof(hdr));
	s->s_out.b_len += sizeof(hdr);
	memcpy(gsbuf_tail(&s->s_out), tok, len);
	s->s_out.b_len += len;
	return (0);
}

/*
 * Wrap data into an mtyp 3 frame at the tail of the output buffer.  The
 * data may itself lie at the tail, past the header's room: gss_wrap has
 * read it by the time the token is copied over it.  The caller made sure
 * the buffer has room for a whole frame.
 */
int
engine_send_wrapped(struct gs_session *s, const void *data, size_t len)
{
	uintptr_t	 d = (uintptr_t)data, b = (uintptr_t)s->s_out.b_data;
	uint8_t		*hdr;
	size_t		 room, toklen;

	if (d < b || d >= b + s->s_out.b_size)
		gsbuf_compact(&s->s_out);
	hdr = gsbuf_tail(&s->s_out);
	room = s->s_out.b_size - s->s_out.b_off - s->s_out.b_len;
	if (room < GS_FRAMEMAX) {
		engine_fail(s, GS_EXIT_LOCAL, "output buffer full");
		return (-1);
	}
	if (sec_wrap(s, data, len, hdr + GSSF_HDRLEN, GSSF_MAXTOKEN,
	    &toklen) == -1)
		return (-1);
	gssframe_header(hdr, GSSF_MTYP_DATA, toklen);
	s->s_out.b_len += GSSF_HDRLEN + toklen;
	return (0);
}

/*
 * Tell the proxy we give up.  Best effort: the session ends right after,
 * and during the negotiation our output is all but always flushed.
 */
void
engine_abort(struct gs_session *s)
{
	if (s->s_fd != -1 && s->s_out.b_len == 0)
		(void)write(s->s_fd, gssframe_abort, sizeof(gssframe_abort));
}

/*
 * BIND's first reply: the proxy listens at bnd.  The local side is told,
 * and the session waits for the second reply as long as the proxy does
 * (its timeout.connect), without a timer of its own.
 */
int
engine_bound(struct gs_session *s, const struct socks_addr *bnd)
{
	(void)engine_ev(s, &s->s_ev_timer, GS_EV_TIMER, 0);
	s->s_state = GS_ST_BOUND;
	if (s->s_local->lo_bound == NULL ||
	    s->s_local->lo_bound(s, bnd) == -1) {
		engine_fail(s, GS_EXIT_LOCAL, "cannot answer %s",
		    s->s_local->lo_outname);
		return (-1);
	}
	return (0);
}

/* The proxy accepted the request: relay from now on. */
int
engine_relay_start(struct gs_session *s, const struct socks_addr *bnd)
{
	struct socks_addr	lbnd;

	(void)engine_ev(s, &s->s_ev_timer, GS_EV_TIMER, 0);
	/* A UDP association's control connection carries no data. */
	if (s->s_wrapped && s->s_udp == NULL && sec_maxplain(s) == -1)
		return (-1);
	if (s->s_udp != NULL) {
		/* The local client learns where to send its datagrams. */
		if (udp_start(s, bnd, &lbnd) == -1)
			return (-1);
		bnd = &lbnd;
	}
	s->s_state = GS_ST_RELAY;
	if (s->s_local->lo_ready != NULL &&
	    s->s_local->lo_ready(s, bnd) == -1) {
		engine_fail(s, GS_EXIT_LOCAL, "cannot answer %s",
		    s->s_local->lo_outname);
		return (-1);
	}
	if (engine_early(s) == -1)
		return (-1);

	/* What the proxy sent past the reply is the first of the data. */
	if (!s->s_wrapped && s->s_in.b_len > 0) {
		gsbuf_compact(&s->s_lbuf);
		if (gsbuf_space(&s->s_lbuf) < s->s_in.b_len) {
			engine_fail(s, GS_EXIT_LOCAL, "local buffer full");
			return (-1);
		}
		memcpy(gsbuf_tail(&s->s_lbuf), s->s_in.b_data + s->s_in.b_off,
		    s->s_in.b_len);
		s->s_lbuf.b_len += s->s_in.b_len;
		s->s_bytes_down += s->s_in.b_len;
		gsbuf_consume(&s->s_in, s->s_in.b_len);
	}
	return (engine_down(s));
}

/* What the local side sent early goes first, as if read just now. */
static int
engine_early(struct gs_session *s)
{
	size_t	len = s->s_earlylen;
	int	r;

	if (len == 0)
		return (0);
	if (s->s_wrapped)
		r = engine_send_wrapped(s, s->s_early, len);
	else
		r = engine_send(s, s->s_early, len);
	if (r == -1)
		return (-1);
	explicit_bzero(s->s_early, len);
	s->s_earlylen = 0;
	s->s_bytes_up += len;
	return (0);
}

static int
engine_ev(struct gs_session *s, struct event *ev, int bit, int want)
{
	if (want && !(s->s_evon & bit)) {
		if (event_add(ev, NULL) == -1)
			return (-1);
		s->s_evon |= bit;
	} else if (!want && (s->s_evon & bit)) {
		event_del(ev);
		s->s_evon &= ~bit;
	}
	return (0);
}

/* Watch exactly what the session's state and buffers allow. */
static int
engine_update(struct gs_session *s)
{
	int	relay = s->s_state == GS_ST_RELAY;
	int	rd, wr, lrd, lwr;

	if (relay && !s->s_wrapped)
		rd = !s->s_eof && gsbuf_space(&s->s_lbuf) > 0;
	else
		rd = !s->s_eof && gsbuf_space(&s->s_in) > 0 &&
		    s->s_state != GS_ST_CONNECT;
	wr = s->s_out.b_len > 0 || s->s_state == GS_ST_CONNECT;
	if (s->s_state == GS_ST_BOUND)
		lrd = !s->s_leof && s->s_earlylen < sizeof(s->s_early);
	else if (relay && s->s_udp != NULL)
		lrd = !s->s_leof;
	else
		lrd = relay && !s->s_leof && gsbuf_space(&s->s_out) >=
		    (s->s_wrapped ? GS_FRAMEMAX : 1);
	lwr = relay && !s->s_lshut && s->s_lbuf.b_len > 0;

	if (engine_ev(s, &s->s_ev_rd, GS_EV_RD, rd) == -1 ||
	    engine_ev(s, &s->s_ev_wr, GS_EV_WR, wr) == -1) {
		engine_fail(s, GS_EXIT_LOCAL, "cannot watch the connection "
		    "to the proxy: %s", strerror(errno));
		return (-1);
	}
	if (engine_ev(s, &s->s_ev_lrd, GS_EV_LRD, lrd) == -1) {
		engine_fail(s, GS_EXIT_LOCAL, "cannot watch %s: %s",
		    s->s_local->lo_inname, strerror(errno));
		return (-1);
	}
	if (engine_ev(s, &s->s_ev_lwr, GS_EV_LWR, lwr) == -1) {
		engine_fail(s, GS_EXIT_LOCAL, "cannot watch %s: %s",
		    s->s_local->lo_outname, strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * After any I/O: pass EOFs on once their data is through, end the
 * session when both directions are finished, else watch what is due.
 */
static void
engine_progress(struct gs_session *s)
{
	int	downdone, updone;

	if (s->s_state == GS_ST_RELAY && s->s_udp != NULL &&
	    (s->s_eof || s->s_leof)) {
		log_debug("%s%sthe %s closed the control connection: the UDP "
		    "association ends", s->s_label, s->s_label[0] != '\0' ?
		    ": " : "", s->s_eof ? "proxy" : "local client");
		engine_end(s, GS_EXIT_OK);
		return;
	}
	if (s->s_state == GS_ST_RELAY) {
		if (s->s_leof && !s->s_shut && s->s_out.b_len == 0) {
			/* RFC 1961 has no EOF token: a half-close is it. */
			if (shutdown(s->s_fd, SHUT_WR) == -1)
				log_debug("shutdown: %s", strerror(errno));
			s->s_shut = 1;
		}
		downdone = s->s_eof && s->s_in.b_len == 0 &&
		    s->s_lbuf.b_len == 0;
		updone = s->s_leof && s->s_shut;
		if (downdone && !s->s_lshut && !s->s_local->lo_upeof_ends) {
			if (shutdown(s->s_lout, SHUT_WR) == -1 &&
			    errno != ENOTSOCK)
				log_debug("shutdown: %s", strerror(errno));
			s->s_lshut = 1;
		}
		if ((downdone && s->s_local->lo_upeof_ends) ||
		    (downdone && updone)) {
			engine_end(s, GS_EXIT_OK);
			return;
		}
	}
	(void)engine_update(s);
}

static int
engine_connect_next(struct gs_session *s)
{
	int	saved = 0;

	for (; s->s_ai != NULL; s->s_ai = s->s_ai->ai_next) {
		if (engine_connect_one(s, s->s_ai) == 0)
			return (engine_update(s));
		saved = errno;
	}
	engine_fail(s, GS_EXIT_IO, "cannot connect to the proxy %s: %s",
	    s->s_conf->gc_proxystr, strerror(saved ? saved : ECONNREFUSED));
	return (-1);
}

static const char *
engine_aistr(const struct addrinfo *ai, char *buf, size_t len)
{
	char	host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host),
	    serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		(void)strlcpy(buf, "?", len);
	else if (ai->ai_family == AF_INET6)
		(void)snprintf(buf, len, "[%s]:%s", host, serv);
	else
		(void)snprintf(buf, len, "%s:%s", host, serv);
	return (buf);
}

/* Begin a non-blocking connect; its result comes as writability. */
static int
engine_connect_one(struct gs_session *s, struct addrinfo *ai)
{
	char	addr[GS_AISTRLEN];
	int	fd, saved;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return (-1);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
	    errno != EINPROGRESS) {
		saved = errno;
		log_debug("connect to %s: %s", engine_aistr(ai, addr,
		    sizeof(addr)), strerror(saved));
		close(fd);
		errno = saved;
		return (-1);
	}
	s->s_fd = fd;
	event_set(&s->s_ev_rd, fd, EV_READ | EV_PERSIST, engine_rd, s);
	event_set(&s->s_ev_wr, fd, EV_WRITE | EV_PERSIST, engine_wr, s);
	return (0);
}

static void
engine_connect_failed(struct gs_session *s, int error)
{
	char	addr[GS_AISTRLEN];

	log_debug("connect to %s: %s", engine_aistr(s->s_ai, addr,
	    sizeof(addr)), strerror(error));
	(void)engine_ev(s, &s->s_ev_rd, GS_EV_RD, 0);
	(void)engine_ev(s, &s->s_ev_wr, GS_EV_WR, 0);
	close(s->s_fd);
	s->s_fd = -1;
	s->s_ai = s->s_ai->ai_next;
	errno = error;
	if (s->s_ai == NULL) {
		engine_fail(s, GS_EXIT_IO, "cannot connect to the proxy %s: "
		    "%s", s->s_conf->gc_proxystr, strerror(error));
		return;
	}
	(void)engine_connect_next(s);
}

static void
engine_connected(struct gs_session *s)
{
	char	addr[GS_AISTRLEN];
	int	on = 1;

	/* Every write is a whole message or frame: don't hold it back. */
	if (setsockopt(s->s_fd, IPPROTO_TCP, TCP_NODELAY, &on,
	    sizeof(on)) == -1)
		log_debug("TCP_NODELAY: %s", strerror(errno));
	log_debug("connected to the proxy %s at %s", s->s_conf->gc_proxystr,
	    engine_aistr(s->s_ai, addr, sizeof(addr)));
	if (nego_start(s) == -1)
		return;
	engine_progress(s);
}

/*
 * Unwrap whole frames from the proxy into the local buffer for as long as
 * it has room for the next one.
 */
static int
engine_down(struct gs_session *s)
{
	enum gssf_status	 st;
	uint8_t			*p;
	size_t			 toklen, plen;

	if (!s->s_wrapped)
		return (0);
	for (;;) {
		p = s->s_in.b_data + s->s_in.b_off;
		st = gssframe_parse(p, s->s_in.b_len, GSSF_MTYP_DATA, &toklen);
		if (st == GSSF_MORE)
			break;
		if (st == GSSF_ABORT) {
			engine_fail(s, GS_EXIT_IO, "the proxy aborted the "
			    "session");
			return (-1);
		}
		if (st != GSSF_OK) {
			engine_fail(s, GS_EXIT_IO, "protocol error from the "
			    "proxy: %s", gssframe_strerror(st));
			return (-1);
		}
		gsbuf_compact(&s->s_lbuf);
		/* The plaintext is never longer than its token. */
		if (gsbuf_space(&s->s_lbuf) < toklen)
			return (0);
		if (sec_unwrap(s, p + GSSF_HDRLEN, toklen,
		    gsbuf_tail(&s->s_lbuf), gsbuf_space(&s->s_lbuf),
		    &plen) == -1)
			return (-1);
		s->s_lbuf.b_len += plen;
		s->s_bytes_down += plen;
		gsbuf_consume(&s->s_in, GSSF_HDRLEN + toklen);
	}
	if (s->s_eof && s->s_in.b_len > 0) {
		engine_fail(s, GS_EXIT_IO, "the proxy closed the connection "
		    "in the middle of a message");
		return (-1);
	}
	return (0);
}

static void
engine_rd(int fd, short event, void *arg)
{
	struct gs_session	*s = arg;
	struct gs_buf		*b;
	ssize_t			 n;

	(void)event;
	b = (s->s_state == GS_ST_RELAY && !s->s_wrapped) ?
	    &s->s_lbuf : &s->s_in;
	gsbuf_compact(b);
	/* A read of 0 bytes would look like EOF. */
	if (gsbuf_space(b) == 0) {
		(void)engine_update(s);
		return;
	}
	if ((n = read(fd, gsbuf_tail(b), gsbuf_space(b))) == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		engine_fail(s, GS_EXIT_IO, "read from the proxy %s: %s",
		    s->s_conf->gc_proxystr, strerror(errno));
		return;
	}
	if (n == 0)
		s->s_eof = 1;
	b->b_len += n;
	if (s->s_state != GS_ST_RELAY) {
		if (nego_input(s) == -1)
			return;
	} else if (s->s_wrapped) {
		if (engine_down(s) == -1)
			return;
	} else
		s->s_bytes_down += n;
	engine_progress(s);
}

static void
engine_wr(int fd, short event, void *arg)
{
	struct gs_session	*s = arg;
	socklen_t		 len;
	ssize_t			 n;
	int			 error;

	(void)event;
	if (s->s_state == GS_ST_CONNECT) {
		len = sizeof(error);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1)
			error = errno;
		if (error != 0)
			engine_connect_failed(s, error);
		else
			engine_connected(s);
		return;
	}
	n = write(fd, s->s_out.b_data + s->s_out.b_off, s->s_out.b_len);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		engine_fail(s, GS_EXIT_IO, "write to the proxy %s: %s",
		    s->s_conf->gc_proxystr, strerror(errno));
		return;
	}
	gsbuf_consume(&s->s_out, n);
	engine_progress(s);
}

static void
engine_lrd(int fd, short event, void *arg)
{
	struct gs_session	*s = arg;
	uint8_t			*p;
	size_t			 max;
	ssize_t			 n;

	(void)event;
	if (s->s_state == GS_ST_BOUND) {
		if (engine_lrd_early(s, fd) == -1)
			return;
		engine_progress(s);
		return;
	}
	if (s->s_udp != NULL) {
		if (engine_lrd_udp(s, fd) == -1)
			return;
		engine_progress(s);
		return;
	}
	gsbuf_compact(&s->s_out);
	p = gsbuf_tail(&s->s_out);
	max = gsbuf_space(&s->s_out);
	if (s->s_wrapped) {
		p += GSSF_HDRLEN;
		max = max < GS_FRAMEMAX ? 0 : s->s_maxplain;
	}
	if (max == 0) {
		(void)engine_update(s);
		return;
	}
	if ((n = read(fd, p, max)) == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		engine_fail(s, GS_EXIT_IO, "read from %s: %s",
		    s->s_local->lo_inname, strerror(errno));
		return;
	}
	if (n == 0) {
		log_debug("end of %s", s->s_local->lo_inname);
		s->s_leof = 1;
	} else if (s->s_wrapped) {
		if (engine_send_wrapped(s, p, n) == -1)
			return;
	} else
		s->s_out.b_len += n;
	s->s_bytes_up += n;
	engine_progress(s);
}

/*
 * While BIND waits for its peer: what the local client sends is kept for
 * the relay.  Its EOF ends the session, as it ends the proxy's wait.
 */
static int
engine_lrd_early(struct gs_session *s, int fd)
{
	ssize_t	n;

	n = read(fd, s->s_early + s->s_earlylen,
	    sizeof(s->s_early) - s->s_earlylen);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return (0);
		engine_fail(s, GS_EXIT_IO, "read from %s: %s",
		    s->s_local->lo_inname, strerror(errno));
		return (-1);
	}
	if (n == 0) {
		log_debug("%s%s%s left before the BIND peer came",
		    s->s_label, s->s_label[0] != '\0' ? ": " : "",
		    s->s_local->lo_inname);
		s->s_leof = 1;
		engine_end(s, GS_EXIT_OK);
		return (-1);
	}
	s->s_earlylen += n;
	return (0);
}

/* A UDP association's control connection: only its EOF matters. */
static int
engine_lrd_udp(struct gs_session *s, int fd)
{
	uint8_t	buf[512];
	ssize_t	n;

	if ((n = read(fd, buf, sizeof(buf))) == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return (0);
		engine_fail(s, GS_EXIT_IO, "read from %s: %s",
		    s->s_local->lo_inname, strerror(errno));
		return (-1);
	}
	if (n == 0)
		s->s_leof = 1;
	else
		log_debug("%s%s%zd bytes on the control connection of a UDP "
		    "association, dropped", s->s_label,
		    s->s_label[0] != '\0' ? ": " : "", n);
	return (0);
}

static void
engine_lwr(int fd, short event, void *arg)
{
	struct gs_session	*s = arg;
	ssize_t			 n;

	(void)event;
	n = write(fd, s->s_lbuf.b_data + s->s_lbuf.b_off, s->s_lbuf.b_len);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		engine_fail(s, GS_EXIT_IO, "write to %s: %s",
		    s->s_local->lo_outname, strerror(errno));
		return;
	}
	gsbuf_consume(&s->s_lbuf, n);
	/* Room again: frames held back for it can be unwrapped now. */
	if (engine_down(s) == -1)
		return;
	engine_progress(s);
}

static const char *
engine_statestr(enum gs_state st)
{
	switch (st) {
	case GS_ST_CONNECT:
		return ("connecting to the proxy");
	case GS_ST_METHOD:
		return ("waiting for the proxy's method selection");
	case GS_ST_AUTH:
		return ("during GSS-API authentication");
	case GS_ST_PROTECT:
		return ("negotiating the protection level");
	case GS_ST_REPLY:
		return ("waiting for the reply to the request");
	case GS_ST_BOUND:
		return ("waiting for the BIND peer");
	default:
		return ("");
	}
}

static void
engine_timeout(int fd, short event, void *arg)
{
	struct gs_session	*s = arg;

	(void)fd;
	(void)event;
	s->s_evon &= ~GS_EV_TIMER;
	engine_fail(s, GS_EXIT_IO, "timed out after %d seconds %s (proxy %s)",
	    s->s_conf->gc_timeout, engine_statestr(s->s_state),
	    s->s_conf->gc_proxystr);
}

/*
 * The client's side of the negotiation with the proxy, one message at a
 * time as the bytes arrive: RFC 1928 method selection, RFC 1961 context
 * establishment (mtyp 1) and protection level (mtyp 2), then the request
 * and its reply, encapsulated in mtyp 3 tokens unless the level is clear.
 * BIND has two replies: the address the proxy listens on, then the peer
 * that connected to it; both come here, each a message (a token) of its
 * own.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "gsocks.h"

static int	nego_method(struct gs_session *);
static int	nego_auth(struct gs_session *);
static int	nego_authdone(struct gs_session *);
static int	nego_protect(struct gs_session *);
static const char *nego_cmdverb(uint8_t);
static int	nego_request(struct gs_session *);
static int	nego_reply(struct gs_session *);
static int	nego_reply_frame(struct gs_session *, uint8_t *,
		    struct socks_addr *);
static int	nego_replied(struct gs_session *, uint8_t,
		    const struct socks_addr *);
static void	nego_eof(struct gs_session *);
static void	nego_badframe(struct gs_session *, enum gssf_status,
		    const char *);

static const char *
nego_methodname(uint8_t m)
{
	return (m == SOCKS_METHOD_NONE ? "none" : "GSS-API");
}

static uint8_t
nego_offered(struct gs_session *s)
{
	return (s->s_conf->gc_nomethod ? SOCKS_METHOD_NONE :
	    SOCKS_METHOD_GSSAPI);
}

/* Offer only the method asked for: 05 01 01 for GSS-API. */
int
nego_start(struct gs_session *s)
{
	uint8_t	buf[3], m;
	size_t	n;

	m = nego_offered(s);
	n = socks_greeting_encode(buf, sizeof(buf), &m, 1);
	if (engine_send(s, buf, n) == -1)
		return (-1);
	log_debug("offering method %s", nego_methodname(m));
	s->s_state = GS_ST_METHOD;
	return (0);
}

/* Consume every whole message there is; 0 when more bytes are needed. */
int
nego_input(struct gs_session *s)
{
	int	r;

	for (;;) {
		switch (s->s_state) {
		case GS_ST_METHOD:
			r = nego_method(s);
			break;
		case GS_ST_AUTH:
			r = nego_auth(s);
			break;
		case GS_ST_PROTECT:
			r = nego_protect(s);
			break;
		case GS_ST_REPLY:
		case GS_ST_BOUND:
			r = nego_reply(s);
			break;
		default:
			return (0);
		}
		if (r == -1)
			return (-1);
		if (r == 0)
			break;
	}
	if (s->s_eof) {
		nego_eof(s);
		return (-1);
	}
	return (0);
}

static void
nego_eof(struct gs_session *s)
{
	const char	*proxy = s->s_conf->gc_proxystr;

	switch (s->s_state) {
	case GS_ST_AUTH:
		engine_fail(s, GS_EXIT_AUTH, "the proxy %s closed the "
		    "connection during GSS-API authentication", proxy);
		break;
	case GS_ST_PROTECT:
		engine_fail(s, GS_EXIT_LEVEL, "the proxy %s closed the "
		    "connection when asked for protection level %s", proxy,
		    sec_levelname(s->s_reqlevel));
		break;
	case GS_ST_BOUND:
		engine_fail(s, GS_EXIT_IO, "the proxy %s closed the "
		    "connection before the BIND peer came", proxy);
		break;
	default:
		engine_fail(s, GS_EXIT_IO, "the proxy %s closed the "
		    "connection during the negotiation", proxy);
		break;
	}
}

static void
nego_badframe(struct gs_session *s, enum gssf_status st, const char *when)
{
	engine_fail(s, GS_EXIT_IO, "protocol error from the proxy %s %s: %s",
	    s->s_conf->gc_proxystr, when, gssframe_strerror(st));
}

static int
nego_method(struct gs_session *s)
{
	uint8_t	m, want = nego_offered(s);
	ssize_t	n;

	n = socks_method_parse(s->s_in.b_data + s->s_in.b_off,
	    s->s_in.b_len, &m);
	if (n == 0)
		return (0);
	if (n == -1) {
		engine_fail(s, GS_EXIT_IO, "%s is not a SOCKS 5 proxy",
		    s->s_conf->gc_proxystr);
		return (-1);
	}
	gsbuf_consume(&s->s_in, n);
	if (m == SOCKS_METHOD_NOACCEPT) {
		engine_fail(s, GS_EXIT_AUTH, "the server refused the %s "
		    "method", nego_methodname(want));
		return (-1);
	}
	if (m != want) {
		engine_fail(s, GS_EXIT_IO, "the server chose method %u, "
		    "which was not offered", m);
		return (-1);
	}
	if (want == SOCKS_METHOD_NONE)
		return (nego_request(s) == -1 ? -1 : 1);

	if (sec_begin(s) == -1)
		return (-1);
	s->s_state = GS_ST_AUTH;
	switch (sec_step(s, NULL, 0)) {
	case -1:
		return (-1);
	case 0:
		return (1);
	default:
		return (nego_authdone(s));
	}
}

static int
nego_auth(struct gs_session *s)
{
	enum gssf_status	 st;
	uint8_t			*p = s->s_in.b_data + s->s_in.b_off;
	size_t			 toklen;
	int			 r;

	st = gssframe_parse(p, s->s_in.b_len, GSSF_MTYP_AUTH, &toklen);
	if (st == GSSF_MORE)
		return (0);
	if (st == GSSF_ABORT) {
		engine_fail(s, GS_EXIT_AUTH, "the server refused "
		    "authentication");
		return (-1);
	}
	if (st != GSSF_OK) {
		nego_badframe(s, st, "during authentication");
		return (-1);
	}
	if ((r = sec_step(s, p + GSSF_HDRLEN, toklen)) == -1)
		return (-1);
	gsbuf_consume(&s->s_in, GSSF_HDRLEN + toklen);
	return (r == 0 ? 1 : nego_authdone(s));
}

/* The context is established: ask for a protection level. */
static int
nego_authdone(struct gs_session *s)
{
	if (sec_level_send(s) == -1)
		return (-1);
	s->s_state = GS_ST_PROTECT;
	return (1);
}

static int
nego_protect(struct gs_session *s)
{
	enum gssf_status	 st;
	uint8_t			*p = s->s_in.b_data + s->s_in.b_off;
	size_t			 toklen;

	st = gssframe_parse(p, s->s_in.b_len, GSSF_MTYP_PROTECT, &toklen);
	if (st == GSSF_MORE)
		return (0);
	if (st == GSSF_ABORT) {
		engine_fail(s, GS_EXIT_LEVEL, "the server refused protection "
		    "level %s", sec_levelname(s->s_reqlevel));
		return (-1);
	}
	if (st != GSSF_OK) {
		nego_badframe(s, st, "during the protection level "
		    "negotiation");
		return (-1);
	}
	if (sec_level_recv(s, p + GSSF_HDRLEN, toklen) == -1)
		return (-1);
	gsbuf_consume(&s->s_in, GSSF_HDRLEN + toklen);
	return (nego_request(s) == -1 ? -1 : 1);
}

/* What the request asks of the proxy, for messages. */
static const char *
nego_cmdverb(uint8_t cmd)
{
	switch (cmd) {
	case SOCKS_CMD_BIND:
		return ("listen (BIND) for");
	case SOCKS_CMD_UDPASSOCIATE:
		return ("relay UDP (UDP ASSOCIATE) from");
	default:
		return ("connect to");
	}
}

static int
nego_request(struct gs_session *s)
{
	uint8_t	buf[SOCKS_MSG_MAX];
	char	dst[SOCKS_ADDRSTRLEN];
	size_t	n;
	int	r;

	/* UDP: the request names the socket our datagrams come from. */
	if (s->s_cmd == SOCKS_CMD_UDPASSOCIATE && udp_upstream(s) == -1)
		return (-1);
	n = socks_request_encode(buf, sizeof(buf), s->s_cmd, &s->s_dst);
	if (n == 0) {
		engine_fail(s, GS_EXIT_LOCAL, "cannot encode the request");
		return (-1);
	}
	log_debug("asking the proxy to %s %s", nego_cmdverb(s->s_cmd),
	    socks_addr_str(&s->s_dst, dst, sizeof(dst)));
	if (s->s_wrapped)
		r = engine_send_wrapped(s, buf, n);
	else
		r = engine_send(s, buf, n);
	if (r == -1)
		return (-1);
	s->s_state = GS_ST_REPLY;
	return (0);
}

static int
nego_reply(struct gs_session *s)
{
	struct socks_addr	 bnd;
	uint8_t			 rep;
	ssize_t			 n;
	int			 r;

	if (s->s_wrapped) {
		if ((r = nego_reply_frame(s, &rep, &bnd)) <= 0)
			return (r);
		return (nego_replied(s, rep, &bnd));
	}
	n = socks_reply_parse(s->s_in.b_data + s->s_in.b_off, s->s_in.b_len,
	    &rep, &bnd);
	if (n == 0)
		return (0);
	if (n == -1) {
		engine_fail(s, GS_EXIT_IO, "malformed reply from the proxy "
		    "%s", s->s_conf->gc_proxystr);
		return (-1);
	}
	gsbuf_consume(&s->s_in, n);
	return (nego_replied(s, rep, &bnd));
}

/* The reply in one mtyp 3 token, which must hold exactly the reply. */
static int
nego_reply_frame(struct gs_session *s, uint8_t *rep, struct socks_addr *bnd)
{
	enum gssf_status	 st;
	uint8_t			*p = s->s_in.b_data + s->s_in.b_off;
	uint8_t			 plain[SOCKS_MSG_MAX];
	size_t			 toklen, plen;
	ssize_t			 n;

	st = gssframe_parse(p, s->s_in.b_len, GSSF_MTYP_DATA, &toklen);
	if (st == GSSF_MORE)
		return (0);
	if (st == GSSF_ABORT) {
		engine_fail(s, GS_EXIT_IO, "the proxy %s aborted the session "
		    "after the request", s->s_conf->gc_proxystr);
		return (-1);
	}
	if (st != GSSF_OK) {
		nego_badframe(s, st, "in the reply");
		return (-1);
	}
	if (sec_unwrap(s, p + GSSF_HDRLEN, toklen, plain, sizeof(plain),
	    &plen) == -1)
		return (-1);
	n = socks_reply_parse(plain, plen, rep, bnd);
	if (n <= 0 || (size_t)n != plen) {
		engine_fail(s, GS_EXIT_IO, "malformed reply from the proxy "
		    "%s", s->s_conf->gc_proxystr);
		return (-1);
	}
	gsbuf_consume(&s->s_in, GSSF_HDRLEN + toklen);
	return (1);
}

static int
nego_replied(struct gs_session *s, uint8_t rep, const struct socks_addr *bnd)
{
	char	dst[SOCKS_ADDRSTRLEN], b[SOCKS_ADDRSTRLEN];

	socks_addr_str(&s->s_dst, dst, sizeof(dst));
	socks_addr_str(bnd, b, sizeof(b));
	s->s_rep = rep;
	if (rep != SOCKS_REP_SUCCEEDED) {
		if (s->s_state == GS_ST_BOUND)
			engine_fail(s, GS_EXIT_REQUEST, "BIND for %s: no peer "
			    "connected: %s", dst, socks_rep_str(rep));
		else
			engine_fail(s, GS_EXIT_REQUEST, "the proxy did not %s "
			    "%s: %s", nego_cmdverb(s->s_cmd), dst,
			    socks_rep_str(rep));
		return (-1);
	}
	switch (s->s_cmd) {
	case SOCKS_CMD_BIND:
		if (s->s_state == GS_ST_REPLY) {
			log_debug("the proxy listens at %s for %s", b, dst);
			return (engine_bound(s, bnd) == -1 ? -1 : 1);
		}
		log_debug("the BIND peer %s connected", b);
		break;
	case SOCKS_CMD_UDPASSOCIATE:
		log_debug("the proxy relays UDP at %s", b);
		break;
	default:
		log_debug("the proxy connected to %s from %s", dst, b);
		break;
	}
	if (engine_relay_start(s, bnd) == -1)
		return (-1);
	return (1);
}

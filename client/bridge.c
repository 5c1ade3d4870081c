/*
 * The listening modes.  "bridge" is a plain SOCKS 5 server (method none)
 * for the programs of this machine: each request it takes goes on
 * through the GSS-API proxy with the user's Kerberos credentials.
 * "forward" sends every connection it accepts to one fixed target, as
 * ssh -L does.
 *
 * Each accepted connection is a struct br_conn.  The bridge reads the
 * client's greeting and request itself; once the destination is known,
 * the connection becomes the local side of an engine session over the
 * same socket, and the engine's lo_ready and lo_done tell it how the
 * proxy answered.  A failure before the relay is answered with a SOCKS
 * reply: the proxy's own reply code when it refused the request, 01
 * (general failure) when the session could not get that far.
 *
 * Commands go through br_commands[].  CONNECT and BIND go upstream as
 * they came; BIND's first reply (where the proxy listens) is written to
 * the client as soon as it comes, its second (who connected) before the
 * relayed data.  UDP ASSOCIATE gets a datagram socket of the bridge's
 * own, on the address the client reached us at (udp.c), and the client
 * is told that address.  Locally everything is plain SOCKS 5; upstream
 * it is what the proxy and the level make it.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "gsocks.h"
#include "util.h"

#define BR_BUFSIZE	GS_EARLYMAX	/* greeting, request, early data */
#define BR_LISTENMAX	8		/* addresses one -b or -L binds */
#define BR_ACCEPTMAX	32		/* accepts per wakeup */
#define BR_LINGER	5		/* seconds to drain a refused client */
#define BR_BACKLOG	128
#define BR_PEERLEN	(NI_MAXHOST + NI_MAXSERV + 4)

enum br_state {
	BR_GREETING,		/* waiting for VER NMETHODS METHODS */
	BR_REQUEST,		/* waiting for the request */
	BR_UPSTREAM,		/* the engine negotiates with the proxy */
	BR_BOUND,		/* BIND's first reply is out */
	BR_RELAY,		/* the engine relays */
	BR_CLOSING		/* refused: draining until EOF or timeout */
};

struct br_conn {
	TAILQ_ENTRY(br_conn)	 c_entry;
	struct gs_server	*c_sv;
	unsigned long long	 c_id;
	enum br_state		 c_state;
	int			 c_fd;
	struct sockaddr_storage	 c_peer;
	char			 c_peerstr[BR_PEERLEN];
	struct event		 c_ev;		/* reads before the engine */
	struct event		 c_timer;
	int			 c_evon;
	uint8_t			 c_buf[BR_BUFSIZE];
	size_t			 c_len;
	struct gs_session	*c_s;
};

struct br_listener {
	int			 l_fd;
	struct event		 l_ev;
	char			 l_name[BR_PEERLEN];
};

struct br_command {
	uint8_t			 bc_cmd;
	const char		*bc_name;
	void			(*bc_start)(struct br_conn *,
				    const struct socks_req *);
};

static void	br_accept(int, short, void *);
static void	br_pause(int);
static void	br_resume(int, short, void *);
static void	br_conn_new(struct gs_server *, int,
		    const struct sockaddr_storage *);
static int	br_timeout_secs(const struct gs_server *);
static void	br_close(struct br_conn *);
static void	br_read(int, short, void *);
static void	br_timeout(int, short, void *);
static int	br_greeting(struct br_conn *);
static void	br_request(struct br_conn *);
static void	br_connect(struct br_conn *, const struct socks_req *);
static void	br_bind(struct br_conn *, const struct socks_req *);
static void	br_udp(struct br_conn *, const struct socks_req *);
static void	br_upstream(struct br_conn *, uint8_t,
		    const struct socks_addr *, struct gs_udp *);
static int	br_write(struct br_conn *, const void *, size_t);
static void	br_refuse(struct br_conn *, const uint8_t *, size_t);
static void	br_reply_fail(struct br_conn *, uint8_t);
static void	br_linger(struct br_conn *);
static int	br_ready(struct gs_session *, const struct socks_addr *);
static int	br_bound(struct gs_session *, const struct socks_addr *);
static void	br_done(struct gs_session *, int);
static void	br_signal(int, short, void *);
static const char *br_sastr(const struct sockaddr *, char *, size_t);

static const struct br_command br_commands[] = {
	{ SOCKS_CMD_CONNECT,	  "CONNECT",		br_connect },
	{ SOCKS_CMD_BIND,	  "BIND",		br_bind },
	{ SOCKS_CMD_UDPASSOCIATE, "UDP ASSOCIATE",	br_udp }
};

static const struct gs_local br_local = {
	"the local client",
	"the local client",
	0,		/* a socket: half-close it and go on */
	br_ready,
	br_done,
	br_bound
};

static TAILQ_HEAD(, br_conn) br_conns = TAILQ_HEAD_INITIALIZER(br_conns);
static struct br_listener br_listeners[BR_LISTENMAX];
static size_t		 br_nlisteners;
static int		 br_nconns;
static int		 br_paused;
static int		 br_exiting;
static int		 br_maxconn = GS_DEFAULT_MAXCONN;
static unsigned long long br_lastid;
static struct event	 br_ev_resume;
static struct event	 br_ev_sigint, br_ev_sigterm;

static int
br_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		return ((ntohl(sin->sin_addr.s_addr) >> 24) == 127);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return (1);
		return (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
		    sin6->sin6_addr.s6_addr[12] == 127);
	default:
		return (0);
	}
}

static const char *
br_sastr(const struct sockaddr *sa, char *buf, size_t len)
{
	char		host[NI_MAXHOST], serv[NI_MAXSERV];
	socklen_t	salen;

	salen = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if (getnameinfo(sa, salen, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		(void)strlcpy(buf, "?", len);
	else if (sa->sa_family == AF_INET6)
		(void)snprintf(buf, len, "[%s]:%s", host, serv);
	else
		(void)snprintf(buf, len, "%s:%s", host, serv);
	return (buf);
}

static int
br_listen_one(const struct addrinfo *ai)
{
	struct br_listener	*l;
	int			 fd, on = 1;

	if (br_nlisteners == BR_LISTENMAX) {
		log_warnx("more than %d addresses to listen on", BR_LISTENMAX);
		return (-1);
	}
	l = &br_listeners[br_nlisteners];
	br_sastr(ai->ai_addr, l->l_name, sizeof(l->l_name));
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1) {
		log_warn("socket for %s", l->l_name);
		return (-1);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)) {
		log_warn("setsockopt for %s", l->l_name);
		close(fd);
		return (-1);
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, BR_BACKLOG) == -1) {
		log_warn("cannot listen on %s", l->l_name);
		close(fd);
		return (-1);
	}
	if (!br_loopback(ai->ai_addr))
		log_warnx("warning: listening on %s, which is not a loopback "
		    "address: anyone who can reach it uses your Kerberos "
		    "identity through the proxy", l->l_name);
	l->l_fd = fd;
	br_nlisteners++;
	return (0);
}

/*
 * Listen on every address "host:port" resolves to; "*" is every
 * address, a bare port is 127.0.0.1.  Only an explicit address leaves
 * loopback, and br_listen_one() warns when it does.
 */
int
bridge_listen(struct gs_server *sv, const char *arg, int family)
{
	struct gs_hostport	 hp;
	struct addrinfo		 hints, *res, *ai;
	const char		*err = NULL, *host;
	char			 buf[NI_MAXHOST + 8];
	int			 error;

	(void)sv;
	if (strchr(arg, ':') == NULL) {
		(void)snprintf(buf, sizeof(buf), "127.0.0.1:%s", arg);
		arg = buf;
	}
	if (hostport_parse(arg, &hp, &err) == -1) {
		log_warnx("listen address %s: %s", arg, err);
		return (-1);
	}
	host = strcmp(hp.hp_host, "*") == 0 ? NULL : hp.hp_host;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((error = getaddrinfo(host, hp.hp_port, &hints, &res)) != 0) {
		log_warnx("listen address %s: %s", arg, gai_strerror(error));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (br_listen_one(ai) == -1) {
			freeaddrinfo(res);
			return (-1);
		}
	freeaddrinfo(res);
	return (0);
}

/* Stop accepting while at the limit, or for a second when out of fds. */
static void
br_pause(int secs)
{
	struct timeval	tv;
	size_t		i;

	if (!br_paused)
		for (i = 0; i < br_nlisteners; i++)
			event_del(&br_listeners[i].l_ev);
	br_paused = 1;
	if (secs > 0) {
		timerclear(&tv);
		tv.tv_sec = secs;
		evtimer_add(&br_ev_resume, &tv);
	}
}

static void
br_resume(int fd, short event, void *arg)
{
	size_t	i;

	(void)fd;
	(void)event;
	(void)arg;
	if (!br_paused || br_nconns >= br_maxconn)
		return;
	for (i = 0; i < br_nlisteners; i++)
		if (event_add(&br_listeners[i].l_ev, NULL) == -1)
			fatal("event_add");
	br_paused = 0;
}

static void
br_accept(int fd, short event, void *arg)
{
	struct gs_server	*sv = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 i, cfd;

	(void)event;
	for (i = 0; i < BR_ACCEPTMAX; i++) {
		if (br_nconns >= br_maxconn) {
			log_debug("%d connections: not accepting more for now",
			    br_nconns);
			br_pause(0);
			return;
		}
		len = sizeof(ss);
		cfd = accept4(fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				log_warn("accept");
				br_pause(1);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		br_conn_new(sv, cfd, &ss);
	}
}

static void
br_conn_new(struct gs_server *sv, int fd, const struct sockaddr_storage *ss)
{
	struct br_conn	*c;
	struct timeval	 tv;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("a new connection");
		close(fd);
		return;
	}
	c->c_sv = sv;
	c->c_id = ++br_lastid;
	c->c_fd = fd;
	c->c_peer = *ss;
	br_sastr((struct sockaddr *)ss, c->c_peerstr, sizeof(c->c_peerstr));
	TAILQ_INSERT_TAIL(&br_conns, c, c_entry);
	br_nconns++;
	event_set(&c->c_ev, fd, EV_READ | EV_PERSIST, br_read, c);
	evtimer_set(&c->c_timer, br_timeout, c);
	log_debug("connection %llu from %s", c->c_id, c->c_peerstr);

	if (sv->sv_mode == GS_MODE_FORWARD) {
		br_upstream(c, SOCKS_CMD_CONNECT, &sv->sv_target, NULL);
		return;
	}
	c->c_state = BR_GREETING;
	timerclear(&tv);
	tv.tv_sec = br_timeout_secs(sv);
	if (event_add(&c->c_ev, NULL) == -1 ||
	    evtimer_add(&c->c_timer, &tv) == -1) {
		log_warn("connection %llu", c->c_id);
		br_close(c);
		return;
	}
	c->c_evon = 1;
}

/* A local client gets as long for its request as the proxy does. */
static int
br_timeout_secs(const struct gs_server *sv)
{
	return (sv->sv_conf->gc_timeout > 0 ? sv->sv_conf->gc_timeout :
	    GS_DEFAULT_TIMEOUT);
}

static void
br_close(struct br_conn *c)
{
	if (c->c_evon) {
		event_del(&c->c_ev);
		evtimer_del(&c->c_timer);
	}
	close(c->c_fd);
	TAILQ_REMOVE(&br_conns, c, c_entry);
	br_nconns--;
	log_debug("connection %llu closed", c->c_id);
	freezero(c, sizeof(*c));
	if (br_paused && !br_exiting)
		br_resume(-1, 0, NULL);
}

static void
br_timeout(int fd, short event, void *arg)
{
	struct br_conn	*c = arg;

	(void)fd;
	(void)event;
	if (c->c_state != BR_CLOSING)
		log_warnx("connection %llu from %s: no SOCKS request after %d "
		    "seconds", c->c_id, c->c_peerstr,
		    br_timeout_secs(c->c_sv));
	br_close(c);
}

static void
br_read(int fd, short event, void *arg)
{
	struct br_conn	*c = arg;
	ssize_t		 n;

	(void)event;
	if (c->c_state == BR_CLOSING)
		c->c_len = 0;		/* drained, never looked at */
	n = read(fd, c->c_buf + c->c_len, sizeof(c->c_buf) - c->c_len);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		if (c->c_state != BR_CLOSING)
			log_debug("connection %llu: read: %s", c->c_id,
			    strerror(errno));
		br_close(c);
		return;
	}
	if (n == 0) {
		if (c->c_state != BR_CLOSING)
			log_debug("connection %llu closed before its request",
			    c->c_id);
		br_close(c);
		return;
	}
	if (c->c_state == BR_CLOSING)
		return;
	c->c_len += n;
	if (c->c_state == BR_GREETING) {
		if (br_greeting(c) <= 0)
			return;
	}
	br_request(c);
}

static void
br_consume(struct br_conn *c, size_t n)
{
	memmove(c->c_buf, c->c_buf + n, c->c_len - n);
	c->c_len -= n;
}

/*
 * The greeting: method none or nothing.  Returns 1 once it is answered,
 * 0 while more is needed, -1 if the connection is refused.
 */
static int
br_greeting(struct br_conn *c)
{
	uint8_t	methods[255], reply[2];
	size_t	nmethods;
	ssize_t	n;

	n = socks_greeting_parse(c->c_buf, c->c_len, methods, &nmethods);
	if (n == 0)
		return (0);
	if (n == -1) {
		log_warnx("connection %llu from %s: not a SOCKS 5 client",
		    c->c_id, c->c_peerstr);
		br_close(c);
		return (-1);
	}
	br_consume(c, n);
	if (memchr(methods, SOCKS_METHOD_NONE, nmethods) == NULL) {
		log_warnx("connection %llu from %s: the client does not offer "
		    "method none, the only one this bridge takes", c->c_id,
		    c->c_peerstr);
		(void)socks_method_encode(reply, sizeof(reply),
		    SOCKS_METHOD_NOACCEPT);
		br_refuse(c, reply, sizeof(reply));
		return (-1);
	}
	(void)socks_method_encode(reply, sizeof(reply), SOCKS_METHOD_NONE);
	if (br_write(c, reply, sizeof(reply)) == -1)
		return (-1);
	c->c_state = BR_REQUEST;
	return (1);
}

static void
br_request(struct br_conn *c)
{
	struct socks_req	 req;
	char			 dst[SOCKS_ADDRSTRLEN];
	uint8_t			 rep;
	ssize_t			 n;
	size_t			 i;

	memset(&req, 0, sizeof(req));
	n = socks_request_parse(c->c_buf, c->c_len, &req, &rep);
	if (n == 0)
		return;
	if (n == -1) {
		log_warnx("connection %llu from %s: %s request: %s", c->c_id,
		    c->c_peerstr, rep == SOCKS_REP_CMDUNSUPP ? "unknown" :
		    "malformed", socks_rep_str(rep));
		br_reply_fail(c, rep);
		return;
	}
	br_consume(c, n);
	socks_addr_str(&req.sr_addr, dst, sizeof(dst));
	for (i = 0; i < sizeof(br_commands) / sizeof(br_commands[0]); i++) {
		if (br_commands[i].bc_cmd != req.sr_cmd)
			continue;
		log_debug("connection %llu: %s %s", c->c_id,
		    br_commands[i].bc_name, dst);
		br_commands[i].bc_start(c, &req);
		return;
	}
	br_reply_fail(c, SOCKS_REP_CMDUNSUPP);
}

static void
br_connect(struct br_conn *c, const struct socks_req *req)
{
	br_upstream(c, SOCKS_CMD_CONNECT, &req->sr_addr, NULL);
}

static void
br_bind(struct br_conn *c, const struct socks_req *req)
{
	br_upstream(c, SOCKS_CMD_BIND, &req->sr_addr, NULL);
}

/*
 * The client's datagrams come to a socket on the address it reached us
 * at, from its host, and from the port its request names if it names
 * one.  Its request's address also chooses the route, as Dante's does.
 */
static void
br_udp(struct br_conn *c, const struct socks_req *req)
{
	struct sockaddr_storage	 local;
	socklen_t		 len = sizeof(local);
	struct gs_udp		*u;
	char			 what[64];

	(void)snprintf(what, sizeof(what), "connection %llu", c->c_id);
	if (getsockname(c->c_fd, (struct sockaddr *)&local, &len) == -1) {
		log_warn("%s: getsockname", what);
		br_reply_fail(c, SOCKS_REP_FAILURE);
		return;
	}
	if ((u = udp_new((struct sockaddr *)&local,
	    (struct sockaddr *)&c->c_peer, req->sr_addr.sa_port, what)) ==
	    NULL) {
		br_reply_fail(c, SOCKS_REP_FAILURE);
		return;
	}
	/* Nothing follows the request on a UDP control connection. */
	explicit_bzero(c->c_buf, c->c_len);
	c->c_len = 0;
	br_upstream(c, SOCKS_CMD_UDPASSOCIATE, &req->sr_addr, u);
}

/* "session N (peer to dst)", "session N (peer BIND dst)", ... */
static void
br_label(struct br_conn *c, struct gs_session *s, uint8_t cmd,
    const char *d)
{
	int	n;

	/* A long name is cut short in messages, which is all it is for. */
	if (cmd == SOCKS_CMD_UDPASSOCIATE)
		n = snprintf(s->s_label, sizeof(s->s_label), "session %llu "
		    "(%s UDP)", c->c_id, c->c_peerstr);
	else
		n = snprintf(s->s_label, sizeof(s->s_label), "session %llu "
		    "(%s %s %s)", c->c_id, c->c_peerstr,
		    cmd == SOCKS_CMD_BIND ? "BIND" : "to", d);
	if (n < 0 || (size_t)n >= sizeof(s->s_label))
		log_debug("connection %llu: label cut short", c->c_id);
}

/*
 * Hand the connection to an engine session with the proxy its route
 * names; u, the datagram sockets of a UDP association, goes with it.
 * The session may end before engine_session_start() returns, and c with
 * it: nothing may touch c after the call.
 */
static void
br_upstream(struct br_conn *c, uint8_t cmd, const struct socks_addr *dst,
    struct gs_udp *u)
{
	struct gs_server	*sv = c->c_sv;
	const struct gs_conf	*conf = sv->sv_conf;
	const struct gs_route	*r;
	struct gs_session	*s;
	char			 d[SOCKS_ADDRSTRLEN];

	socks_addr_str(dst, d, sizeof(d));
	if (sv->sv_routes != NULL) {
		r = route_match(sv->sv_routes,
		    (const struct sockaddr *)&c->c_peer, cmd, dst);
		if (r == NULL) {
			log_warnx("connection %llu from %s: no route in %s "
			    "for %s %s", c->c_id, c->c_peerstr,
			    sv->sv_routefile, command_str(cmd), d);
			if (u != NULL)
				udp_free(u);
			br_reply_fail(c, SOCKS_REP_NOTALLOWED);
			return;
		}
		log_debug("connection %llu: %s %s by the route at %s",
		    c->c_id, command_str(cmd), d, r->r_where);
		conf = &r->r_conf;
	}
	if ((s = engine_session_new(conf, &br_local, c, c->c_fd, c->c_fd,
	    dst)) == NULL) {
		log_warn("connection %llu", c->c_id);
		if (u != NULL)
			udp_free(u);
		br_reply_fail(c, SOCKS_REP_FAILURE);
		return;
	}
	s->s_cmd = cmd;
	s->s_udp = u;
	br_label(c, s, cmd, d);
	/* A client that did not wait for our reply: its first bytes. */
	if (c->c_len > 0) {
		if (engine_session_early(s, c->c_buf, c->c_len) == -1)
			fatalx("%s: early data does not fit", __func__);
		explicit_bzero(c->c_buf, c->c_len);
		c->c_len = 0;
	}
	if (c->c_evon) {
		event_del(&c->c_ev);
		evtimer_del(&c->c_timer);
		c->c_evon = 0;
	}
	c->c_s = s;
	c->c_state = BR_UPSTREAM;
	log_debug("%s: through the proxy %s", s->s_label, conf->gc_proxystr);
	engine_session_start(s);
}

/*
 * A few bytes on a connection that has had none or a couple written
 * before: the socket buffer takes them whole, or the client is gone.
 */
static int
br_write(struct br_conn *c, const void *buf, size_t len)
{
	ssize_t	n;

	if ((n = write(c->c_fd, buf, len)) == (ssize_t)len)
		return (0);
	log_debug("connection %llu: write: %s", c->c_id,
	    n == -1 ? strerror(errno) : "short write");
	br_close(c);
	return (-1);
}

/* Send the refusal, then drain the client until it closes. */
static void
br_refuse(struct br_conn *c, const uint8_t *buf, size_t len)
{
	if (br_write(c, buf, len) == -1)
		return;
	br_linger(c);
}

static void
br_reply_fail(struct br_conn *c, uint8_t rep)
{
	uint8_t	buf[SOCKS_MSG_MAX];
	size_t	n;

	n = socks_reply_encode(buf, sizeof(buf), rep, NULL);
	br_refuse(c, buf, n);
}

/*
 * Closing a socket with unread bytes would reset the connection and
 * could lose the reply on the way: shut our side, read until the client
 * closes, for BR_LINGER seconds at most.
 */
static void
br_linger(struct br_conn *c)
{
	struct timeval	tv;

	if (shutdown(c->c_fd, SHUT_WR) == -1) {
		br_close(c);
		return;
	}
	c->c_state = BR_CLOSING;
	c->c_len = 0;
	if (c->c_evon) {
		event_del(&c->c_ev);
		evtimer_del(&c->c_timer);
	}
	event_set(&c->c_ev, c->c_fd, EV_READ | EV_PERSIST, br_read, c);
	timerclear(&tv);
	tv.tv_sec = BR_LINGER;
	if (event_add(&c->c_ev, NULL) == -1 ||
	    evtimer_add(&c->c_timer, &tv) == -1) {
		c->c_evon = 0;
		br_close(c);
		return;
	}
	c->c_evon = 1;
}

/*
 * BIND's first reply: where the proxy listens for the peer.  It is the
 * first thing written to the client since the method reply, so the
 * socket buffer takes it whole, as br_write() assumes.
 */
static int
br_bound(struct gs_session *s, const struct socks_addr *bnd)
{
	struct br_conn	*c = s->s_localarg;
	uint8_t		 buf[SOCKS_MSG_MAX];
	size_t		 n;
	ssize_t		 w;

	n = socks_reply_encode(buf, sizeof(buf), SOCKS_REP_SUCCEEDED, bnd);
	if (n == 0)
		return (-1);
	if ((w = write(c->c_fd, buf, n)) != (ssize_t)n) {
		log_debug("%s: write: %s", s->s_label,
		    w == -1 ? strerror(errno) : "short write");
		return (-1);
	}
	c->c_state = BR_BOUND;
	return (0);
}

/* The proxy took the request: tell the client, as the proxy did. */
static int
br_ready(struct gs_session *s, const struct socks_addr *bnd)
{
	struct br_conn	*c = s->s_localarg;
	uint8_t		 buf[SOCKS_MSG_MAX];
	size_t		 n;

	if (c->c_sv->sv_mode == GS_MODE_BRIDGE) {
		n = socks_reply_encode(buf, sizeof(buf), SOCKS_REP_SUCCEEDED,
		    bnd);
		if (n == 0 || engine_local_send(s, buf, n) == -1)
			return (-1);
	}
	c->c_state = BR_RELAY;
	log_debug("%s: relaying at level %s", s->s_label,
	    s->s_conf->gc_nomethod ? "none" : sec_levelname(s->s_level));
	return (0);
}

/*
 * The engine is done with the connection.  A bridge client whose request
 * never got through learns why from the reply code; the engine has
 * logged the reason for the user already.
 */
static void
br_done(struct gs_session *s, int status)
{
	struct br_conn	*c = s->s_localarg;
	uint8_t		 rep;

	c->c_s = NULL;
	/* BIND's client that left while waiting needs no answer. */
	if (c->c_state == BR_BOUND && status == GS_EXIT_OK) {
		br_close(c);
		return;
	}
	if ((c->c_state == BR_UPSTREAM || c->c_state == BR_BOUND) &&
	    c->c_sv->sv_mode == GS_MODE_BRIDGE) {
		rep = status == GS_EXIT_REQUEST ? s->s_rep : SOCKS_REP_FAILURE;
		if (rep == SOCKS_REP_SUCCEEDED)
			rep = SOCKS_REP_FAILURE;
		br_reply_fail(c, rep);
		return;
	}
	br_close(c);
}

static void
br_signal(int sig, short event, void *arg)
{
	(void)event;
	(void)arg;
	log_info("%s: exiting with %d connections open",
	    strsignal(sig), br_nconns);
	(void)event_loopexit(NULL);
}

int
bridge_run(struct gs_server *sv)
{
	struct br_conn	*c;
	size_t		 i;

	br_maxconn = sv->sv_maxconn;
	evtimer_set(&br_ev_resume, br_resume, NULL);
	signal_set(&br_ev_sigint, SIGINT, br_signal, NULL);
	signal_set(&br_ev_sigterm, SIGTERM, br_signal, NULL);
	if (signal_add(&br_ev_sigint, NULL) == -1 ||
	    signal_add(&br_ev_sigterm, NULL) == -1)
		fatal("signal_add");
	for (i = 0; i < br_nlisteners; i++) {
		event_set(&br_listeners[i].l_ev, br_listeners[i].l_fd,
		    EV_READ | EV_PERSIST, br_accept, sv);
		if (event_add(&br_listeners[i].l_ev, NULL) == -1)
			fatal("event_add");
		log_info("%s on %s", sv->sv_mode == GS_MODE_BRIDGE ?
		    "SOCKS 5 bridge" : "forwarding", br_listeners[i].l_name);
	}
	(void)event_dispatch();

	/* Sessions in flight end here, each closing its socket. */
	br_exiting = 1;
	while ((c = TAILQ_FIRST(&br_conns)) != NULL) {
		if (c->c_s != NULL) {
			c->c_state = BR_RELAY;	/* no reply, just close */
			engine_end(c->c_s, GS_EXIT_LOCAL);
		} else
			br_close(c);
	}
	for (i = 0; i < br_nlisteners; i++)
		close(br_listeners[i].l_fd);
	return (GS_EXIT_OK);
}

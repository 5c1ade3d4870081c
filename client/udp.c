/*
 * UDP ASSOCIATE through the bridge (RFC 1928 section 7, RFC 1961
 * section 5).
 *
 * The local client speaks plain SOCKS UDP to a socket of ours on the
 * address it reached the bridge at: each datagram is the RFC 1928 UDP
 * request header followed by the data.  Each one goes on to the proxy's
 * relay from a second socket, unchanged at clear level, or else wrapped
 * whole, header and data, into one token sent as one RFC 1961 frame
 * (01 03 LEN token) in one datagram.  What the relay sends back comes
 * the same way and goes to the local client unwrapped.
 *
 * As the proxy does, only the local client's address may send to the
 * local socket: the host of its control connection, and the port it
 * named in its request or else the first one it sends from.  The socket
 * facing the proxy is connected to the relay, so the kernel takes
 * nothing from anyone else there.
 *
 * A datagram that cannot go on is dropped and counted, never the end of
 * the association: one from a stranger, one too large for one token, a
 * fragment, a malformed header, a token that does not verify or that
 * replays an earlier one.  -v logs each drop, and the counts when the
 * association ends.
 *
 * Datagrams pass through one static buffer (the bridge is one thread):
 * an association costs its two sockets, and nothing per datagram but
 * what gss_wrap and gss_unwrap allocate.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "gsocks.h"

#define UDP_BUFSIZE	65536		/* more than any UDP payload */
#define UDP_MAX4	65507		/* 65535 less the IPv4 and UDP headers */
#define UDP_MAX6	65527		/* 65535 less the UDP header */
#define UDP_BATCH	32		/* datagrams read per wakeup */
#define UDP_ADDRSTRLEN	(NI_MAXHOST + NI_MAXSERV + 4)

struct gs_udp {
	struct gs_session	*u_s;
	int			 u_lfd;		/* the local client's side */
	int			 u_ufd;		/* the proxy's side */
	struct event		 u_lev;
	struct event		 u_uev;
	int			 u_evon;
	struct sockaddr_storage	 u_laddr;	/* where u_lfd is bound */
	struct sockaddr_storage	 u_client;	/* the local client */
	int			 u_client_known;
	in_port_t		 u_client_port;	/* named by it, 0 if not */
	size_t			 u_maxtok;	/* largest token upstream */
	size_t			 u_maxplain;	/* largest datagram upstream */
	unsigned long long	 u_up;
	unsigned long long	 u_down;
	unsigned long long	 u_dropped;
};

static uint8_t	udp_buf[UDP_BUFSIZE];

static void	udp_drop(struct gs_udp *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static socklen_t udp_salen(const struct sockaddr *);
static in_port_t udp_port(const struct sockaddr *);
static int	udp_same_host(const struct sockaddr *,
		    const struct sockaddr *);
static const char *udp_sastr(const struct sockaddr *, char *, size_t);
static int	udp_socket(struct sockaddr_storage *);
static int	udp_relay_addr(struct gs_session *, const struct socks_addr *,
		    struct sockaddr_storage *);
static int	udp_source_ok(struct gs_udp *, const struct sockaddr *);
static void	udp_local_rd(int, short, void *);
static void	udp_up(struct gs_udp *, const uint8_t *, size_t);
static void	udp_proxy_rd(int, short, void *);
static void	udp_down(struct gs_udp *, const uint8_t *, size_t);

static const char *
udp_label(const struct gs_udp *u)
{
	return (u->u_s != NULL ? u->u_s->s_label : "UDP");
}

static void
udp_drop(struct gs_udp *u, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	u->u_dropped++;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug("%s: datagram dropped: %s", udp_label(u), msg);
}

static socklen_t
udp_salen(const struct sockaddr *sa)
{
	return (sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in));
}

static in_port_t
udp_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return (ntohs(((const struct sockaddr_in6 *)sa)->sin6_port));
	return (ntohs(((const struct sockaddr_in *)sa)->sin_port));
}

static void
udp_setport(struct sockaddr_storage *ss, in_port_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static int
udp_same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return (0);
	if (a->sa_family == AF_INET)
		return (((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr);
	return (IN6_ARE_ADDR_EQUAL(
	    &((const struct sockaddr_in6 *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)b)->sin6_addr));
}

static const char *
udp_sastr(const struct sockaddr *sa, char *buf, size_t len)
{
	struct socks_addr	a;
	char			s[SOCKS_ADDRSTRLEN];

	if (socks_addr_from_sockaddr(&a, sa) == -1)
		(void)strlcpy(buf, "?", len);
	else
		(void)strlcpy(buf, socks_addr_str(&a, s, sizeof(s)), len);
	return (buf);
}

/* A datagram socket bound to ss (port 0: any); ss becomes its address. */
static int
udp_socket(struct sockaddr_storage *ss)
{
	socklen_t	len;
	int		fd, saved;

	udp_setport(ss, 0);
	if ((fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	len = sizeof(*ss);
	if (bind(fd, (struct sockaddr *)ss, udp_salen((struct sockaddr *)ss))
	    == -1 || getsockname(fd, (struct sockaddr *)ss, &len) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

/*
 * The local socket, on local (the address the client reached the bridge
 * at), for the client at client; port is the one the client named in
 * its request, 0 if none.  Nothing is watched until udp_start().
 */
struct gs_udp *
udp_new(const struct sockaddr *local, const struct sockaddr *client,
    in_port_t port, const char *what)
{
	struct gs_udp	*u;

	if ((u = calloc(1, sizeof(*u))) == NULL) {
		log_warn("%s: UDP association", what);
		return (NULL);
	}
	u->u_ufd = -1;
	memcpy(&u->u_laddr, local, udp_salen(local));
	memcpy(&u->u_client, client, udp_salen(client));
	u->u_client_port = port;
	if ((u->u_lfd = udp_socket(&u->u_laddr)) == -1) {
		log_warn("%s: local UDP socket", what);
		free(u);
		return (NULL);
	}
	return (u);
}

/*
 * The socket facing the proxy, on the address of our control connection
 * to it, since the relay takes datagrams from that host only.  The
 * request names it, so that the relay takes them from this port only.
 */
int
udp_upstream(struct gs_session *s)
{
	struct gs_udp		*u = s->s_udp;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (getsockname(s->s_fd, (struct sockaddr *)&ss, &len) == -1 ||
	    (u->u_ufd = udp_socket(&ss)) == -1) {
		engine_fail(s, GS_EXIT_LOCAL, "UDP socket toward the proxy: "
		    "%s", strerror(errno));
		return (-1);
	}
	if (socks_addr_from_sockaddr(&s->s_dst, (struct sockaddr *)&ss) ==
	    -1) {
		engine_fail(s, GS_EXIT_LOCAL, "UDP socket toward the proxy: "
		    "unknown address family");
		return (-1);
	}
	return (0);
}

/*
 * Where the relay takes datagrams: its reply's address, or, when that is
 * all zeros, the proxy's own address with the reply's port.
 */
static int
udp_relay_addr(struct gs_session *s, const struct socks_addr *bnd,
    struct sockaddr_storage *ss)
{
	char		b[SOCKS_ADDRSTRLEN];
	socklen_t	len = sizeof(*ss);
	int		unspec;

	if (socks_addr_to_sockaddr(bnd, ss, &len) == -1) {
		engine_fail(s, GS_EXIT_IO, "the proxy relays UDP at %s, which "
		    "is not an address", socks_addr_str(bnd, b, sizeof(b)));
		return (-1);
	}
	if (ss->ss_family == AF_INET)
		unspec = ((struct sockaddr_in *)ss)->sin_addr.s_addr ==
		    INADDR_ANY;
	else
		unspec = IN6_IS_ADDR_UNSPECIFIED(
		    &((struct sockaddr_in6 *)ss)->sin6_addr);
	if (unspec) {
		len = sizeof(*ss);
		if (getpeername(s->s_fd, (struct sockaddr *)ss, &len) == -1) {
			engine_fail(s, GS_EXIT_IO, "getpeername: %s",
			    strerror(errno));
			return (-1);
		}
		udp_setport(ss, bnd->sa_port);
	}
	return (0);
}

/*
 * The proxy took the association: connect to its relay, find the
 * largest datagram that goes upstream whole, and watch both sockets.
 * lbnd is what the local client is told: our local socket.
 */
int
udp_start(struct gs_session *s, const struct socks_addr *bnd,
    struct socks_addr *lbnd)
{
	struct gs_udp		*u = s->s_udp;
	struct sockaddr_storage	 relay, up;
	socklen_t		 len = sizeof(up);
	char			 a[UDP_ADDRSTRLEN], b[UDP_ADDRSTRLEN];
	char			 c[UDP_ADDRSTRLEN];
	size_t			 max;

	u->u_s = s;
	if (udp_relay_addr(s, bnd, &relay) == -1)
		return (-1);
	if (getsockname(u->u_ufd, (struct sockaddr *)&up, &len) == -1 ||
	    connect(u->u_ufd, (struct sockaddr *)&relay,
	    udp_salen((struct sockaddr *)&relay)) == -1) {
		engine_fail(s, GS_EXIT_IO, "cannot reach the proxy's UDP relay "
		    "at %s: %s", udp_sastr((struct sockaddr *)&relay, a,
		    sizeof(a)), strerror(errno));
		return (-1);
	}
	max = relay.ss_family == AF_INET ? UDP_MAX4 : UDP_MAX6;
	if (s->s_wrapped) {
		u->u_maxtok = max - GSSF_HDRLEN;
		if (u->u_maxtok > GSSF_MAXTOKEN)
			u->u_maxtok = GSSF_MAXTOKEN;
		if (sec_maxplain_dgram(s, u->u_maxtok, &u->u_maxplain) == -1)
			return (-1);
	} else
		u->u_maxplain = max;
	if (socks_addr_from_sockaddr(lbnd, (struct sockaddr *)&u->u_laddr) ==
	    -1) {
		engine_fail(s, GS_EXIT_LOCAL, "local UDP socket: unknown "
		    "address family");
		return (-1);
	}
	event_set(&u->u_lev, u->u_lfd, EV_READ | EV_PERSIST, udp_local_rd, u);
	event_set(&u->u_uev, u->u_ufd, EV_READ | EV_PERSIST, udp_proxy_rd, u);
	if (event_add(&u->u_lev, NULL) == -1 ||
	    event_add(&u->u_uev, NULL) == -1) {
		engine_fail(s, GS_EXIT_LOCAL, "cannot watch the UDP sockets");
		return (-1);
	}
	u->u_evon = 1;
	log_debug("%s: UDP association: local %s, upstream %s to the relay "
	    "%s, datagrams of up to %zu bytes", s->s_label,
	    udp_sastr((struct sockaddr *)&u->u_laddr, a, sizeof(a)),
	    udp_sastr((struct sockaddr *)&up, b, sizeof(b)),
	    udp_sastr((struct sockaddr *)&relay, c, sizeof(c)),
	    u->u_maxplain);
	return (0);
}

void
udp_free(struct gs_udp *u)
{
	if (u->u_evon) {
		event_del(&u->u_lev);
		event_del(&u->u_uev);
	}
	if (u->u_s != NULL)
		log_debug("%s: UDP association ended: %llu datagrams sent, "
		    "%llu received, %llu dropped", udp_label(u), u->u_up,
		    u->u_down, u->u_dropped);
	if (u->u_lfd != -1)
		close(u->u_lfd);
	if (u->u_ufd != -1)
		close(u->u_ufd);
	free(u);
}

/* Only the local client sends here; its first datagram fixes its port. */
static int
udp_source_ok(struct gs_udp *u, const struct sockaddr *from)
{
	const struct sockaddr	*c = (struct sockaddr *)&u->u_client;

	if (u->u_client_known)
		return (udp_same_host(from, c) &&
		    udp_port(from) == udp_port(c));
	if (!udp_same_host(from, c))
		return (0);
	if (u->u_client_port != 0 && udp_port(from) != u->u_client_port)
		return (0);
	memcpy(&u->u_client, from, udp_salen(from));
	u->u_client_known = 1;
	return (1);
}

static void
udp_local_rd(int fd, short event, void *arg)
{
	struct gs_udp		*u = arg;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	char			 a[UDP_ADDRSTRLEN];
	ssize_t			 n;
	int			 i;

	(void)event;
	for (i = 0; i < UDP_BATCH; i++) {
		fromlen = sizeof(from);
		n = recvfrom(fd, udp_buf, sizeof(udp_buf), MSG_TRUNC,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_debug("%s: local UDP socket: %s",
				    udp_label(u), strerror(errno));
			return;
		}
		if (!udp_source_ok(u, (struct sockaddr *)&from)) {
			udp_drop(u, "from %s, not the local client",
			    udp_sastr((struct sockaddr *)&from, a, sizeof(a)));
			continue;
		}
		if ((size_t)n > sizeof(udp_buf)) {
			udp_drop(u, "%zd bytes from the local client: "
			    "truncated", n);
			n = sizeof(udp_buf);
		} else
			udp_up(u, udp_buf, n);
		/* Plaintext of a protected association. */
		explicit_bzero(udp_buf, n);
	}
}

/* A datagram of the local client's, header and data, to the relay. */
static void
udp_up(struct gs_udp *u, const uint8_t *buf, size_t len)
{
	struct gs_session	*s = u->u_s;
	struct socks_addr	 dst;
	gss_buffer_desc		 tok = GSS_C_EMPTY_BUFFER;
	struct iovec		 iov[2];
	uint8_t			 hdr[GSSF_HDRLEN], frag;
	const char		*why = NULL;
	OM_uint32		 min;
	ssize_t			 n;

	if (socks_udp_parse(buf, len, &frag, &dst) <= 0) {
		udp_drop(u, "malformed UDP request header from the local "
		    "client");
		return;
	}
	if (frag != 0) {
		udp_drop(u, "a fragment (FRAG %u): not supported", frag);
		return;
	}
	if (len > u->u_maxplain) {
		udp_drop(u, "%zu bytes from the local client: too large for "
		    "one %s (%zu at most)", len, s->s_wrapped ?
		    "GSS-API token" : "datagram", u->u_maxplain);
		return;
	}
	if (!s->s_wrapped) {
		if (send(u->u_ufd, buf, len, 0) == -1)
			udp_drop(u, "send to the relay: %s", strerror(errno));
		else
			u->u_up++;
		return;
	}
	if (sec_wrap_dgram(s, buf, len, &tok, &why) == -1) {
		udp_drop(u, "%s", why);
		return;
	}
	if (tok.length > u->u_maxtok) {
		udp_drop(u, "a token of %zu bytes: too large",
		    (size_t)tok.length);
		(void)gss_release_buffer(&min, &tok);
		return;
	}
	gssframe_header(hdr, GSSF_MTYP_DATA, tok.length);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = tok.value;
	iov[1].iov_len = tok.length;
	n = writev(u->u_ufd, iov, 2);
	(void)gss_release_buffer(&min, &tok);
	if (n == -1)
		udp_drop(u, "send to the relay: %s", strerror(errno));
	else
		u->u_up++;
}

static void
udp_proxy_rd(int fd, short event, void *arg)
{
	struct gs_udp	*u = arg;
	ssize_t		 n;
	int		 i;

	(void)event;
	for (i = 0; i < UDP_BATCH; i++) {
		n = recv(fd, udp_buf, sizeof(udp_buf), MSG_TRUNC);
		if (n == -1) {
			/* An ICMP error for an earlier datagram comes here. */
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_debug("%s: UDP socket toward the proxy: %s",
				    udp_label(u), strerror(errno));
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			continue;
		}
		if ((size_t)n > sizeof(udp_buf)) {
			udp_drop(u, "%zd bytes from the relay: truncated", n);
			continue;
		}
		udp_down(u, udp_buf, n);
		if (!u->u_s->s_wrapped)
			explicit_bzero(udp_buf, n);
	}
}

/* A datagram from the relay, to the local client with its header. */
static void
udp_down(struct gs_udp *u, const uint8_t *buf, size_t len)
{
	struct gs_session	*s = u->u_s;
	struct socks_addr	 src;
	gss_buffer_desc		 pt = GSS_C_EMPTY_BUFFER;
	enum gssf_status	 st;
	const uint8_t		*data = buf;
	const char		*why = NULL;
	uint8_t			 frag;
	size_t			 toklen;
	OM_uint32		 min;

	if (s->s_wrapped) {
		st = gssframe_parse(buf, len, GSSF_MTYP_DATA, &toklen);
		if (st != GSSF_OK || GSSF_HDRLEN + toklen != len) {
			udp_drop(u, "%zu bytes from the relay: not one RFC "
			    "1961 message", len);
			return;
		}
		if (sec_unwrap_dgram(s, buf + GSSF_HDRLEN, toklen, &pt,
		    &why) == -1) {
			udp_drop(u, "from the relay: %s", why);
			return;
		}
		data = pt.value;
		len = pt.length;
	}
	if (socks_udp_parse(data, len, &frag, &src) <= 0 || frag != 0)
		udp_drop(u, "malformed UDP header from the relay");
	else if (!u->u_client_known)
		udp_drop(u, "from the relay before the local client sent any");
	else if (sendto(u->u_lfd, data, len, 0,
	    (struct sockaddr *)&u->u_client,
	    udp_salen((struct sockaddr *)&u->u_client)) == -1)
		udp_drop(u, "send to the local client: %s", strerror(errno));
	else
		u->u_down++;
	if (pt.value != NULL)
		explicit_bzero(pt.value, pt.length);
	(void)gss_release_buffer(&min, &pt);
}

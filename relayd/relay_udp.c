/*
 * UDP ASSOCIATE (RFC 1928 section 7, RFC 1961 section 5).
 *
 * Each association has a socket facing the client, bound to the address
 * the client reached us on, and, made when first needed, one socket per
 * address family facing the targets.  A datagram from the client must
 * come from the client's address (and the port it named, or the one it
 * used first); under GSS-API it is one RFC 1961 frame whose token wraps
 * the UDP request header and the data.  Datagrams that are spoofed,
 * fragmented, malformed, oversized, fail gss_unwrap or are refused by
 * the rules are dropped and counted: UDP loses datagrams anyway, and one
 * bad datagram must not end the association.  The association ends when
 * its TCP connection does.
 *
 * Datagrams pass through one buffer of the relay's (it is one thread),
 * so an association costs its sockets and counters, nothing per
 * datagram but what gss_wrap and gss_unwrap allocate.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "relayd.h"

#define UDP_HEADROOM	SOCKS_MSG_MAX	/* room for a UDP request header */
#define UDP_MAXDGRAM	65535

struct relay_udp {
	int			 ru_cfd;		/* client side */
	struct event		 ru_cev;
	int			 ru_tfd[2];		/* targets: v4, v6 */
	struct event		 ru_tev[2];
	struct sockaddr_storage	 ru_client;		/* client's UDP addr */
	int			 ru_client_known;
	in_port_t		 ru_expect_port;	/* 0: any */
	uint64_t		 ru_dg_out;		/* client to targets */
	uint64_t		 ru_dg_in;		/* targets to client */
	uint64_t		 ru_dropped;
	/* One datagram whose target name is being resolved. */
	uint8_t			*ru_pend;
	size_t			 ru_pendlen;
	struct socks_addr	 ru_penddst;
	int			 ru_resolving;
};

static uint8_t	 udp_buf[UDP_HEADROOM + UDP_MAXDGRAM + 64];

static void	 relay_udp_from_client(int, short, void *);
static void	 relay_udp_from_target(int, short, void *);

const char *
relay_udp_counts(struct relay_session *rs, char *buf, size_t len)
{
	struct relay_udp	*ru = rs->rs_udp;

	if (ru == NULL)
		return ("");
	(void)snprintf(buf, len, " datagrams_out=%llu datagrams_in=%llu "
	    "datagrams_dropped=%llu", (unsigned long long)ru->ru_dg_out,
	    (unsigned long long)ru->ru_dg_in,
	    (unsigned long long)ru->ru_dropped);
	return (buf);
}

void
relay_udp_free(struct relay_session *rs)
{
	struct relay_udp	*ru = rs->rs_udp;
	int			 i;

	if (ru == NULL)
		return;
	if (ru->ru_cfd != -1) {
		event_del(&ru->ru_cev);
		close(ru->ru_cfd);
	}
	for (i = 0; i < 2; i++) {
		if (ru->ru_tfd[i] == -1)
			continue;
		event_del(&ru->ru_tev[i]);
		close(ru->ru_tfd[i]);
	}
	free(ru->ru_pend);
	free(ru);
	rs->rs_udp = NULL;
}

static void
relay_udp_drop(struct relay_session *rs, const char *why)
{
	rs->rs_udp->ru_dropped++;
	log_debug("session %016llx: datagram dropped: %s",
	    (unsigned long long)rs->rs_sid, why);
}

/* The client-facing socket, on the address the client reached us at. */
static int
relay_udp_client_socket(struct relay_session *rs, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct relay_udp	*ru = rs->rs_udp;

	memcpy(ss, &rs->rs_local, sizeof(*ss));
	*len = sa_len((struct sockaddr *)ss);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)ss)->sin6_port = 0;
	if ((ru->ru_cfd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    bind(ru->ru_cfd, (struct sockaddr *)ss, *len) == -1 ||
	    getsockname(ru->ru_cfd, (struct sockaddr *)ss, len) == -1)
		return (-1);
	event_set(&ru->ru_cev, ru->ru_cfd, EV_READ | EV_PERSIST,
	    relay_udp_from_client, rs);
	event_add(&ru->ru_cev, NULL);
	return (0);
}

void
relay_udp_start(struct relay_session *rs)
{
	struct relay_udp	*ru;
	struct sockaddr_storage	 ss, dst;
	socklen_t		 len;

	/*
	 * As Dante does, the association itself is checked against the
	 * udpassociate rules with the address the client gave (usually
	 * 0.0.0.0:0, its own UDP address if it knows it); every datagram is
	 * checked again with its real destination.
	 */
	memset(&dst, 0, sizeof(dst));
	if (rs->rs_req.sr_addr.sa_atyp != SOCKS_ATYP_DOMAIN)
		(void)socks_addr_to_sockaddr(&rs->rs_req.sr_addr, &dst, &len);
	if (!relay_rule_pass(rs, CMD_UDPASSOCIATE,
	    (struct sockaddr *)&rs->rs_client, (struct sockaddr *)&dst,
	    rs->rs_req.sr_addr.sa_atyp == SOCKS_ATYP_DOMAIN ?
	    rs->rs_req.sr_addr.sa_domain : NULL, rs->rs_taddr, 0)) {
		relay_refuse(rs, SOCKS_REP_NOTALLOWED);
		return;
	}
	if ((ru = calloc(1, sizeof(*ru))) == NULL) {
		relay_refuse(rs, SOCKS_REP_FAILURE);
		return;
	}
	ru->ru_cfd = ru->ru_tfd[0] = ru->ru_tfd[1] = -1;
	rs->rs_udp = ru;
	/* DST.PORT names the client's source port when it knows it. */
	ru->ru_expect_port = rs->rs_req.sr_addr.sa_port;
	if (relay_udp_client_socket(rs, &ss, &len) == -1) {
		log_warn("session %016llx: UDP socket",
		    (unsigned long long)rs->rs_sid);
		relay_refuse(rs, SOCKS_REP_FAILURE);
		return;
	}
	if (relay_send_reply(rs, SOCKS_REP_SUCCEEDED,
	    (struct sockaddr *)&ss) == -1)
		return;
	rs->rs_state = RS_UDP;
	rs->rs_active = mono_ms();
	relay_timer_set(rs, relay_conf.sc_timeout_io);
	relay_events(rs);
}

static in_port_t
sa_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohs(((const struct sockaddr_in *)sa)->sin_port));
	return (ntohs(((const struct sockaddr_in6 *)sa)->sin6_port));
}

static int
sa_same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return (0);
	if (a->sa_family == AF_INET)
		return (((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr);
	return (IN6_ARE_ADDR_EQUAL(&((const struct sockaddr_in6 *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)b)->sin6_addr));
}

/* Only the associated client may send; the first datagram fixes it. */
static int
relay_udp_source_ok(struct relay_session *rs, const struct sockaddr *from)
{
	struct relay_udp	*ru = rs->rs_udp;

	if (ru->ru_client_known)
		return (sa_same_host(from, (struct sockaddr *)&ru->ru_client) &&
		    sa_port(from) == sa_port((struct sockaddr *)&ru->ru_client));
	if (!sa_same_host(from, (struct sockaddr *)&rs->rs_client))
		return (0);
	if (ru->ru_expect_port != 0 && sa_port(from) != ru->ru_expect_port)
		return (0);
	memcpy(&ru->ru_client, from, sa_len(from));
	ru->ru_client_known = 1;
	return (1);
}

static int
relay_udp_target_socket(struct relay_session *rs, int family)
{
	struct relay_udp	*ru = rs->rs_udp;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 i = family == AF_INET ? 0 : 1, fd;

	if (ru->ru_tfd[i] != -1)
		return (ru->ru_tfd[i]);
	if ((fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return (-1);
	if (relay_external(family, &ss, &len) &&
	    bind(fd, (struct sockaddr *)&ss, len) == -1) {
		close(fd);
		return (-1);
	}
	ru->ru_tfd[i] = fd;
	event_set(&ru->ru_tev[i], fd, EV_READ | EV_PERSIST,
	    relay_udp_from_target, rs);
	event_add(&ru->ru_tev[i], NULL);
	return (fd);
}

static void
relay_udp_send(struct relay_session *rs, const struct sockaddr *to,
    socklen_t tolen, const char *name, const uint8_t *data, size_t len)
{
	struct relay_udp	*ru = rs->rs_udp;
	char			 tb[300];
	int			 fd;

	if (name != NULL)
		(void)snprintf(tb, sizeof(tb), "%s", name);
	else
		addr_str(to, tb, sizeof(tb));
	if (!relay_rule_pass(rs, CMD_UDPASSOCIATE,
	    (struct sockaddr *)&ru->ru_client, to, name, tb, 1)) {
		relay_udp_drop(rs, "refused by the socks rules");
		return;
	}
	if ((fd = relay_udp_target_socket(rs, to->sa_family)) == -1 ||
	    sendto(fd, data, len, 0, to, tolen) == -1) {
		relay_udp_drop(rs, strerror(errno));
		return;
	}
	ru->ru_dg_out++;
	rs->rs_up.rd_bytes += len;
}

static void
relay_udp_resolved(uint64_t sid, int error, const struct sockaddr *sa,
    socklen_t len)
{
	struct relay_session	 key, *rs;
	struct relay_udp	*ru;
	struct sockaddr_storage	 ss;

	key.rs_sid = sid;
	if ((rs = RB_FIND(relay_tree, &relay_sessions, &key)) == NULL ||
	    (ru = rs->rs_udp) == NULL || !ru->ru_resolving)
		return;
	ru->ru_resolving = 0;
	if (error == -1 || len > sizeof(ss)) {
		relay_udp_drop(rs, "cannot resolve the target");
		return;
	}
	memcpy(&ss, sa, len);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port =
		    htons(ru->ru_penddst.sa_port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port =
		    htons(ru->ru_penddst.sa_port);
	relay_udp_send(rs, (struct sockaddr *)&ss, len,
	    ru->ru_penddst.sa_domain, ru->ru_pend, ru->ru_pendlen);
}

/* A UDP request (header and data) in the clear, from the client. */
static void
relay_udp_request(struct relay_session *rs, const uint8_t *buf, size_t len)
{
	struct relay_udp	*ru = rs->rs_udp;
	struct socks_addr	 dst;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	ssize_t			 hlen;
	uint8_t			 frag;

	if ((hlen = socks_udp_parse(buf, len, &frag, &dst)) <= 0) {
		relay_udp_drop(rs, "malformed UDP request header");
		return;
	}
	if (frag != 0) {
		relay_udp_drop(rs, "fragment (not supported)");
		return;
	}
	buf += hlen;
	len -= hlen;
	if (dst.sa_atyp != SOCKS_ATYP_DOMAIN) {
		if (socks_addr_to_sockaddr(&dst, &ss, &sslen) == -1) {
			relay_udp_drop(rs, "bad target address");
			return;
		}
		relay_udp_send(rs, (struct sockaddr *)&ss, sslen, NULL, buf,
		    len);
		return;
	}
	/* One name at a time; the next datagram waits for no one. */
	if (ru->ru_resolving) {
		relay_udp_drop(rs, "a name is being resolved");
		return;
	}
	if (ru->ru_pend == NULL &&
	    (ru->ru_pend = malloc(UDP_MAXDGRAM)) == NULL) {
		relay_udp_drop(rs, "out of memory");
		return;
	}
	memcpy(ru->ru_pend, buf, len);
	ru->ru_pendlen = len;
	ru->ru_penddst = dst;
	ru->ru_resolving = 1;
	relay_dns_resolve(rs->rs_sid, dst.sa_domain, relay_udp_resolved);
}

static void
relay_udp_from_client(int fd, short event, void *arg)
{
	struct relay_session	*rs = arg;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen = sizeof(from);
	gss_buffer_desc		 pt = GSS_C_EMPTY_BUFFER;
	enum gssf_status	 st;
	size_t			 toklen;
	ssize_t			 n;

	(void)event;
	n = recvfrom(fd, udp_buf, sizeof(udp_buf), 0,
	    (struct sockaddr *)&from, &fromlen);
	if (n == -1)
		return;
	rs->rs_active = mono_ms();
	if (!relay_udp_source_ok(rs, (struct sockaddr *)&from)) {
		relay_udp_drop(rs, "not from the associated client");
		return;
	}
	if (!relay_gssmode(rs)) {
		relay_udp_request(rs, udp_buf, n);
		return;
	}
	st = gssframe_parse(udp_buf, n, GSSF_MTYP_DATA, &toklen);
	if (st != GSSF_OK || GSSF_HDRLEN + toklen != (size_t)n) {
		relay_udp_drop(rs, "not one RFC 1961 frame");
		return;
	}
	if (relay_gss_unwrap_dgram(rs, udp_buf + GSSF_HDRLEN, toklen,
	    &pt) == -1) {
		relay_udp_drop(rs, "gss_unwrap failed");
		return;
	}
	relay_udp_request(rs, pt.value, pt.length);
	relay_gss_release(rs, &pt);
}

/* A reply from a target, with its UDP header, to the client; -1 dropped. */
static int
relay_udp_to_client(struct relay_session *rs, uint8_t *dgram, size_t len)
{
	struct relay_udp	*ru = rs->rs_udp;
	gss_buffer_desc		 tok = GSS_C_EMPTY_BUFFER;
	struct msghdr		 msg;
	struct iovec		 iov[2];
	uint8_t			 hdr[GSSF_HDRLEN];
	ssize_t			 n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &ru->ru_client;
	msg.msg_namelen = sa_len((struct sockaddr *)&ru->ru_client);
	msg.msg_iov = iov;
	if (relay_gssmode(rs)) {
		if (relay_gss_wrap(rs, dgram, len, &tok) == -1) {
			relay_udp_drop(rs, "gss_wrap failed or too large");
			return (-1);
		}
		gssframe_header(hdr, GSSF_MTYP_DATA, tok.length);
		iov[0].iov_base = hdr;
		iov[0].iov_len = sizeof(hdr);
		iov[1].iov_base = tok.value;
		iov[1].iov_len = tok.length;
		msg.msg_iovlen = 2;
	} else {
		iov[0].iov_base = dgram;
		iov[0].iov_len = len;
		msg.msg_iovlen = 1;
	}
	n = sendmsg(ru->ru_cfd, &msg, 0);
	relay_gss_release(rs, &tok);
	if (n == -1) {
		relay_udp_drop(rs, strerror(errno));
		return (-1);
	}
	ru->ru_dg_in++;
	return (0);
}

static void
relay_udp_from_target(int fd, short event, void *arg)
{
	struct relay_session	*rs = arg;
	struct relay_udp	*ru = rs->rs_udp;
	struct sockaddr_storage	 from;
	struct socks_addr	 src;
	socklen_t		 fromlen = sizeof(from);
	uint8_t			 hdr[SOCKS_MSG_MAX];
	char			 fb[ADDRSTRLEN];
	size_t			 hlen;
	ssize_t			 n;

	(void)event;
	/* Leave room in front for the UDP header: no copy of the data. */
	n = recvfrom(fd, udp_buf + UDP_HEADROOM, UDP_MAXDGRAM, 0,
	    (struct sockaddr *)&from, &fromlen);
	if (n == -1)
		return;
	rs->rs_active = mono_ms();
	addr_str((struct sockaddr *)&from, fb, sizeof(fb));
	if (!ru->ru_client_known ||
	    !relay_rule_pass(rs, CMD_UDPREPLY, (struct sockaddr *)&from,
	    (struct sockaddr *)&ru->ru_client, NULL, fb, 1)) {
		relay_udp_drop(rs, "reply refused by the socks rules");
		return;
	}
	if (socks_addr_from_sockaddr(&src, (struct sockaddr *)&from) == -1 ||
	    (hlen = socks_udp_encode(hdr, sizeof(hdr), &src)) == 0 ||
	    hlen + n > UDP_MAXDGRAM) {
		relay_udp_drop(rs, "reply too large");
		return;
	}
	memcpy(udp_buf + UDP_HEADROOM - hlen, hdr, hlen);
	if (relay_udp_to_client(rs, udp_buf + UDP_HEADROOM - hlen,
	    hlen + n) == 0)
		rs->rs_down.rd_bytes += n;	/* delivered, not dropped */
}

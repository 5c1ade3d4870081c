/*
 * BIND (RFC 1928 section 4): listen on the external address, tell the
 * client where (first reply), accept one connection that the bindreply
 * rules allow, tell the client who came (second reply), then relay as
 * for CONNECT.  Under GSS-API both replies are encapsulated like any
 * other reply, since they go through relay_to_client().
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "relayd.h"

static void	 relay_bind_accept(int, short, void *);

/*
 * The address the listener binds: the external address of the family,
 * or else the address the client reached us on, so that a peer the
 * client tells about it can reach it.
 */
static int
relay_bind_local(struct relay_session *rs, struct sockaddr_storage *ss,
    socklen_t *len)
{
	int	 family = rs->rs_local.ss_family;

	if (rs->rs_req.sr_addr.sa_atyp == SOCKS_ATYP_IPV4)
		family = AF_INET;
	else if (rs->rs_req.sr_addr.sa_atyp == SOCKS_ATYP_IPV6)
		family = AF_INET6;
	if (!relay_external(family, ss, len)) {
		if (family != rs->rs_local.ss_family)
			return (-1);
		memcpy(ss, &rs->rs_local, sizeof(*ss));
		*len = sa_len((struct sockaddr *)ss);
	}
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)ss)->sin6_port = 0;
	return (0);
}

void
relay_bind_start(struct relay_session *rs)
{
	struct sockaddr_storage	 ss, dst;
	socklen_t		 len, dlen;
	const char		*name = NULL;

	memset(&dst, 0, sizeof(dst));
	if (rs->rs_req.sr_addr.sa_atyp == SOCKS_ATYP_DOMAIN)
		name = rs->rs_req.sr_addr.sa_domain;
	else
		(void)socks_addr_to_sockaddr(&rs->rs_req.sr_addr, &dst, &dlen);
	if (!relay_rule_pass(rs, CMD_BIND, (struct sockaddr *)&rs->rs_client,
	    (struct sockaddr *)&dst, name, rs->rs_taddr, 0)) {
		relay_refuse(rs, SOCKS_REP_NOTALLOWED);
		return;
	}
	if (relay_bind_local(rs, &ss, &len) == -1) {
		relay_refuse(rs, SOCKS_REP_ATYPUNSUPP);
		return;
	}
	if ((rs->rs_lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    bind(rs->rs_lfd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(rs->rs_lfd, 1) == -1 ||
	    getsockname(rs->rs_lfd, (struct sockaddr *)&ss, &len) == -1) {
		log_warn("session %016llx: BIND listener",
		    (unsigned long long)rs->rs_sid);
		relay_refuse(rs, SOCKS_REP_FAILURE);
		return;
	}
	event_set(&rs->rs_lev, rs->rs_lfd, EV_READ | EV_PERSIST,
	    relay_bind_accept, rs);
	if (relay_send_reply(rs, SOCKS_REP_SUCCEEDED,
	    (struct sockaddr *)&ss) == -1)
		return;
	rs->rs_state = RS_BIND;
	/* A BIND that never gets its connection ends at timeout.connect. */
	relay_timer_set(rs, relay_conf.sc_timeout_connect);
	relay_events(rs);
	relay_bind_events(rs);
}

/* Accept only once the first reply is out: both go the same way. */
void
relay_bind_events(struct relay_session *rs)
{
	if (rs->rs_lfd == -1)
		return;
	event_del(&rs->rs_lev);
	if (rs->rs_state == RS_BIND && !relay_dir_pending(&rs->rs_down))
		event_add(&rs->rs_lev, NULL);
}

void
relay_bind_free(struct relay_session *rs)
{
	if (rs->rs_lfd == -1)
		return;
	event_del(&rs->rs_lev);
	close(rs->rs_lfd);
	rs->rs_lfd = -1;
}

/* The client named the peer it expects: nobody else gets in. */
static int
relay_bind_expected(struct relay_session *rs, const struct sockaddr *peer)
{
	struct sockaddr_storage	 dst;
	socklen_t		 len;
	const struct sockaddr_in	*a = (const void *)&dst, *b;
	const struct sockaddr_in6	*a6 = (const void *)&dst, *b6;

	if (rs->rs_req.sr_addr.sa_atyp == SOCKS_ATYP_DOMAIN ||
	    socks_addr_to_sockaddr(&rs->rs_req.sr_addr, &dst, &len) == -1)
		return (1);
	if (dst.ss_family != peer->sa_family)
		return (0);
	if (dst.ss_family == AF_INET) {
		b = (const void *)peer;
		return (a->sin_addr.s_addr == INADDR_ANY ||
		    a->sin_addr.s_addr == b->sin_addr.s_addr);
	}
	b6 = (const void *)peer;
	return (IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr) ||
	    IN6_ARE_ADDR_EQUAL(&a6->sin6_addr, &b6->sin6_addr));
}

static void
relay_bind_accept(int lfd, short event, void *arg)
{
	struct relay_session	*rs = arg;
	struct sockaddr_storage	 peer;
	socklen_t		 len = sizeof(peer);
	char			 pb[ADDRSTRLEN];
	int			 fd;

	(void)event;
	if ((fd = accept4(lfd, (struct sockaddr *)&peer, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("session %016llx: BIND accept",
			    (unsigned long long)rs->rs_sid);
		return;
	}
	addr_str((struct sockaddr *)&peer, pb, sizeof(pb));
	if (!relay_bind_expected(rs, (struct sockaddr *)&peer) ||
	    !relay_rule_pass(rs, CMD_BINDREPLY, (struct sockaddr *)&peer,
	    (struct sockaddr *)&rs->rs_client, NULL, pb, 0)) {
		/* Not this one; the client may still get the right one. */
		log_info("session %016llx: BIND: connection from %s refused",
		    (unsigned long long)rs->rs_sid, pb);
		close(fd);
		return;
	}
	relay_bind_free(rs);
	rs->rs_tfd = fd;
	strlcpy(rs->rs_taddr, pb, sizeof(rs->rs_taddr));
	rs->rs_twatch = 0;
	if (relay_send_reply(rs, SOCKS_REP_SUCCEEDED,
	    (struct sockaddr *)&peer) == -1)
		return;
	relay_start_relaying(rs);
}

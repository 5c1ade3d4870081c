/*
 * One session in a relay: the SOCKS request, the socks rules, the connect
 * and the reply, then the data in both directions.
 *
 * Each direction owns one buffer allocated when the session starts and
 * reused for its whole life.  At method none and level clear bytes are
 * read into it and written out again.  At integrity and confidentiality
 * the client side carries RFC 1961 frames: toward the target, frames are
 * reassembled in the buffer and each token's plaintext is written straight
 * from the buffer gss_unwrap() returned; toward the client, at most one
 * token's worth of plaintext is read and the token gss_wrap() returned is
 * written behind its 4-byte header with one writev().  A direction reads
 * only when its previous output is gone, which is the flow control.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include <ifaddrs.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "relayd.h"
#include "rule.h"

static void	 relay_client_ev(int, short, void *);
static void	 relay_target_ev(int, short, void *);
static void	 relay_timer(int, short, void *);
static void	 relay_request(struct relay_session *);
static void	 relay_reply(struct relay_session *, uint8_t);
static int	 relay_up_prepare(struct relay_session *);
static void	 relay_resolved(uint64_t, int, const struct sockaddr *,
		    socklen_t);

int
relay_gssmode(const struct relay_session *rs)
{
	return (rs->rs_method == METHOD_GSSAPI &&
	    rs->rs_level > GSS_LEVEL_CLEAR);
}

void
relay_timer_set(struct relay_session *rs, int seconds)
{
	struct timeval	 tv;

	evtimer_del(&rs->rs_timer);
	if (seconds <= 0)
		return;
	timerclear(&tv);
	tv.tv_sec = seconds;
	evtimer_set(&rs->rs_timer, relay_timer, rs);
	evtimer_add(&rs->rs_timer, &tv);
}

/* A direction takes its buffer when it is about to hold data... */
static int
relay_dir_take(struct relay_dir *rd)
{
	if (rd->rd_buf == NULL && (rd->rd_buf = relay_buf_get()) == NULL)
		return (-1);
	return (0);
}

/* ...and gives it back as soon as everything in it is consumed. */
static void
relay_dir_idle(struct relay_dir *rd)
{
	if (rd->rd_buf == NULL || rd->rd_off != rd->rd_len)
		return;
	relay_buf_put(rd->rd_buf);
	rd->rd_buf = NULL;
	rd->rd_off = rd->rd_len = 0;
}

void
relay_session_start(struct relay_session *rs)
{
	rs->rs_state = RS_REQUEST;
	rs->rs_cwatch = 0;
	relay_timer_set(rs, relay_conf.sc_timeout_negotiate);
	relay_events(rs);
}

/* Every session ends here: one audit line, then everything goes. */
void
relay_close(struct relay_session *rs, const char *reason)
{
	char	 pb[SOCKD_NAME_MAX * 4], rb[256], ub[160];
	int64_t	 ms = mono_ms() - rs->rs_start;

	log_audit("event=session-end sid=%016llx client=%s principal=%s "
	    "method=%s level=%s protect=%s command=%s target=%s "
	    "bytes_out=%llu bytes_in=%llu%s duration=%lld.%03lld "
	    "reason=\"%s\"",
	    (unsigned long long)rs->rs_sid, rs->rs_caddr,
	    rs->rs_principal[0] ? log_escape_word(rs->rs_principal, pb,
	    sizeof(pb)) : "-", method_str(rs->rs_method),
	    rs->rs_method == METHOD_GSSAPI ? level_str(rs->rs_level) : "-",
	    relay_gss_protect(rs),
	    command_str(rs->rs_req.sr_cmd),
	    rs->rs_taddr[0] ? rs->rs_taddr : "-",
	    (unsigned long long)rs->rs_up.rd_bytes,
	    (unsigned long long)rs->rs_down.rd_bytes,
	    relay_udp_counts(rs, ub, sizeof(ub)),
	    (long long)(ms / 1000), (long long)(ms % 1000),
	    log_escape(reason, rb, sizeof(rb)));
	relay_bytes_out_total += rs->rs_up.rd_bytes;
	relay_bytes_in_total += rs->rs_down.rd_bytes;
	relay_session_free(rs);
}

static void
relay_timer(int fd, short event, void *arg)
{
	struct relay_session	*rs = arg;
	int64_t			 idle;

	(void)fd;
	(void)event;
	switch (rs->rs_state) {
	case RS_REQUEST:
		relay_close(rs, "timeout.negotiate expired before the "
		    "request");
		break;
	case RS_RESOLVE:
	case RS_CONNECT:
		relay_reply(rs, SOCKS_REP_HOSTUNREACH);
		break;
	case RS_BIND:
		log_info("session %016llx: BIND: no connection within "
		    "timeout.connect", (unsigned long long)rs->rs_sid);
		relay_refuse(rs, SOCKS_REP_TTLEXPIRED);
		break;
	default:
		/* Activity only moves a timestamp; the timer catches up. */
		idle = (mono_ms() - rs->rs_active) / 1000;
		if (idle < relay_conf.sc_timeout_io)
			relay_timer_set(rs, relay_conf.sc_timeout_io - idle);
		else
			relay_close(rs, "timeout.io expired");
		break;
	}
}

/* What each descriptor waits for follows from the buffers' state. */
int
relay_dir_pending(const struct relay_dir *rd)
{
	return (rd->rd_tok.length > rd->rd_tokoff || rd->rd_off < rd->rd_len);
}

void
relay_events(struct relay_session *rs)
{
	short	 cev = 0, tev = 0;

	relay_dir_idle(&rs->rs_up);
	relay_dir_idle(&rs->rs_down);

	if (rs->rs_state == RS_REQUEST && !rs->rs_up.rd_eof)
		cev |= EV_READ;
	if (rs->rs_state == RS_RELAY) {
		/* Toward the target: read the client when all is written. */
		if (!rs->rs_up.rd_eof && rs->rs_up.rd_tok.length == 0 &&
		    (relay_gssmode(rs) || rs->rs_up.rd_off == rs->rs_up.rd_len))
			cev |= EV_READ;
		if (!rs->rs_down.rd_eof && !relay_dir_pending(&rs->rs_down))
			tev |= EV_READ;
		if (rs->rs_up.rd_tok.length > rs->rs_up.rd_tokoff ||
		    (!relay_gssmode(rs) && rs->rs_up.rd_off < rs->rs_up.rd_len))
			tev |= EV_WRITE;
	}
	/* Waiting for BIND's peer: keep what the client sends meanwhile. */
	if (rs->rs_state == RS_BIND && !rs->rs_up.rd_eof &&
	    rs->rs_up.rd_len < RELAY_BUFSZ)
		cev |= EV_READ;
	/* UDP: the TCP connection only says when the association ends. */
	if (rs->rs_state == RS_UDP && !rs->rs_up.rd_eof)
		cev |= EV_READ;
	if (relay_dir_pending(&rs->rs_down) && (rs->rs_state == RS_RELAY ||
	    rs->rs_state == RS_REPLY || rs->rs_state == RS_BIND ||
	    rs->rs_state == RS_UDP))
		cev |= EV_WRITE;
	if (rs->rs_state == RS_CONNECT)
		tev |= EV_WRITE;
	proc_watch(&rs->rs_cev, &rs->rs_cwatch, rs->rs_cfd, cev,
	    relay_client_ev, rs);
	if (rs->rs_tfd != -1)
		proc_watch(&rs->rs_tev, &rs->rs_twatch, rs->rs_tfd, tev,
		    relay_target_ev, rs);
}

/*
 * Bytes for the client: wrapped into one token behind a frame header at
 * integrity and confidentiality, as they are otherwise.
 */
int
relay_to_client(struct relay_session *rs, const uint8_t *buf, size_t len)
{
	struct relay_dir	*rd = &rs->rs_down;

	if (!relay_gssmode(rs)) {
		if (relay_dir_take(rd) == -1)
			return (-1);
		if (buf != rd->rd_buf)
			memcpy(rd->rd_buf, buf, len);
		rd->rd_off = 0;
		rd->rd_len = len;
		return (0);
	}
	if (relay_gss_wrap(rs, buf, len, &rd->rd_tok) == -1)
		return (-1);
	gssframe_header(rd->rd_hdr, GSSF_MTYP_DATA, rd->rd_tok.length);
	rd->rd_hdrlen = 0;
	rd->rd_tokoff = 0;
	rd->rd_off = rd->rd_len = 0;
	return (0);
}

/*
 * Write what is pending toward the client; -1 when the connection is
 * dead, and then the session is closed.
 */
static int
relay_flush_client(struct relay_session *rs)
{
	struct relay_dir	*rd = &rs->rs_down;
	struct iovec		 iov[2];
	ssize_t			 n;

	if (!relay_dir_pending(rd))
		return (0);
	if (rd->rd_tok.length == 0) {
		if ((n = write(rs->rs_cfd, rd->rd_buf + rd->rd_off,
		    rd->rd_len - rd->rd_off)) == -1)
			goto fail;
		rd->rd_off += n;
		return (0);
	}
	iov[0].iov_base = rd->rd_hdr + rd->rd_hdrlen;
	iov[0].iov_len = GSSF_HDRLEN - rd->rd_hdrlen;
	iov[1].iov_base = (uint8_t *)rd->rd_tok.value + rd->rd_tokoff;
	iov[1].iov_len = rd->rd_tok.length - rd->rd_tokoff;
	if ((n = writev(rs->rs_cfd, iov, 2)) == -1)
		goto fail;
	if ((size_t)n < iov[0].iov_len) {
		rd->rd_hdrlen += n;
		return (0);
	}
	rd->rd_hdrlen = GSSF_HDRLEN;
	rd->rd_tokoff += n - iov[0].iov_len;
	if (rd->rd_tokoff == rd->rd_tok.length)
		relay_gss_release(rs, &rd->rd_tok);
	return (0);
 fail:
	if (errno == EAGAIN || errno == EINTR)
		return (0);
	relay_close(rs, "client connection lost");
	return (-1);
}

/*
 * The next whole frame from the client, unwrapped.  Returns 1 with the
 * plaintext in *out, 0 when the frame is not all there yet, -1 on a bad
 * frame or token.
 */
static int
relay_next_token(struct relay_session *rs, gss_buffer_t out,
    const char **why)
{
	struct relay_dir	*rd = &rs->rs_up;
	enum gssf_status	 st;
	size_t			 toklen, avail = rd->rd_len - rd->rd_off;

	if (avail == 0)
		return (0);
	st = gssframe_parse(rd->rd_buf + rd->rd_off, avail, GSSF_MTYP_DATA,
	    &toklen);
	if (st == GSSF_MORE) {
		/* Make room for the rest of the frame. */
		if (rd->rd_off > 0) {
			memmove(rd->rd_buf, rd->rd_buf + rd->rd_off, avail);
			rd->rd_off = 0;
			rd->rd_len = avail;
		}
		return (0);
	}
	if (st != GSSF_OK) {
		*why = gssframe_strerror(st);
		return (-1);
	}
	if (relay_gss_unwrap(rs, rd->rd_buf + rd->rd_off + GSSF_HDRLEN,
	    toklen, out) == -1) {
		*why = "gss_unwrap failed";
		return (-1);
	}
	rd->rd_off += GSSF_HDRLEN + toklen;
	if (rd->rd_off == rd->rd_len)
		rd->rd_off = rd->rd_len = 0;
	return (1);
}

/* Read from the client into the up buffer; -1 closed or error. */
static int
relay_read_client(struct relay_session *rs)
{
	struct relay_dir	*rd = &rs->rs_up;
	ssize_t			 n;

	if (rd->rd_len >= RELAY_BUFSZ)
		return (0);
	if (relay_dir_take(rd) == -1) {
		relay_close(rs, "out of memory");
		return (-1);
	}
	n = read(rs->rs_cfd, rd->rd_buf + rd->rd_len, RELAY_BUFSZ - rd->rd_len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return (0);
	if (n == -1) {
		relay_close(rs, "client connection lost");
		return (-1);
	}
	rs->rs_active = mono_ms();
	if (n == 0) {
		rd->rd_eof = 1;
		return (0);
	}
	rd->rd_len += n;
	return (0);
}

/*
 * The request, as plaintext: the bytes read at none/clear, or the
 * accumulated plaintext of the tokens read so far.
 */
static void
relay_request_gss(struct relay_session *rs)
{
	gss_buffer_desc	 out = GSS_C_EMPTY_BUFFER;
	const char	*why = NULL;
	size_t		 take, prev;
	ssize_t		 n = 0;
	uint8_t		 rep;
	int		 r;

	while ((r = relay_next_token(rs, &out, &why)) == 1) {
		prev = rs->rs_reqlen;
		take = out.length;
		if (take > sizeof(rs->rs_reqbuf) - prev)
			take = sizeof(rs->rs_reqbuf) - prev;
		memcpy(rs->rs_reqbuf + prev, out.value, take);
		rs->rs_reqlen += take;
		n = socks_request_parse(rs->rs_reqbuf, rs->rs_reqlen,
		    &rs->rs_req, &rep);
		if (n != 0) {
			/* Plaintext past the request goes to the target. */
			if (n > 0 && (size_t)n - prev < out.length) {
				rs->rs_up.rd_tok = out;
				rs->rs_up.rd_tokoff = n - prev;
			} else
				relay_gss_release(rs, &out);
			break;
		}
		relay_gss_release(rs, &out);
		if (rs->rs_reqlen == sizeof(rs->rs_reqbuf)) {
			n = -1;
			rep = SOCKS_REP_FAILURE;
			break;
		}
	}
	if (r == -1) {
		relay_close(rs, why);
		return;
	}
	if (n == -1) {
		relay_reply(rs, rep);
		return;
	}
	if (n > 0)
		relay_request(rs);
	else if (rs->rs_up.rd_eof)
		relay_close(rs, "client closed before the request");
	else
		relay_events(rs);
}

static void
relay_request_plain(struct relay_session *rs)
{
	struct relay_dir	*rd = &rs->rs_up;
	ssize_t			 n;
	uint8_t			 rep;

	n = socks_request_parse(rd->rd_buf, rd->rd_len, &rs->rs_req, &rep);
	if (n == -1) {
		relay_reply(rs, rep);
		return;
	}
	if (n == 0) {
		if (rd->rd_eof || rd->rd_len >= SOCKS_MSG_MAX)
			relay_close(rs, rd->rd_eof ? "client closed before "
			    "the request" : "malformed request");
		else
			relay_events(rs);
		return;
	}
	/* What follows the request is data for the target. */
	rd->rd_off = n;
	relay_request(rs);
}

static const char *
relay_target_str(struct relay_session *rs)
{
	return (socks_addr_str(&rs->rs_req.sr_addr, rs->rs_taddr,
	    sizeof(rs->rs_taddr)));
}

/*
 * The socks rules, first match wins, no match blocks.  A target given as
 * a name is matched as the name first (domain rules and 0/0), then, if no
 * rule matched the name, as the address it resolved to (when there is
 * one).  For bindreply and udpreply, from is the remote host and to the
 * client, as in Dante.
 */
static const struct rule *
relay_rule_find(struct relay_session *rs, unsigned int cmd,
    const struct sockaddr *from, const struct sockaddr *to,
    const char *toname)
{
	const struct rule	*r = NULL;
	struct rule_ctx		 ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.rc_from = from;
	ctx.rc_to = to;
	ctx.rc_command = cmd;
	ctx.rc_method = rs->rs_method;
	ctx.rc_principal = rs->rs_principal[0] ? rs->rs_principal : NULL;
	ctx.rc_level = rs->rs_method == METHOD_GSSAPI ? rs->rs_level : -1;
	if (toname != NULL) {
		ctx.rc_toname = toname;
		r = rule_match_socks(relay_rules, relay_nrules, &ctx);
		ctx.rc_toname = NULL;
	}
	if (r == NULL && to != NULL && to->sa_family != AF_UNSPEC)
		r = rule_match_socks(relay_rules, relay_nrules, &ctx);
	return (r);
}

/*
 * Returns 1 if a pass rule allows it.  what names the peer for the log
 * line; quiet (per datagram) logs only when the rule asks for it.
 */
int
relay_rule_pass(struct relay_session *rs, unsigned int cmd,
    const struct sockaddr *from, const struct sockaddr *to,
    const char *toname, const char *what, int quiet)
{
	const struct rule	*r;
	char			 rb[128], pb[SOCKD_NAME_MAX * 4];
	const char		*who, *cmds;
	int			 pass;

	r = relay_rule_find(rs, cmd, from, to, toname);
	pass = r != NULL && r->r_action == RULE_PASS;
	if (quiet && (r == NULL || !(r->r_log & (pass ? RLOG_CONNECT :
	    RLOG_ERROR))))
		return (pass);
	if (pass && !(r->r_log & RLOG_CONNECT))
		return (pass);
	who = rs->rs_principal[0] ? log_escape_word(rs->rs_principal, pb,
	    sizeof(pb)) : "-";
	cmds = cmd == CMD_BINDREPLY ? "bindreply" : cmd == CMD_UDPREPLY ?
	    "udpreply" : cmd == CMD_UDPASSOCIATE ? "udpassociate" :
	    cmd == CMD_BIND ? "bind" : "connect";
	log_audit("event=request-%s sid=%016llx client=%s principal=%s "
	    "command=%s target=%s rule=\"%s\"", pass ? "pass" : "block",
	    (unsigned long long)rs->rs_sid, rs->rs_caddr, who, cmds, what,
	    r != NULL ? rule_str(r, rb, sizeof(rb)) : "no socks rule matches");
	return (pass);
}

uint8_t
relay_errno_rep(int error)
{
	switch (error) {
	case ECONNREFUSED:
		return (SOCKS_REP_REFUSED);
	case ENETUNREACH:
	case ENETDOWN:
		return (SOCKS_REP_NETUNREACH);
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ETIMEDOUT:
		return (SOCKS_REP_HOSTUNREACH);
	case EACCES:
	case EPERM:
		return (SOCKS_REP_NOTALLOWED);
	}
	return (SOCKS_REP_FAILURE);
}

/*
 * external: addresses, with interface names turned into their addresses
 * once, before the chroot (getifaddrs needs /proc and netlink).
 */
static struct sockaddr_storage	 relay_ext[SOCKD_MAXEXTERNAL * 2];
static int			 relay_next;

static void
relay_external_add(const struct sockaddr *sa)
{
	if (relay_next >= SOCKD_MAXEXTERNAL * 2)
		return;
	memcpy(&relay_ext[relay_next++], sa, sa_len(sa));
}

static void
relay_external_if(const char *name)
{
	struct ifaddrs	*ifa, *i;
	int		 have4 = 0, have6 = 0;

	if (getifaddrs(&ifa) == -1)
		fatal("getifaddrs");
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || strcmp(i->ifa_name, name) != 0)
			continue;
		if (i->ifa_addr->sa_family == AF_INET && !have4++)
			relay_external_add(i->ifa_addr);
		else if (i->ifa_addr->sa_family == AF_INET6 && !have6 &&
		    !IN6_IS_ADDR_LINKLOCAL(
		    &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr)) {
			relay_external_add(i->ifa_addr);
			have6 = 1;
		}
	}
	freeifaddrs(ifa);
	if (!have4 && !have6)
		log_warnx("external: interface %s has no address", name);
}

void
relay_external_init(void)
{
	const struct extaddr	*ea;
	int			 i;

	for (i = 0; i < relay_conf.sc_nexternal; i++) {
		ea = &relay_conf.sc_external[i];
		if (ea->ea_isif)
			relay_external_if(ea->ea_ifname);
		else
			relay_external_add((const struct sockaddr *)&ea->ea_ss);
	}
}

/*
 * The local address for the target side: Dante's external, the first
 * one of the family (port 0); without one, the kernel's choice.
 */
int
relay_external(int family, struct sockaddr_storage *ss, socklen_t *len)
{
	int	 i;

	for (i = 0; i < relay_next; i++) {
		if (relay_ext[i].ss_family != family)
			continue;
		memcpy(ss, &relay_ext[i], sizeof(*ss));
		*len = sa_len((struct sockaddr *)ss);
		if (family == AF_INET)
			((struct sockaddr_in *)ss)->sin_port = 0;
		else
			((struct sockaddr_in6 *)ss)->sin6_port = 0;
		return (1);
	}
	return (0);
}

static int
relay_bind_external(struct relay_session *rs, int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;

	if (!relay_external(rs->rs_target.ss_family, &ss, &len))
		return (0);
	return (bind(fd, (struct sockaddr *)&ss, len));
}

static void
relay_connect(struct relay_session *rs)
{
	int	 fd;

	relay_target_str(rs);
	if (!relay_rule_pass(rs, CMD_CONNECT, (struct sockaddr *)&rs->rs_client,
	    (struct sockaddr *)&rs->rs_target,
	    rs->rs_req.sr_addr.sa_atyp == SOCKS_ATYP_DOMAIN ?
	    rs->rs_req.sr_addr.sa_domain : NULL, rs->rs_taddr, 0)) {
		relay_reply(rs, SOCKS_REP_NOTALLOWED);
		return;
	}
	fd = socket(rs->rs_target.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("session %016llx: socket", (unsigned long long)
		    rs->rs_sid);
		relay_reply(rs, SOCKS_REP_FAILURE);
		return;
	}
	rs->rs_tfd = fd;
	rs->rs_twatch = 0;
	if (relay_bind_external(rs, fd) == -1) {
		log_warn("session %016llx: bind to external address",
		    (unsigned long long)rs->rs_sid);
		relay_reply(rs, SOCKS_REP_FAILURE);
		return;
	}
	if (connect(fd, (struct sockaddr *)&rs->rs_target,
	    rs->rs_targetlen) == -1 && errno != EINPROGRESS) {
		relay_reply(rs, relay_errno_rep(errno));
		return;
	}
	rs->rs_state = RS_CONNECT;
	relay_timer_set(rs, relay_conf.sc_timeout_connect);
	relay_events(rs);
}

static void
relay_connect_start(struct relay_session *rs)
{
	struct socks_addr	*sa = &rs->rs_req.sr_addr;

	if (sa->sa_atyp == SOCKS_ATYP_DOMAIN) {
		rs->rs_state = RS_RESOLVE;
		relay_events(rs);
		relay_dns_resolve(rs->rs_sid, sa->sa_domain, relay_resolved);
		return;
	}
	if (socks_addr_to_sockaddr(sa, &rs->rs_target,
	    &rs->rs_targetlen) == -1) {
		relay_reply(rs, SOCKS_REP_ATYPUNSUPP);
		return;
	}
	relay_connect(rs);
}

static void
relay_request(struct relay_session *rs)
{
	relay_target_str(rs);
	switch (rs->rs_req.sr_cmd) {
	case SOCKS_CMD_CONNECT:
		relay_connect_start(rs);
		break;
	case SOCKS_CMD_BIND:
		relay_bind_start(rs);
		break;
	case SOCKS_CMD_UDPASSOCIATE:
		relay_udp_start(rs);
		break;
	default:
		relay_refuse(rs, SOCKS_REP_CMDUNSUPP);
		break;
	}
}

static void
relay_resolved(uint64_t sid, int error, const struct sockaddr *sa,
    socklen_t len)
{
	struct relay_session	 key, *rs;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	key.rs_sid = sid;
	if ((rs = RB_FIND(relay_tree, &relay_sessions, &key)) == NULL ||
	    rs->rs_state != RS_RESOLVE)
		return;
	if (error == -1 || len > sizeof(rs->rs_target)) {
		log_info("session %016llx: cannot resolve %s",
		    (unsigned long long)sid, rs->rs_taddr);
		relay_reply(rs, SOCKS_REP_HOSTUNREACH);
		return;
	}
	memcpy(&rs->rs_target, sa, len);
	rs->rs_targetlen = len;
	sin = (struct sockaddr_in *)&rs->rs_target;
	sin6 = (struct sockaddr_in6 *)&rs->rs_target;
	if (sa->sa_family == AF_INET)
		sin->sin_port = htons(rs->rs_req.sr_addr.sa_port);
	else
		sin6->sin6_port = htons(rs->rs_req.sr_addr.sa_port);
	relay_connect(rs);
}

/*
 * Queue a reply with bound address bnd (NULL: 0.0.0.0:0).  Returns -1
 * when the session had to be closed.
 */
int
relay_send_reply(struct relay_session *rs, uint8_t rep,
    const struct sockaddr *bnd)
{
	struct socks_addr	 sa;
	uint8_t			 msg[SOCKS_MSG_MAX];
	size_t			 n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_atyp = SOCKS_ATYP_IPV4;
	if (bnd != NULL)
		(void)socks_addr_from_sockaddr(&sa, bnd);
	n = socks_reply_encode(msg, sizeof(msg), rep, &sa);
	if (n == 0 || relay_to_client(rs, msg, n) == -1) {
		relay_close(rs, "cannot send the reply");
		return (-1);
	}
	return (0);
}

/* A failure reply: written, then the session closes. */
void
relay_refuse(struct relay_session *rs, uint8_t rep)
{
	if (relay_send_reply(rs, rep, NULL) == -1)
		return;
	rs->rs_state = RS_REPLY;
	if (rs->rs_tfd != -1) {
		proc_unwatch(&rs->rs_tev, &rs->rs_twatch);
		close(rs->rs_tfd);
		rs->rs_tfd = -1;
	}
	relay_timer_set(rs, relay_conf.sc_timeout_negotiate);
	log_info("session %016llx: %s: %s", (unsigned long long)rs->rs_sid,
	    rs->rs_taddr[0] ? rs->rs_taddr : "request", socks_rep_str(rep));
	relay_events(rs);
}

/* The target is there (connected, or accepted for BIND): relay. */
void
relay_start_relaying(struct relay_session *rs)
{
	rs->rs_state = RS_RELAY;
	rs->rs_active = mono_ms();
	relay_timer_set(rs, relay_conf.sc_timeout_io);
	/* The reply goes now if the client's socket takes it. */
	if (relay_flush_client(rs) == -1)
		return;
	/* Frames the client sent ahead of the reply are already here. */
	if (relay_up_prepare(rs) == -1)
		return;
	relay_events(rs);
}

static void
relay_reply(struct relay_session *rs, uint8_t rep)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (rep != SOCKS_REP_SUCCEEDED) {
		relay_refuse(rs, rep);
		return;
	}
	if (getsockname(rs->rs_tfd, (struct sockaddr *)&ss, &len) == -1) {
		relay_refuse(rs, SOCKS_REP_FAILURE);
		return;
	}
	if (relay_send_reply(rs, rep, (struct sockaddr *)&ss) == -1)
		return;
	relay_start_relaying(rs);
}

static void
relay_connected(struct relay_session *rs)
{
	int		 error = 0;
	socklen_t	 len = sizeof(error);

	if (getsockopt(rs->rs_tfd, SOL_SOCKET, SO_ERROR, &error,
	    &len) == -1)
		error = errno;
	if (error != 0) {
		relay_reply(rs, relay_errno_rep(error));
		return;
	}
	relay_reply(rs, SOCKS_REP_SUCCEEDED);
}

/* Half-close: the end of one direction is passed on once it is written. */
static int
relay_shutdowns(struct relay_session *rs)
{
	if (rs->rs_up.rd_eof && !rs->rs_up.rd_shut &&
	    !relay_dir_pending(&rs->rs_up)) {
		(void)shutdown(rs->rs_tfd, SHUT_WR);
		rs->rs_up.rd_shut = 1;
	}
	if (rs->rs_down.rd_eof && !rs->rs_down.rd_shut &&
	    !relay_dir_pending(&rs->rs_down)) {
		(void)shutdown(rs->rs_cfd, SHUT_WR);
		rs->rs_down.rd_shut = 1;
	}
	if (rs->rs_up.rd_shut && rs->rs_down.rd_shut) {
		relay_close(rs, "closed");
		return (-1);
	}
	return (0);
}

/* Client to target: make the next plaintext ready to write. */
static int
relay_up_prepare(struct relay_session *rs)
{
	gss_buffer_desc	 out = GSS_C_EMPTY_BUFFER;
	const char	*why = NULL;
	int		 r;

	if (!relay_gssmode(rs) || rs->rs_up.rd_tok.length != 0)
		return (0);
	while ((r = relay_next_token(rs, &out, &why)) == 1) {
		if (out.length > 0) {
			rs->rs_up.rd_tok = out;
			rs->rs_up.rd_tokoff = 0;
			return (0);
		}
		relay_gss_release(rs, &out);
	}
	if (r == -1) {
		relay_close(rs, why);
		return (-1);
	}
	if (rs->rs_up.rd_eof && rs->rs_up.rd_off < rs->rs_up.rd_len) {
		relay_close(rs, "client closed in the middle of a frame");
		return (-1);
	}
	return (0);
}

static int
relay_write_target(struct relay_session *rs)
{
	struct relay_dir	*rd = &rs->rs_up;
	const uint8_t		*p;
	size_t			 len;
	ssize_t			 n;

	if (rd->rd_tok.length > 0) {
		p = (uint8_t *)rd->rd_tok.value + rd->rd_tokoff;
		len = rd->rd_tok.length - rd->rd_tokoff;
	} else if (!relay_gssmode(rs) && rd->rd_off < rd->rd_len) {
		p = rd->rd_buf + rd->rd_off;
		len = rd->rd_len - rd->rd_off;
	} else
		return (0);
	if (len == 0)
		return (0);
	if ((n = write(rs->rs_tfd, p, len)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return (0);
		relay_close(rs, strerror(errno));
		return (-1);
	}
	rd->rd_bytes += n;
	if (rd->rd_tok.length > 0) {
		rd->rd_tokoff += n;
		if (rd->rd_tokoff == rd->rd_tok.length) {
			relay_gss_release(rs, &rd->rd_tok);
			rd->rd_tokoff = 0;
		}
	} else {
		rd->rd_off += n;
		if (rd->rd_off == rd->rd_len)
			rd->rd_off = rd->rd_len = 0;
	}
	return (0);
}

/* Target to client: read at most one token's worth and queue it. */
static int
relay_read_target(struct relay_session *rs)
{
	struct relay_dir	*rd = &rs->rs_down;
	size_t			 max = RELAY_BUFSZ;
	ssize_t			 n;

	if (relay_gssmode(rs) && rs->rs_maxplain < max)
		max = rs->rs_maxplain;
	if (relay_dir_take(rd) == -1) {
		relay_close(rs, "out of memory");
		return (-1);
	}
	n = read(rs->rs_tfd, rd->rd_buf, max);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return (0);
	if (n == -1) {
		relay_close(rs, strerror(errno));
		return (-1);
	}
	rs->rs_active = mono_ms();
	if (n == 0) {
		rd->rd_eof = 1;
		return (0);
	}
	rd->rd_bytes += n;
	if (relay_to_client(rs, rd->rd_buf, n) == -1) {
		relay_close(rs, "gss_wrap failed");
		return (-1);
	}
	return (0);
}

static void
relay_client_ev(int fd, short event, void *arg)
{
	struct relay_session	*rs = arg;

	(void)fd;
	if (event & EV_WRITE) {
		if (relay_flush_client(rs) == -1)
			return;
		if (rs->rs_state == RS_REPLY &&
		    !relay_dir_pending(&rs->rs_down)) {
			relay_close(rs, "request refused");
			return;
		}
	}
	if (event & EV_READ) {
		if (relay_read_client(rs) == -1)
			return;		/* closed */
		if (rs->rs_state == RS_REQUEST) {
			if (relay_gssmode(rs))
				relay_request_gss(rs);
			else
				relay_request_plain(rs);
			return;
		}
		if (rs->rs_state == RS_UDP) {
			rs->rs_up.rd_len = rs->rs_up.rd_off = 0;
			if (rs->rs_up.rd_eof) {
				relay_close(rs, "closed");
				return;
			}
		}
		if (rs->rs_state == RS_BIND && rs->rs_up.rd_eof) {
			relay_close(rs, "client closed before the incoming "
			    "connection");
			return;
		}
		/*
		 * What was read goes now if the target takes it: a write
		 * event only when it would block, not one per chunk.
		 */
		if (rs->rs_state == RS_RELAY && (relay_up_prepare(rs) == -1 ||
		    relay_write_target(rs) == -1 || relay_up_prepare(rs) == -1))
			return;
	}
	if (rs->rs_state == RS_RELAY && relay_shutdowns(rs) == -1)
		return;
	relay_events(rs);
	if (rs->rs_state == RS_BIND)
		relay_bind_events(rs);
}

static void
relay_target_ev(int fd, short event, void *arg)
{
	struct relay_session	*rs = arg;

	(void)fd;
	if (rs->rs_state == RS_CONNECT) {
		relay_connected(rs);
		return;
	}
	if (event & EV_WRITE) {
		if (relay_write_target(rs) == -1)
			return;
		if (relay_up_prepare(rs) == -1)
			return;
	}
	if (event & EV_READ) {
		if (relay_read_target(rs) == -1)
			return;
		/* As toward the target: written now if the client takes it. */
		if (relay_flush_client(rs) == -1)
			return;
	}
	if (relay_shutdowns(rs) == -1)
		return;
	relay_events(rs);
}

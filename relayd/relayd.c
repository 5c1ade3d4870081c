/*
 * relayd: main program, imsg dispatch, and the meeting of the two halves
 * of a session: the client descriptor from the front end and, for gssapi,
 * the exported context from authd.  They arrive on different channels in
 * either order; whichever comes first waits, bounded by a timer.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "relayd.h"
#include "cfgrecv.h"
#include "rule.h"
#include "sandbox.h"

struct sockd_conf	 relay_conf;
struct rule		*relay_rules;
int			 relay_nrules;
static struct config	*relay_cfg;	/* in force */
static struct config	*relay_next;	/* being received */
struct relay_tree	 relay_sessions = RB_INITIALIZER(&relay_sessions);
int			 relay_instance;

static struct proc_chan	 relay_parent;
static struct proc_chan	 relay_front;
static struct proc_chan	 relay_auth;
static int		 relay_logfile;
static int		 relay_sbdebug;

static void	 relay_dispatch_parent(struct proc_chan *, struct imsg *);
static void	 relay_dispatch_front(struct proc_chan *, struct imsg *);
static void	 relay_dispatch_auth(struct proc_chan *, struct imsg *);
static void	 relay_peer_lost(struct proc_chan *);
static void	 relay_term(void);
static void	 relay_stats(void);

/* Counters for SIGUSR1: sessions ever and now, bytes of closed ones. */
uint64_t		 relay_nsessions_total;
uint64_t		 relay_bytes_out_total;
uint64_t		 relay_bytes_in_total;

int
relay_cmp(struct relay_session *a, struct relay_session *b)
{
	return (a->rs_sid < b->rs_sid ? -1 : a->rs_sid > b->rs_sid);
}

RB_GENERATE(relay_tree, relay_session, rs_node, relay_cmp)

__attribute__((__noreturn__)) static void
usage(void)
{
	fprintf(stderr, "usage: sockd-relay -I instance -d level [-GLS]\n"
	    "sockd-relay is started by sockd(8), not by hand.\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	const char	*errstr;
	char		 name[32];
	int		 ch, debug = 0;

	while ((ch = getopt(argc, argv, "d:GI:LS")) != -1) {
		switch (ch) {
		case 'd':
			debug = strtonum(optarg, 0, 10, &errstr);
			if (errstr != NULL)
				errx(1, "debug level %s: %s", optarg, errstr);
			break;
		case 'I':
			relay_instance = strtonum(optarg, 0,
			    SOCKD_MAXRELAYS - 1, &errstr);
			if (errstr != NULL)
				errx(1, "instance %s: %s", optarg, errstr);
			break;
		case 'G':
			/* Benchmarks: per-message protection by the library. */
			relay_gss_library = 1;
			break;
		case 'L':
			relay_logfile = 1;
			break;
		case 'S':
			relay_sbdebug = 1;
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();
	(void)snprintf(name, sizeof(name), "relay %d", relay_instance);
	proc_setup_child(name, debug);
	event_init();
	relay_buf_init();
	/* What the chroot will hide: resolver and GSS-API configuration. */
	relay_gss_warmup();
	if (relay_dns_init() == -1)
		fatalx("cannot initialise the resolver");
	proc_chan_init(&relay_parent, PROC_PARENT_FD, "parent", 1,
	    relay_dispatch_parent, NULL, NULL);
	proc_signals(relay_term, relay_stats);
	event_dispatch();
	fatalx("event loop ended");
}

static void
relay_cfg_peer(struct imsg *imsg)
{
	struct ctl_peer	 cp;
	int		 fd;

	if (imsg_get_data(imsg, &cp, sizeof(cp)) == -1 ||
	    (fd = imsg_get_fd(imsg)) == -1)
		fatalx("%s: bad IMSG_CTL_PEER", __func__);
	switch (cp.cp_proc) {
	case PROC_FRONT:
		proc_chan_init(&relay_front, fd, "front", 1,
		    relay_dispatch_front, relay_peer_lost, NULL);
		break;
	case PROC_AUTH:
		proc_chan_init(&relay_auth, fd, "authd", 0,
		    relay_dispatch_auth, relay_peer_lost, NULL);
		break;
	default:
		fatalx("%s: bad peer %d", __func__, cp.cp_proc);
	}
}

/*
 * A configuration is complete: the first one finishes start-up, a later
 * one (SIGHUP) replaces the rules and settings for every request from now
 * on.  external: and the users are the parent's to keep unchanged.
 */
static void
relay_commit(void)
{
	int	 first = relay_cfg == NULL;

	config_unref(relay_cfg);
	relay_cfg = relay_next;
	relay_next = NULL;
	relay_conf = relay_cfg->c_conf;
	relay_rules = relay_cfg->c_rules;
	relay_nrules = relay_cfg->c_nrules;
	proc_log_config(&relay_conf, relay_logfile);
	if (!first) {
		log_debug("%s: %d rules", __func__, relay_nrules);
		return;
	}
	relay_external_init();
	proc_privdrop(relay_conf.sc_user_unpriv, SOCKD_CHROOT);
	proc_sandbox(SANDBOX_RELAY, relay_sbdebug);
	if (proc_compose(&relay_parent, IMSG_CTL_START, -1, NULL, 0) == -1)
		fatalx("%s: cannot report to the parent", __func__);
}

static void
relay_dispatch_parent(struct proc_chan *pc, struct imsg *imsg)
{
	(void)pc;
	if (config_recv(&relay_next, imsg))
		return;
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_PEER:
		relay_cfg_peer(imsg);
		break;
	case IMSG_CFG_DONE:
		if (relay_next == NULL)
			fatalx("%s: IMSG_CFG_DONE without a configuration",
			    __func__);
		relay_commit();
		break;
	default:
		fatalx("%s: unexpected message %u", __func__,
		    imsg_get_type(imsg));
	}
}

static void
relay_join_timeout(int fd, short event, void *arg)
{
	struct relay_session	*rs = arg;

	(void)fd;
	(void)event;
	log_warnx("session %016llx: %s never arrived",
	    (unsigned long long)rs->rs_sid,
	    rs->rs_have_client ? "the GSS-API context" : "the client");
	relay_session_free(rs);
}

static struct relay_session *
relay_session_get(uint64_t sid)
{
	struct relay_session	 key, *rs;
	struct timeval		 tv;

	key.rs_sid = sid;
	if ((rs = RB_FIND(relay_tree, &relay_sessions, &key)) != NULL)
		return (rs);
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return (NULL);
	rs->rs_sid = sid;
	rs->rs_cfd = rs->rs_tfd = rs->rs_lfd = -1;
	rs->rs_level = -1;
	rs->rs_srule = -1;
	rs->rs_gctx = GSS_C_NO_CONTEXT;
	rs->rs_state = RS_JOIN;
	rs->rs_start = mono_ms();
	RB_INSERT(relay_tree, &relay_sessions, rs);
	evtimer_set(&rs->rs_timer, relay_join_timeout, rs);
	timerclear(&tv);
	tv.tv_sec = RELAY_JOIN_TIMEOUT;
	evtimer_add(&rs->rs_timer, &tv);
	return (rs);
}

void
relay_session_free(struct relay_session *rs)
{
	struct relay_end	 re;

	event_del(&rs->rs_timer);
	if (rs->rs_cfd != -1) {
		proc_unwatch(&rs->rs_cev, &rs->rs_cwatch);
		close(rs->rs_cfd);
	}
	if (rs->rs_tfd != -1) {
		proc_unwatch(&rs->rs_tev, &rs->rs_twatch);
		close(rs->rs_tfd);
	}
	relay_bind_free(rs);
	relay_udp_free(rs);
	relay_gss_release(rs, &rs->rs_up.rd_tok);
	relay_gss_release(rs, &rs->rs_down.rd_tok);
	relay_buf_put(rs->rs_up.rd_buf);
	relay_buf_put(rs->rs_down.rd_buf);
	relay_gss_free(rs);
	/* The front end counts our sessions against our descriptors. */
	if (rs->rs_have_client) {
		memset(&re, 0, sizeof(re));
		re.re_sid = rs->rs_sid;
		(void)proc_compose(&relay_front, IMSG_RELAY_END, -1, &re,
		    sizeof(re));
	}
	RB_REMOVE(relay_tree, &relay_sessions, rs);
	freezero(rs, sizeof(*rs));
}

static void
relay_join(struct relay_session *rs)
{
	if (!rs->rs_have_client)
		return;
	if (rs->rs_method == METHOD_GSSAPI && !rs->rs_have_ctx)
		return;
	event_del(&rs->rs_timer);
	relay_session_start(rs);
}

static void
relay_client(struct imsg *imsg)
{
	struct relay_client	 rl;
	struct relay_session	*rs;
	int			 fd;

	fd = imsg_get_fd(imsg);
	if (imsg_get_data(imsg, &rl, sizeof(rl)) == -1 || fd == -1 ||
	    (rl.rl_method != METHOD_NONE && rl.rl_method != METHOD_GSSAPI)) {
		log_warnx("%s: bad IMSG_RELAY_CLIENT dropped", __func__);
		if (fd != -1)
			close(fd);
		return;
	}
	/*
	 * Not even the front end gets a client carried without the
	 * authentication the configuration demands: method none only if
	 * it is configured, and never for a session authd authenticated.
	 */
	if (rl.rl_method == METHOD_NONE &&
	    !rule_method_allowed(&relay_conf.sc_socksmethods, METHOD_NONE)) {
		log_warnx("%s: session %016llx: method none is not configured",
		    __func__, (unsigned long long)rl.rl_sid);
		close(fd);
		return;
	}
	if ((rs = relay_session_get(rl.rl_sid)) == NULL ||
	    rs->rs_have_client ||
	    (rs->rs_have_ctx && rl.rl_method != METHOD_GSSAPI)) {
		log_warnx("%s: session %016llx refused", __func__,
		    (unsigned long long)rl.rl_sid);
		close(fd);
		if (rs != NULL && rs->rs_have_ctx && !rs->rs_have_client)
			relay_session_free(rs);
		return;
	}
	rs->rs_have_client = 1;
	relay_nsessions_total++;
	rs->rs_cfd = fd;
	rs->rs_method = rl.rl_method;
	rs->rs_client = rl.rl_client;
	rs->rs_local = rl.rl_local;
	rs->rs_accepted = rl.rl_accepted;
	addr_str((struct sockaddr *)&rs->rs_client, rs->rs_caddr,
	    sizeof(rs->rs_caddr));
	if (fd_nonblock(fd) == -1) {
		relay_session_free(rs);
		return;
	}
	relay_join(rs);
}

static void
relay_context(struct imsg *imsg)
{
	struct relay_context	 rc;
	struct relay_session	*rs;
	size_t			 len = imsg_get_len(imsg);
	uint8_t			*tok;

	if (len <= sizeof(rc)) {
		log_warnx("%s: bad IMSG_RELAY_CONTEXT dropped", __func__);
		return;
	}
	memcpy(&rc, imsg->data, sizeof(rc));
	tok = (uint8_t *)imsg->data + sizeof(rc);
	rc.rc_principal[sizeof(rc.rc_principal) - 1] = '\0';
	if (rc.rc_level < GSS_LEVEL_CLEAR || rc.rc_level > GSS_LEVEL_CONF ||
	    (rs = relay_session_get(rc.rc_sid)) == NULL || rs->rs_have_ctx ||
	    (rs->rs_have_client && rs->rs_method != METHOD_GSSAPI)) {
		log_warnx("%s: context for session %016llx refused", __func__,
		    (unsigned long long)rc.rc_sid);
		explicit_bzero(tok, len - sizeof(rc));
		return;
	}
	rs->rs_have_ctx = 1;
	rs->rs_level = rc.rc_level;
	rs->rs_flags = rc.rc_flags;
	strlcpy(rs->rs_principal, rc.rc_principal, sizeof(rs->rs_principal));
	if (relay_gss_import(rs, tok, len - sizeof(rc)) == -1) {
		explicit_bzero(tok, len - sizeof(rc));
		relay_session_free(rs);
		return;
	}
	/* The exported context held the session keys. */
	explicit_bzero(tok, len - sizeof(rc));
	relay_join(rs);
}

static void
relay_dispatch_front(struct proc_chan *pc, struct imsg *imsg)
{
	(void)pc;
	switch (imsg_get_type(imsg)) {
	case IMSG_RELAY_CLIENT:
		relay_client(imsg);
		break;
	default:
		log_warnx("%s: unexpected message %u dropped", __func__,
		    imsg_get_type(imsg));
		break;
	}
}

static void
relay_dispatch_auth(struct proc_chan *pc, struct imsg *imsg)
{
	(void)pc;
	switch (imsg_get_type(imsg)) {
	case IMSG_RELAY_CONTEXT:
		relay_context(imsg);
		break;
	default:
		log_warnx("%s: unexpected message %u dropped", __func__,
		    imsg_get_type(imsg));
		break;
	}
}

/* SIGTERM: every session ends with its audit line, then the relay. */
static void
relay_term(void)
{
	struct relay_session	*rs, *next;

	RB_FOREACH_SAFE(rs, relay_tree, &relay_sessions, next) {
		if (rs->rs_state == RS_JOIN)
			relay_session_free(rs);
		else
			relay_close(rs, "sockd is stopping");
	}
}

static void
relay_stats(void)
{
	struct relay_session	*rs;
	uint64_t		 n = 0, out = relay_bytes_out_total;
	uint64_t		 in = relay_bytes_in_total;

	RB_FOREACH(rs, relay_tree, &relay_sessions) {
		n++;
		out += rs->rs_up.rd_bytes;
		in += rs->rs_down.rd_bytes;
	}
	log_info("stats: sessions=%llu sessions_total=%llu bytes_out=%llu "
	    "bytes_in=%llu buffers=%zu pooled=%zu", (unsigned long long)n,
	    (unsigned long long)relay_nsessions_total,
	    (unsigned long long)out, (unsigned long long)in,
	    relay_buf_used(), relay_buf_pooled());
}

/*
 * Established sessions do not need the front end or authd; only new ones
 * do, and those the parent will not send here any more.
 */
static void
relay_peer_lost(struct proc_chan *pc)
{
	log_warnx("lost channel to %s", pc->pc_name);
}

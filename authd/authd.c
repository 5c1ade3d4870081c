/*
 * authd: main program and imsg dispatch.
 *
 * Modelled on relayd's ca.c and OpenSSH's monitor: every message from the
 * front end is checked for size and for the session's state before it is
 * acted on, and a message that does not fit is dropped with the session it
 * names.  The GSS-API work itself is in gss.c, keytab.c and replay.c.
 */

#include <sys/types.h>
#include <sys/tree.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "authd.h"
#include "gsswarm.h"
#include "gssframe.h"
#include "log.h"
#include "cfgrecv.h"
#include "rule.h"
#include "sandbox.h"
#include "util.h"

struct authd_session {
	RB_ENTRY(authd_session)	 ad_node;
	uint64_t		 ad_sid;
	int			 ad_relay;
	char			 ad_client[ADDRSTRLEN];
	struct auth_session	 ad_as;
};

RB_HEAD(authd_tree, authd_session);
RB_PROTOTYPE(authd_tree, authd_session, ad_node, authd_cmp);

static struct sockd_conf	 authd_conf;
static struct config		*authd_cfg;	/* in force */
static struct config		*authd_next;	/* being received */
static char			 authd_reload_err[256];
static krb5_context		 authd_krb;
static krb5_keytab		 authd_keytabs[SOCKD_MAXKEYTABS];
static krb5_keytab		 authd_nextkt[SOCKD_MAXKEYTABS];
static struct auth_cred		*authd_creds[SOCKD_MAXKEYTABS];
static struct replay		*authd_replay;
static struct proc_chan		 authd_parent;
static struct proc_chan		 authd_front;
static struct proc_chan		 authd_relays[SOCKD_MAXRELAYS];
static int			 authd_relay_up[SOCKD_MAXRELAYS];
static int			 authd_logfile;
static int			 authd_started;
static int			 authd_sbdebug;
static int			 authd_nsessions;
static struct authd_tree	 authd_sessions = RB_INITIALIZER(&authd_sessions);

static void	 authd_dispatch_parent(struct proc_chan *, struct imsg *);
static void	 authd_dispatch_front(struct proc_chan *, struct imsg *);
static void	 authd_dispatch_relay(struct proc_chan *, struct imsg *);
static void	 authd_relay_lost(struct proc_chan *);
static void	 authd_front_lost(struct proc_chan *);
static void	 authd_term(void);
static void	 authd_stats(void);

int
authd_cmp(struct authd_session *a, struct authd_session *b)
{
	return (a->ad_sid < b->ad_sid ? -1 : a->ad_sid > b->ad_sid);
}

RB_GENERATE(authd_tree, authd_session, ad_node, authd_cmp)

__attribute__((__noreturn__)) static void
usage(void)
{
	fprintf(stderr, "usage: sockd-auth -d level [-L]\n"
	    "sockd-auth is started by sockd(8), not by hand.\n");
	exit(1);
}

/*
 * Load what the chroot will hide: krb5.conf and the GSS mechanism list
 * are read now, once.
 */
static void
authd_warmup(void)
{
	OM_uint32	 minor;
	gss_OID_set	 mechs = GSS_C_NO_OID_SET;
	krb5_error_code	 ret;

	if ((ret = krb5_init_context(&authd_krb)) != 0)
		fatalx("krb5_init_context failed: %d", ret);
	if (gss_indicate_mechs(&minor, &mechs) != GSS_S_COMPLETE)
		fatalx("no GSS-API mechanisms");
	gss_release_oid_set(&minor, &mechs);
	gss_warmup();
}

int
main(int argc, char *argv[])
{
	const char	*errstr;
	int		 ch, debug = 0;

	while ((ch = getopt(argc, argv, "d:LS")) != -1) {
		switch (ch) {
		case 'd':
			debug = strtonum(optarg, 0, 10, &errstr);
			if (errstr != NULL)
				errx(1, "debug level %s: %s", optarg, errstr);
			break;
		case 'L':
			authd_logfile = 1;
			break;
		case 'S':
			authd_sbdebug = 1;
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();
	proc_setup_child("authd", debug);
	authd_warmup();
	event_init();
	proc_chan_init(&authd_parent, PROC_PARENT_FD, "parent", 1,
	    authd_dispatch_parent, NULL, NULL);
	proc_signals(authd_term, authd_stats);
	event_dispatch();
	fatalx("event loop ended");
}

/* Does every client pass rule of c find its service's key in kts? */
static int
authd_check_rules(const struct config *c, krb5_keytab *kts, char *err,
    size_t errlen)
{
	const struct gssconf	*gc;
	struct auth_service	 svc;
	char			 msg[512];
	int			 i, ret;

	for (i = -1; i < c->c_nrules; i++) {
		if (i == -1)
			gc = &c->c_conf.sc_gss;
		else if (c->c_rules[i].r_type == RULE_CLIENT &&
		    c->c_rules[i].r_action == RULE_PASS)
			gc = &c->c_rules[i].r_gss;
		else
			continue;
		if (gc->gc_keytab_id < 0 ||
		    gc->gc_keytab_id >= SOCKD_MAXKEYTABS ||
		    kts[gc->gc_keytab_id] == NULL) {
			(void)snprintf(err, errlen, "keytab %.256s was not loaded",
			    gc->gc_keytab);
			return (-1);
		}
		if (auth_service_parse(authd_krb, gc->gc_servicename, &svc,
		    msg, sizeof(msg)) == -1) {
			(void)snprintf(err, errlen, "%s", msg);
			return (-1);
		}
		ret = auth_keytab_has(authd_krb, kts[gc->gc_keytab_id],
		    gc->gc_keytab, &svc, msg, sizeof(msg));
		auth_service_free(authd_krb, &svc);
		if (ret == -1) {
			if (i == -1)
				(void)snprintf(err, errlen, "%s", msg);
			else
				(void)snprintf(err, errlen, "%s: %s",
				    rule_str(&c->c_rules[i], msg + 256, 256),
				    msg);
			return (-1);
		}
	}
	return (0);
}

/*
 * Keytab bytes from the parent, for the configuration being received: at
 * start-up, and at every reload (SIGHUP: key rotation and new rules).
 * They go into a keytab table of their own, which replaces the one in
 * force only when the whole configuration checks out.
 */
static void
authd_cfg_keytab(struct imsg *imsg)
{
	struct cfg_keytab	 ck;
	size_t			 len = imsg_get_len(imsg);
	uint8_t			*bytes;
	char			 err[768];
	int			 weak;

	if (len <= sizeof(ck) || authd_next == NULL)
		fatalx("%s: bad IMSG_CFG_KEYTAB", __func__);
	memcpy(&ck, imsg->data, sizeof(ck));
	bytes = (uint8_t *)imsg->data + sizeof(ck);
	ck.ck_name[sizeof(ck.ck_name) - 1] = '\0';
	if (ck.ck_id < 0 || ck.ck_id >= SOCKD_MAXKEYTABS ||
	    authd_nextkt[ck.ck_id] != NULL)
		fatalx("%s: bad keytab id %d", __func__, ck.ck_id);
	weak = auth_keytab_load(authd_krb, bytes, len - sizeof(ck),
	    ck.ck_name, authd_next->c_conf.sc_gss.gc_weak,
	    &authd_nextkt[ck.ck_id], err, sizeof(err));
	/* The bytes held keys; they go now that the keytab has them. */
	explicit_bzero(bytes, len - sizeof(ck));
	if (weak == -1) {
		if (!authd_started)
			fatalx("%s", err);
		if (authd_reload_err[0] == '\0')
			strlcpy(authd_reload_err, err,
			    sizeof(authd_reload_err));
		return;
	}
	if (weak > 0)
		log_info("keytab %s: %d weak key%s (des, arcfour) left out",
		    ck.ck_name, weak, weak == 1 ? "" : "s");
}

static void
authd_keytabs_free(krb5_keytab *kts)
{
	int	 i;

	for (i = 0; i < SOCKD_MAXKEYTABS; i++) {
		if (kts[i] != NULL)
			auth_keytab_free(authd_krb, kts[i]);
		kts[i] = NULL;
	}
}

/* Sessions in flight keep their credential, and with it its keytab. */
static void
authd_creds_free(void)
{
	int	 i;

	for (i = 0; i < SOCKD_MAXKEYTABS; i++) {
		auth_cred_unref(authd_creds[i]);
		authd_creds[i] = NULL;
	}
}

/*
 * The acceptor credential of a keytab in force, made by its first
 * session and kept for the next ones until a reload.  Not when the
 * keytab is loaded: Heimdal's gss_krb5_import_cred() makes and frees a
 * krb5 context, and freeing one leaks 12 bytes inside libkrb5, which the
 * sanitizer run's leak check before the chroot would report as ours.
 */
static struct auth_cred *
authd_cred(int id, char *err, size_t errlen)
{
	if (authd_creds[id] == NULL)
		authd_creds[id] = auth_cred_new(authd_keytabs[id], err,
		    errlen);
	return (authd_creds[id]);
}

/* The configuration received takes over. */
static void
authd_take(void)
{
	authd_creds_free();
	authd_keytabs_free(authd_keytabs);
	memcpy(authd_keytabs, authd_nextkt, sizeof(authd_keytabs));
	memset(authd_nextkt, 0, sizeof(authd_nextkt));
	config_unref(authd_cfg);
	authd_cfg = authd_next;
	authd_next = NULL;
	authd_conf = authd_cfg->c_conf;
	proc_log_config(&authd_conf, authd_logfile);
}

static int
authd_uses_gssapi_in(const struct config *c)
{
	const struct methodlist	*ml = &c->c_conf.sc_socksmethods;
	int			 i;

	for (i = 0; i < ml->ml_n; i++)
		if (ml->ml_m[i] == METHOD_GSSAPI)
			return (1);
	return (0);
}

/*
 * A reload: the new rules' services must all have keys in the new
 * keytabs, or nothing changes.  The parent hears either way, and tells
 * the others to change only when authd did.
 */
static void
authd_reload(void)
{
	struct ctl_reload	 cr;

	memset(&cr, 0, sizeof(cr));
	if (authd_reload_err[0] == '\0' && authd_uses_gssapi_in(authd_next))
		(void)authd_check_rules(authd_next, authd_nextkt,
		    authd_reload_err, sizeof(authd_reload_err));
	if (authd_reload_err[0] != '\0') {
		strlcpy(cr.cr_reason, authd_reload_err, sizeof(cr.cr_reason));
		authd_keytabs_free(authd_nextkt);
		config_unref(authd_next);
		authd_next = NULL;
	} else {
		cr.cr_ok = 1;
		authd_take();
	}
	authd_reload_err[0] = '\0';
	(void)proc_compose(&authd_parent, IMSG_CTL_RELOAD, -1, &cr,
	    sizeof(cr));
}

static void
authd_start(void)
{
	char	 err[768];

	if (authd_uses_gssapi_in(authd_next) &&
	    authd_check_rules(authd_next, authd_nextkt, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	authd_take();
	/* The replay window follows krb5.conf's clockskew. */
	if ((authd_replay = auth_replay_create(AUTH_REPLAY_MAX,
	    krb5_get_max_time_skew(authd_krb))) == NULL)
		fatal("replay cache");
	proc_privdrop(authd_conf.sc_user_auth[0] != '\0' ?
	    authd_conf.sc_user_auth : authd_conf.sc_user_unpriv, SOCKD_CHROOT);
	proc_sandbox(SANDBOX_AUTH, authd_sbdebug);
	authd_started = 1;
	/* The front end accepts clients only once everyone said this. */
	if (proc_compose(&authd_parent, IMSG_CTL_START, -1, NULL, 0) == -1)
		fatalx("%s: cannot report to the parent", __func__);
	log_debug("%s: ready", __func__);
}

static void
authd_cfg_peer(struct imsg *imsg)
{
	struct ctl_peer	 cp;
	int		 fd;

	if (imsg_get_data(imsg, &cp, sizeof(cp)) == -1 ||
	    (fd = imsg_get_fd(imsg)) == -1)
		fatalx("%s: bad IMSG_CTL_PEER", __func__);
	if (cp.cp_proc == PROC_FRONT) {
		proc_chan_init(&authd_front, fd, "front", 0,
		    authd_dispatch_front, authd_front_lost, NULL);
		return;
	}
	if (cp.cp_proc != PROC_RELAY || cp.cp_instance < 0 ||
	    cp.cp_instance >= SOCKD_MAXRELAYS ||
	    authd_relay_up[cp.cp_instance])
		fatalx("%s: bad peer", __func__);
	proc_chan_init(&authd_relays[cp.cp_instance], fd, "relay", 0,
	    authd_dispatch_relay, authd_relay_lost,
	    (void *)(intptr_t)cp.cp_instance);
	authd_relay_up[cp.cp_instance] = 1;
}

static void
authd_dispatch_parent(struct proc_chan *pc, struct imsg *imsg)
{
	(void)pc;
	if (config_recv(&authd_next, imsg))
		return;
	switch (imsg_get_type(imsg)) {
	case IMSG_CFG_KEYTAB:
		authd_cfg_keytab(imsg);
		break;
	case IMSG_CTL_PEER:
		authd_cfg_peer(imsg);
		break;
	case IMSG_CFG_DONE:
		if (authd_next == NULL)
			fatalx("%s: IMSG_CFG_DONE without a configuration",
			    __func__);
		if (authd_started)
			authd_reload();
		else
			authd_start();
		break;
	default:
		fatalx("%s: unexpected message %u", __func__,
		    imsg_get_type(imsg));
	}
}

static struct authd_session *
authd_find(uint64_t sid)
{
	struct authd_session	 key;

	key.ad_sid = sid;
	return (RB_FIND(authd_tree, &authd_sessions, &key));
}

static void
authd_free(struct authd_session *ad)
{
	RB_REMOVE(authd_tree, &authd_sessions, ad);
	auth_gss_free(&ad->ad_as);
	freezero(ad, sizeof(*ad));
	authd_nsessions--;
}

/* Refuse: the audit line, the error token if any, and forget it. */
static void
authd_fail(struct authd_session *ad, const char *reason, gss_buffer_t tok)
{
	struct auth_fail	 af;
	struct iovec		 iov[2];
	char			 eb[512], pb[SOCKD_NAME_MAX * 4];
	OM_uint32		 minor;

	log_audit("event=auth-fail sid=%016llx client=%s principal=%s "
	    "reason=\"%s\"", (unsigned long long)ad->ad_sid, ad->ad_client,
	    ad->ad_as.as_principal[0] ? log_escape_word(ad->ad_as.as_principal,
	    pb, sizeof(pb)) : "-", log_escape(reason, eb, sizeof(eb)));
	memset(&af, 0, sizeof(af));
	af.af_sid = ad->ad_sid;
	strlcpy(af.af_reason, reason, sizeof(af.af_reason));
	iov[0].iov_base = &af;
	iov[0].iov_len = sizeof(af);
	iov[1].iov_base = tok != NULL ? tok->value : NULL;
	iov[1].iov_len = tok != NULL && tok->length <= GSSF_MAXTOKEN ?
	    tok->length : 0;
	(void)proc_composev(&authd_front, IMSG_AUTH_FAIL, -1, iov, 2);
	if (tok != NULL)
		gss_release_buffer(&minor, tok);
	authd_free(ad);
}

/*
 * The GSS-API settings of the client's rule, as the front end matched
 * it, are ours only if our configuration has a client pass rule (or the
 * global settings) with exactly those: a front end cannot make up a
 * policy, only pick one of the configured ones.
 */
static const struct gssconf *
authd_gss_lookup(const struct gssconf *want)
{
	const struct gssconf	*gc;
	int			 i;

	for (i = -1; i < authd_cfg->c_nrules; i++) {
		if (i == -1)
			gc = &authd_cfg->c_conf.sc_gss;
		else if (authd_cfg->c_rules[i].r_type == RULE_CLIENT &&
		    authd_cfg->c_rules[i].r_action == RULE_PASS)
			gc = &authd_cfg->c_rules[i].r_gss;
		else
			continue;
		if (gc->gc_levels == want->gc_levels &&
		    gc->gc_nec == want->gc_nec &&
		    strncmp(gc->gc_servicename, want->gc_servicename,
		    sizeof(gc->gc_servicename)) == 0 &&
		    strncmp(gc->gc_keytab, want->gc_keytab,
		    sizeof(gc->gc_keytab)) == 0)
			return (gc);
	}
	return (NULL);
}

static void
authd_begin(struct imsg *imsg)
{
	struct authd_session	*ad;
	struct auth_begin	 ab;
	const struct gssconf	*gc;
	struct auth_cred	*cred;
	char			 err[512];

	if (imsg_get_data(imsg, &ab, sizeof(ab)) == -1) {
		log_warnx("%s: bad IMSG_AUTH_BEGIN", __func__);
		return;
	}
	if (authd_find(ab.ab_sid) != NULL || ab.ab_relay < 0 ||
	    ab.ab_relay >= SOCKD_MAXRELAYS) {
		log_warnx("%s: bad session %016llx", __func__,
		    (unsigned long long)ab.ab_sid);
		return;
	}
	gc = authd_gss_lookup(&ab.ab_gss);
	if ((ad = calloc(1, sizeof(*ad))) == NULL) {
		log_warn("%s", __func__);
		return;
	}
	ad->ad_sid = ab.ab_sid;
	ad->ad_relay = ab.ab_relay;
	addr_str((struct sockaddr *)&ab.ab_client, ad->ad_client,
	    sizeof(ad->ad_client));
	RB_INSERT(authd_tree, &authd_sessions, ad);
	authd_nsessions++;
	if (gc == NULL)
		authd_fail(ad, "the client rule's settings are not in the "
		    "configuration (reloaded meanwhile?)", NULL);
	else if (gc->gc_keytab_id < 0 || gc->gc_keytab_id >= SOCKD_MAXKEYTABS ||
	    authd_keytabs[gc->gc_keytab_id] == NULL)
		/* gssapi is not a configured method: no keytab was read. */
		authd_fail(ad, "GSS-API is not configured", NULL);
	else if (authd_nsessions > AUTHD_MAXSESSIONS)
		authd_fail(ad, "too many negotiations in flight", NULL);
	else if (!authd_relay_up[ab.ab_relay])
		authd_fail(ad, "relay unavailable", NULL);
	else if ((cred = authd_cred(gc->gc_keytab_id, err,
	    sizeof(err))) == NULL ||
	    auth_gss_init(&ad->ad_as, authd_krb, gc, cred, authd_replay, err,
	    sizeof(err)) == -1)
		authd_fail(ad, err, NULL);
}

/* Split an incoming auth_hdr + token message; NULL drops it. */
static struct authd_session *
authd_msg(struct imsg *imsg, const uint8_t **tok, size_t *len)
{
	struct auth_hdr		 ah;
	struct authd_session	*ad;
	size_t			 n = imsg_get_len(imsg);

	if (n < sizeof(ah) || n - sizeof(ah) > GSSF_MAXTOKEN) {
		log_warnx("%s: bad message size %zu", __func__, n);
		return (NULL);
	}
	memcpy(&ah, imsg->data, sizeof(ah));
	if ((ad = authd_find(ah.ah_sid)) == NULL) {
		log_debug("%s: unknown session %016llx", __func__,
		    (unsigned long long)ah.ah_sid);
		return (NULL);
	}
	*tok = (const uint8_t *)imsg->data + sizeof(ah);
	*len = n - sizeof(ah);
	return (ad);
}

static void
authd_token(struct imsg *imsg)
{
	struct authd_session	*ad;
	struct auth_hdr		 ah;
	gss_buffer_desc		 out = GSS_C_EMPTY_BUFFER;
	struct iovec		 iov[2];
	const uint8_t		*tok;
	size_t			 len;
	char			 err[512];
	int			 complete = 0;
	OM_uint32		 minor;

	if ((ad = authd_msg(imsg, &tok, &len)) == NULL)
		return;
	if (auth_gss_token(&ad->ad_as, tok, len, &out, &complete, err,
	    sizeof(err)) == -1) {
		authd_fail(ad, err, &out);
		return;
	}
	if (out.length > GSSF_MAXTOKEN) {
		gss_release_buffer(&minor, &out);
		authd_fail(ad, "output token longer than 65535", NULL);
		return;
	}
	memset(&ah, 0, sizeof(ah));
	ah.ah_sid = ad->ad_sid;
	ah.ah_flags = complete ? AUTH_F_COMPLETE : 0;
	iov[0].iov_base = &ah;
	iov[0].iov_len = sizeof(ah);
	iov[1].iov_base = out.value;
	iov[1].iov_len = out.length;
	(void)proc_composev(&authd_front, IMSG_AUTH_TOKEN, -1, iov, 2);
	gss_release_buffer(&minor, &out);
}

/* The context goes to the relay first, so it is there before the fd. */
static int
authd_export(struct authd_session *ad)
{
	struct relay_context	 rc;
	gss_buffer_desc		 ctx = GSS_C_EMPTY_BUFFER;
	struct iovec		 iov[2];
	OM_uint32		 minor;
	char			 err[256];
	int			 ret;

	if (auth_gss_export(&ad->ad_as, &ctx, err, sizeof(err)) == -1) {
		log_warnx("session %016llx: %s", (unsigned long long)ad->ad_sid,
		    err);
		return (-1);
	}
	memset(&rc, 0, sizeof(rc));
	rc.rc_sid = ad->ad_sid;
	rc.rc_level = ad->ad_as.as_level;
	rc.rc_flags = ad->ad_as.as_flags;
	strlcpy(rc.rc_principal, ad->ad_as.as_principal,
	    sizeof(rc.rc_principal));
	iov[0].iov_base = &rc;
	iov[0].iov_len = sizeof(rc);
	iov[1].iov_base = ctx.value;
	iov[1].iov_len = ctx.length;
	ret = proc_composev(&authd_relays[ad->ad_relay], IMSG_RELAY_CONTEXT,
	    -1, iov, 2);
	/* The imsg buffer holds its own copy, wiped when sent. */
	explicit_bzero(ctx.value, ctx.length);
	gss_release_buffer(&minor, &ctx);
	return (ret);
}

static void
authd_protect(struct imsg *imsg)
{
	struct authd_session	*ad;
	struct auth_ok		 ao;
	gss_buffer_desc		 out = GSS_C_EMPTY_BUFFER;
	struct iovec		 iov[2];
	const uint8_t		*tok;
	size_t			 len;
	char			 err[512], pb[SOCKD_NAME_MAX * 4];
	int			 level;
	OM_uint32		 minor;

	if ((ad = authd_msg(imsg, &tok, &len)) == NULL)
		return;
	if (auth_gss_protect(&ad->ad_as, tok, len, &out, &level, err,
	    sizeof(err)) == -1) {
		authd_fail(ad, err, NULL);
		gss_release_buffer(&minor, &out);
		return;
	}
	if (!authd_relay_up[ad->ad_relay] || authd_export(ad) == -1) {
		gss_release_buffer(&minor, &out);
		authd_fail(ad, "cannot hand the context to the relay", NULL);
		return;
	}
	log_audit("event=auth-ok sid=%016llx client=%s principal=%s "
	    "level=%s%s", (unsigned long long)ad->ad_sid, ad->ad_client,
	    log_escape_word(ad->ad_as.as_principal, pb, sizeof(pb)),
	    level_str(level), ad->ad_as.as_nec ?
	    " downgrade=necgssapi" : ad->ad_as.as_confwrapped ?
	    " note=level-octet-conf-wrapped" : "");
	memset(&ao, 0, sizeof(ao));
	ao.ao_sid = ad->ad_sid;
	ao.ao_level = level;
	ao.ao_nec = ad->ad_as.as_nec;
	strlcpy(ao.ao_principal, ad->ad_as.as_principal,
	    sizeof(ao.ao_principal));
	iov[0].iov_base = &ao;
	iov[0].iov_len = sizeof(ao);
	iov[1].iov_base = out.value;
	iov[1].iov_len = out.length;
	(void)proc_composev(&authd_front, IMSG_AUTH_OK, -1, iov, 2);
	gss_release_buffer(&minor, &out);
	authd_free(ad);
}

static void
authd_abort(struct imsg *imsg)
{
	struct authd_session	*ad;
	const uint8_t		*tok;
	size_t			 len;

	if ((ad = authd_msg(imsg, &tok, &len)) != NULL)
		authd_free(ad);
}

static void
authd_dispatch_front(struct proc_chan *pc, struct imsg *imsg)
{
	(void)pc;
	switch (imsg_get_type(imsg)) {
	case IMSG_AUTH_BEGIN:
		authd_begin(imsg);
		break;
	case IMSG_AUTH_TOKEN:
		authd_token(imsg);
		break;
	case IMSG_AUTH_PROTECT:
		authd_protect(imsg);
		break;
	case IMSG_AUTH_ABORT:
		authd_abort(imsg);
		break;
	default:
		log_warnx("%s: unexpected message %u dropped", __func__,
		    imsg_get_type(imsg));
		break;
	}
}

static void
authd_dispatch_relay(struct proc_chan *pc, struct imsg *imsg)
{
	(void)pc;
	log_warnx("%s: unexpected message %u dropped", __func__,
	    imsg_get_type(imsg));
}

/* SIGTERM: negotiations in flight end here; the keys go with us. */
static void
authd_term(void)
{
	struct authd_session	*ad, *next;

	RB_FOREACH_SAFE(ad, authd_tree, &authd_sessions, next)
		authd_free(ad);
	authd_creds_free();
	authd_keytabs_free(authd_keytabs);
}

static void
authd_stats(void)
{
	log_info("stats: negotiations=%d replay_cache=%zu", authd_nsessions,
	    authd_replay != NULL ? auth_replay_count(authd_replay) : 0);
}

/*
 * The front end died: its clients are gone, and so are their
 * negotiations.  A new front end gets a new channel from the parent.
 */
static void
authd_front_lost(struct proc_chan *pc)
{
	struct authd_session	*ad, *next;

	(void)pc;
	log_warnx("lost the front end; negotiations in flight dropped");
	RB_FOREACH_SAFE(ad, authd_tree, &authd_sessions, next)
		authd_free(ad);
}

static void
authd_relay_lost(struct proc_chan *pc)
{
	int	 r = (int)(intptr_t)pc->pc_arg;

	log_warnx("lost relay %d", r);
	authd_relay_up[r] = 0;
}

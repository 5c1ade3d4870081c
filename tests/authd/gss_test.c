/*
 * Whole RFC 1961 negotiations against authd's GSS-API core, with a real
 * Heimdal KDC on 127.0.0.1: the user's initiator (Heimdal's
 * gss_init_sec_context, in this process) talks to auth_gss_token and
 * auth_gss_protect, and the exported context is imported as a relay
 * would and used both ways.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <gssapi/gssapi_spnego.h>
#include <krb5.h>

#include "auth.h"
#include "krbtest.h"

#define ALL_LEVELS	(GSS_LEVEL_BIT(GSS_LEVEL_CLEAR) | \
			    GSS_LEVEL_BIT(GSS_LEVEL_INTEGRITY) | \
			    GSS_LEVEL_BIT(GSS_LEVEL_CONF))
#define REQ_FLAGS	(GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | \
			    GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG | \
			    GSS_C_CONF_FLAG)
#define HOST_SERVICE	"host/host.test@" TK_REALM
#define NOKEY_SERVICE	"rcmd/nokey.test@" TK_REALM

struct env {
	struct tk_realm	 e_realm;
	krb5_context	 e_ctx;
	krb5_keytab	 e_kt;
	struct auth_cred *e_cred;	/* the keytab table's reference */
	krb5_ccache	 e_cc;
	struct replay	*e_rp;
	gss_cred_id_t	 e_icred;	/* the user's, to initiate */
};

struct client {
	gss_ctx_id_t	 c_ctx;
	OM_uint32	 c_flags;
	int		 c_open;
	gss_buffer_desc	 c_first;	/* a copy of the first token */
};

static void
fail_gss(const char *what, OM_uint32 major, OM_uint32 minor)
{
	gss_buffer_desc	 a, b;
	OM_uint32	 m, ctx = 0;

	(void)gss_display_status(&m, major, GSS_C_GSS_CODE, GSS_C_NO_OID,
	    &ctx, &a);
	ctx = 0;
	(void)gss_display_status(&m, minor, GSS_C_MECH_CODE,
	    GSS_KRB5_MECHANISM, &ctx, &b);
	atf_tc_fail("%s: %.*s: %.*s", what, (int)a.length, (char *)a.value,
	    (int)b.length, (char *)b.value);
}

/*
 * The realm with a kdc, the service keytab loaded into memory (strong
 * keys only), and a ticket-granting ticket for the user.  extra names
 * more service principals, put in the keytab if inkeytab.
 */
static void
env_setup(struct env *e, const char *extra, int inkeytab)
{
	krb5_principal	 user;
	krb5_creds	 creds;
	uint8_t		*buf;
	size_t		 len;
	OM_uint32	 major, minor;
	char		 err[512];
	int		 ret;

	memset(e, 0, sizeof(*e));
	tk_realm_create(&e->e_realm);
	if (extra != NULL) {
		tk_kadmin(&e->e_realm, "add", "--random-key", "--use-defaults",
		    extra, NULL);
		if (inkeytab)
			tk_kadmin(&e->e_realm, "ext_keytab", "-k",
			    e->e_realm.tk_keytab, extra, NULL);
	}
	tk_kdc_start(&e->e_realm);
	ATF_REQUIRE(krb5_init_context(&e->e_ctx) == 0);

	buf = tk_readfile(e->e_realm.tk_keytab, &len);
	ATF_REQUIRE_MSG(auth_keytab_load(e->e_ctx, buf, len, "test keytab",
	    0, &e->e_kt, err, sizeof(err)) >= 0, "%s", err);
	freezero(buf, len);
	ATF_REQUIRE_MSG((e->e_cred = auth_cred_new(e->e_kt, err,
	    sizeof(err))) != NULL, "%s", err);
	ATF_REQUIRE((e->e_rp = auth_replay_create(AUTH_REPLAY_MAX,
	    krb5_get_max_time_skew(e->e_ctx))) != NULL);

	ATF_REQUIRE(krb5_parse_name(e->e_ctx, TK_USER, &user) == 0);
	memset(&creds, 0, sizeof(creds));
	ret = krb5_get_init_creds_password(e->e_ctx, &creds, user,
	    TK_PASSWORD, NULL, NULL, 0, NULL, NULL);
	ATF_REQUIRE_MSG(ret == 0, "kinit: %s",
	    krb5_get_error_message(e->e_ctx, ret));
	ATF_REQUIRE(krb5_cc_new_unique(e->e_ctx, "MEMORY", NULL,
	    &e->e_cc) == 0);
	ATF_REQUIRE(krb5_cc_initialize(e->e_ctx, e->e_cc, user) == 0);
	ATF_REQUIRE(krb5_cc_store_cred(e->e_ctx, e->e_cc, &creds) == 0);
	krb5_free_cred_contents(e->e_ctx, &creds);
	krb5_free_principal(e->e_ctx, user);
	major = gss_krb5_import_cred(&minor, e->e_cc, NULL, NULL,
	    &e->e_icred);
	if (GSS_ERROR(major))
		fail_gss("gss_krb5_import_cred", major, minor);
}

static void
env_free(struct env *e)
{
	OM_uint32	 minor;

	(void)gss_release_cred(&minor, &e->e_icred);
	auth_replay_free(e->e_rp);
	auth_cred_unref(e->e_cred);
	auth_keytab_free(e->e_ctx, e->e_kt);
	(void)krb5_cc_destroy(e->e_ctx, e->e_cc);
	krb5_free_context(e->e_ctx);
}

static void
gssconf_fill(struct gssconf *gc, const char *svc, unsigned int levels,
    int nec)
{
	memset(gc, 0, sizeof(*gc));
	ATF_REQUIRE(strlcpy(gc->gc_servicename, svc,
	    sizeof(gc->gc_servicename)) < sizeof(gc->gc_servicename));
	gc->gc_levels = levels;
	gc->gc_nec = nec;
}

static void
session(struct env *e, struct auth_session *as, const char *svc,
    unsigned int levels, int nec)
{
	struct gssconf	 gc;
	char		 err[512];

	gssconf_fill(&gc, svc, levels, nec);
	ATF_REQUIRE_MSG(auth_gss_init(as, e->e_ctx, &gc, e->e_cred, e->e_rp,
	    err, sizeof(err)) == 0, "%s", err);
}

/* One initiator step; out is the token to send, maybe empty. */
static void
client_step(struct env *e, struct client *c, const char *target,
    OM_uint32 req, gss_OID mech, gss_buffer_t in, gss_buffer_t out)
{
	gss_buffer_desc	 nb;
	gss_name_t	 name;
	OM_uint32	 major, minor;

	nb.value = (void *)(uintptr_t)target;
	nb.length = strlen(target);
	major = gss_import_name(&minor, &nb, GSS_KRB5_NT_PRINCIPAL_NAME,
	    &name);
	if (GSS_ERROR(major))
		fail_gss("gss_import_name", major, minor);
	major = gss_init_sec_context(&minor, e->e_icred, &c->c_ctx, name,
	    mech, req, 0, GSS_C_NO_CHANNEL_BINDINGS, in, NULL, out,
	    &c->c_flags, NULL);
	(void)gss_release_name(&minor, &name);
	if (GSS_ERROR(major))
		fail_gss("gss_init_sec_context", major, minor);
	c->c_open = major == GSS_S_COMPLETE;
}

/*
 * Client and server until both are done or the server refuses: returns
 * what auth_gss_token last returned, err holding the reason.
 */
static int
handshake(struct env *e, struct auth_session *as, struct client *c,
    const char *target, OM_uint32 req, char *err, size_t errlen)
{
	gss_buffer_desc	 in = GSS_C_EMPTY_BUFFER, tok, out;
	OM_uint32	 minor;
	int		 complete = 0, round, ret = 0;

	memset(c, 0, sizeof(*c));
	c->c_ctx = GSS_C_NO_CONTEXT;
	err[0] = '\0';
	for (round = 0; round < 10 && !complete; round++) {
		client_step(e, c, target, req, GSS_KRB5_MECHANISM, &in, &tok);
		(void)gss_release_buffer(&minor, &in);
		ATF_REQUIRE_MSG(tok.length > 0, "client done, server not");
		if (round == 0) {
			ATF_REQUIRE((c->c_first.value =
			    malloc(tok.length)) != NULL);
			memcpy(c->c_first.value, tok.value, tok.length);
			c->c_first.length = tok.length;
		}
		ret = auth_gss_token(as, tok.value, tok.length, &out,
		    &complete, err, errlen);
		(void)gss_release_buffer(&minor, &tok);
		if (ret == -1) {
			(void)gss_release_buffer(&minor, &out);
			return (-1);
		}
		in = out;
	}
	ATF_REQUIRE(complete);
	/* Mutual authentication: the AP-REP completes the client. */
	if (in.length > 0) {
		ATF_CHECK(!c->c_open);
		client_step(e, c, target, req, GSS_KRB5_MECHANISM, &in, &tok);
		(void)gss_release_buffer(&minor, &in);
		ATF_CHECK_EQ(tok.length, 0);
		(void)gss_release_buffer(&minor, &tok);
	}
	ATF_REQUIRE(c->c_open);
	return (0);
}

static void
client_free(struct client *c)
{
	OM_uint32	 minor;

	if (c->c_ctx != GSS_C_NO_CONTEXT)
		(void)gss_delete_sec_context(&minor, &c->c_ctx,
		    GSS_C_NO_BUFFER);
	free(c->c_first.value);
	memset(c, 0, sizeof(*c));
}

/* The client's mtyp 2 message: the level octet, wrapped or not. */
static void
client_level(struct client *c, uint8_t level, int conf, gss_buffer_t tok)
{
	gss_buffer_desc	 in;
	OM_uint32	 major, minor;

	in.value = &level;
	in.length = 1;
	major = gss_wrap(&minor, c->c_ctx, conf, GSS_C_QOP_DEFAULT, &in, NULL,
	    tok);
	if (GSS_ERROR(major))
		fail_gss("gss_wrap", major, minor);
}

/* Sends level L and checks the server's answer: -1 if refused. */
static int
protect(struct auth_session *as, struct client *c, uint8_t level,
    int conf, char *err, size_t errlen)
{
	gss_buffer_desc	 tok, out, pt;
	OM_uint32	 major, minor;
	int		 granted, ret, cs = 1;

	client_level(c, level, conf, &tok);
	ret = auth_gss_protect(as, tok.value, tok.length, &out, &granted,
	    err, errlen);
	(void)gss_release_buffer(&minor, &tok);
	if (ret == -1) {
		ATF_CHECK_EQ(out.length, 0);
		ATF_CHECK_EQ(granted, -1);
		return (-1);
	}
	ATF_CHECK_EQ(granted, level);
	major = gss_unwrap(&minor, c->c_ctx, &out, &pt, &cs, NULL);
	if (GSS_ERROR(major))
		fail_gss("gss_unwrap of the answer", major, minor);
	ATF_CHECK_EQ(cs, 0);		/* integrity only */
	ATF_REQUIRE_EQ_MSG(pt.length, 1, "answer of %zu octets", pt.length);
	ATF_CHECK_EQ(*(uint8_t *)pt.value, level);
	(void)gss_release_buffer(&minor, &pt);
	(void)gss_release_buffer(&minor, &out);
	return (0);
}

/* msg wrapped by from, unwrapped by to, with confidentiality or not. */
static void
roundtrip(gss_ctx_id_t from, gss_ctx_id_t to, const char *msg, int conf)
{
	gss_buffer_desc	 in, w, pt;
	OM_uint32	 major, minor;
	int		 cs = -1;

	in.value = (void *)(uintptr_t)msg;
	in.length = strlen(msg);
	major = gss_wrap(&minor, from, conf, GSS_C_QOP_DEFAULT, &in, &cs, &w);
	if (GSS_ERROR(major))
		fail_gss("gss_wrap", major, minor);
	ATF_CHECK_EQ(cs, conf);
	major = gss_unwrap(&minor, to, &w, &pt, &cs, NULL);
	if (GSS_ERROR(major))
		fail_gss("gss_unwrap", major, minor);
	ATF_CHECK_EQ_MSG(major, GSS_S_COMPLETE, "gss_unwrap: 0x%x", major);
	ATF_CHECK_EQ(cs, conf);
	ATF_CHECK_MSG(pt.length == in.length &&
	    memcmp(pt.value, msg, pt.length) == 0, "sent %zu \"%s\", got %zu "
	    "\"%.*s\" (token %zu)", in.length, msg, pt.length, (int)pt.length,
	    (char *)pt.value, w.length);
	(void)gss_release_buffer(&minor, &w);
	(void)gss_release_buffer(&minor, &pt);
}

#define KDC_TC(name, descr)						\
	ATF_TC_WITH_CLEANUP(name);					\
	ATF_TC_HEAD(name, tc)						\
	{								\
		atf_tc_set_md_var(tc, "descr", descr);			\
		atf_tc_set_md_var(tc, "require.progs", "kadmin");	\
		atf_tc_set_md_var(tc, "timeout", "120");		\
	}								\
	ATF_TC_CLEANUP(name, tc)					\
	{								\
		tk_kdc_cleanup();					\
	}

KDC_TC(levels, "handshake, each level granted, export, import and use")
ATF_TC_BODY(levels, tc)
{
	struct env		 e;
	struct auth_session	 as;
	struct client		 c;
	gss_buffer_desc		 exp, again;
	gss_ctx_id_t		 relay;
	OM_uint32		 major, minor;
	char			 err[512];
	int			 level;

	env_setup(&e, NULL, 0);
	for (level = GSS_LEVEL_CLEAR; level <= GSS_LEVEL_CONF; level++) {
		session(&e, &as, "", ALL_LEVELS, 0);
		ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE, REQ_FLAGS,
		    err, sizeof(err)) == 0, "%s", err);
		ATF_CHECK_EQ(as.as_state, AUTH_ST_COMPLETE);
		ATF_CHECK_STREQ(as.as_principal, TK_USER);
		ATF_CHECK_STREQ(as.as_target, TK_SERVICE);
		ATF_CHECK(as.as_flags & GSS_C_MUTUAL_FLAG);
		ATF_CHECK(as.as_flags & GSS_C_INTEG_FLAG);
		ATF_CHECK(as.as_flags & GSS_C_CONF_FLAG);
		ATF_CHECK((as.as_flags & GSS_C_DELEG_FLAG) == 0);
		ATF_REQUIRE_MSG(protect(&as, &c, level, 0, err,
		    sizeof(err)) == 0, "%s", err);
		ATF_CHECK_EQ(as.as_level, level);
		ATF_CHECK_EQ(as.as_nec, 0);
		ATF_CHECK_EQ(as.as_confwrapped, 0);
		ATF_CHECK_EQ(as.as_state, AUTH_ST_PROTECT);

		ATF_REQUIRE_MSG(auth_gss_export(&as, &exp, err,
		    sizeof(err)) == 0, "%s", err);
		ATF_CHECK(exp.length > 0);
		ATF_CHECK_EQ(as.as_state, AUTH_ST_DONE);
		ATF_CHECK_EQ(auth_gss_export(&as, &again, err, sizeof(err)),
		    -1);
		ATF_CHECK_EQ(again.length, 0);

		/* The relay's side: import, then both directions. */
		relay = GSS_C_NO_CONTEXT;
		major = gss_import_sec_context(&minor, &exp, &relay);
		if (GSS_ERROR(major))
			fail_gss("gss_import_sec_context", major, minor);
		explicit_bzero(exp.value, exp.length);
		(void)gss_release_buffer(&minor, &exp);
		roundtrip(relay, c.c_ctx, "CONNECT reply", level == 2);
		roundtrip(c.c_ctx, relay, "GET / HTTP/1.0", level == 2);
		(void)gss_delete_sec_context(&minor, &relay, GSS_C_NO_BUFFER);
		auth_gss_free(&as);
		auth_gss_free(&as);
		client_free(&c);
	}
	env_free(&e);
}

KDC_TC(no_mutual, "without mutual authentication the server completes "
    "with nothing to send")
ATF_TC_BODY(no_mutual, tc)
{
	struct env		 e;
	struct auth_session	 as;
	struct client		 c;
	gss_buffer_desc		 tok, out;
	OM_uint32		 minor;
	char			 err[512];
	int			 complete;

	env_setup(&e, NULL, 0);
	session(&e, &as, "rcmd", ALL_LEVELS, 0);
	memset(&c, 0, sizeof(c));
	/*
	 * Without sequencing too: Heimdal's initiator, not mutual but
	 * sequenced, takes the acceptor's first message for a gap
	 * (GSS_S_GAP_TOKEN, no data) whatever the acceptor does.
	 */
	client_step(&e, &c, TK_SERVICE, GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG,
	    GSS_KRB5_MECHANISM, GSS_C_NO_BUFFER, &tok);
	ATF_CHECK(c.c_open);
	ATF_REQUIRE_MSG(auth_gss_token(&as, tok.value, tok.length, &out,
	    &complete, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK(complete);
	ATF_CHECK_EQ(out.length, 0);
	(void)gss_release_buffer(&minor, &tok);
	ATF_REQUIRE_MSG(protect(&as, &c, GSS_LEVEL_CONF, 0, err,
	    sizeof(err)) == 0, "%s", err);
	auth_gss_free(&as);
	client_free(&c);
	env_free(&e);
}

/*
 * One acceptor credential per keytab, shared by its sessions: those begun
 * before a reload (the table lets go of the credential and closes the
 * keytab) complete with it, and the last one's end frees it (the
 * sanitizer run's LeakSanitizer would see it otherwise).
 */
KDC_TC(shared_cred, "sessions in flight keep the credential of a keytab "
    "reloaded away")
ATF_TC_BODY(shared_cred, tc)
{
	struct env		 e;
	struct auth_session	 a1, a2;
	struct client		 c1, c2;
	char			 err[512];

	env_setup(&e, NULL, 0);
	session(&e, &a1, "", ALL_LEVELS, 0);
	session(&e, &a2, "", ALL_LEVELS, 0);
	ATF_CHECK(a1.as_cred == e.e_cred && a2.as_cred == e.e_cred);
	ATF_CHECK_EQ(e.e_cred->ac_refs, 3);

	auth_cred_unref(e.e_cred);
	auth_keytab_free(e.e_ctx, e.e_kt);
	e.e_cred = NULL;
	e.e_kt = NULL;
	ATF_CHECK_EQ(a1.as_cred->ac_refs, 2);

	ATF_CHECK_MSG(handshake(&e, &a1, &c1, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(a1.as_state, AUTH_ST_COMPLETE);
	auth_gss_free(&a1);
	ATF_CHECK(a1.as_cred == NULL);
	ATF_CHECK_EQ(a2.as_cred->ac_refs, 1);
	ATF_CHECK_MSG(handshake(&e, &a2, &c2, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(a2.as_state, AUTH_ST_COMPLETE);
	auth_gss_free(&a2);
	client_free(&c1);
	client_free(&c2);
	env_free(&e);
}

/*
 * The same AP-REQ twice: Heimdal alone takes it again (a second, empty
 * cache lets it through), our cache refuses it.
 */
KDC_TC(replay, "a replayed AP-REQ is refused by the replay cache")
ATF_TC_BODY(replay, tc)
{
	struct env		 e;
	struct auth_session	 as;
	struct client		 c;
	struct replay		*other;
	struct gssconf		 gc;
	gss_buffer_desc		 out;
	OM_uint32		 minor;
	char			 err[512];
	int			 complete;

	env_setup(&e, NULL, 0);
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	auth_gss_free(&as);
	ATF_CHECK_EQ(auth_replay_count(e.e_rp), 1);

	ATF_REQUIRE((other = auth_replay_create(16, 300)) != NULL);
	gssconf_fill(&gc, "", ALL_LEVELS, 0);
	ATF_REQUIRE(auth_gss_init(&as, e.e_ctx, &gc, e.e_cred, other, err,
	    sizeof(err)) == 0);
	ATF_CHECK_MSG(auth_gss_token(&as, c.c_first.value, c.c_first.length,
	    &out, &complete, err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK(complete);
	(void)gss_release_buffer(&minor, &out);
	auth_gss_free(&as);
	auth_replay_free(other);

	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_CHECK_EQ(auth_gss_token(&as, c.c_first.value, c.c_first.length,
	    &out, &complete, err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "replayed context token refused");
	ATF_CHECK_EQ(out.length, 0);
	ATF_CHECK(!complete);
	ATF_CHECK_EQ(as.as_state, AUTH_ST_FAILED);
	auth_gss_free(&as);
	client_free(&c);
	env_free(&e);
}

static void
expect_service(struct env *e, const char *svc, const char *target,
    const char *want)
{
	struct auth_session	 as;
	struct client		 c;
	char			 err[512];
	int			 ret;

	session(e, &as, svc, ALL_LEVELS, 0);
	ret = handshake(e, &as, &c, target, REQ_FLAGS, err, sizeof(err));
	if (want == NULL) {
		ATF_CHECK_MSG(ret == 0, "%s for %s: %s", svc, target, err);
		if (ret == 0)
			ATF_CHECK_STREQ(as.as_target, target);
	} else {
		ATF_CHECK_MSG(ret == -1, "%s for %s accepted", svc, target);
		ATF_CHECK_MSG(strstr(err, want) != NULL, "%s for %s: \"%s\" "
		    "lacks \"%s\"", svc, target, err, want);
		printf("%s for %s: %s\n", svc, target, err);
	}
	auth_gss_free(&as);
	client_free(&c);
}

KDC_TC(services, "the ticket's service principal against "
    "gssapi.servicename")
ATF_TC_BODY(services, tc)
{
	struct env	 e;

	env_setup(&e, HOST_SERVICE, 1);
	tk_kadmin(&e.e_realm, "add", "--random-key", "--use-defaults",
	    NOKEY_SERVICE, NULL);

	expect_service(&e, "rcmd", TK_SERVICE, NULL);
	expect_service(&e, "rcmd@HOST.test", TK_SERVICE, NULL);
	expect_service(&e, "rcmd/host.test", TK_SERVICE, NULL);
	expect_service(&e, TK_SERVICE, TK_SERVICE, NULL);
	expect_service(&e, "host", HOST_SERVICE, NULL);
	expect_service(&e, "rcmd", HOST_SERVICE, "wrong service principal: "
	    "the ticket is for " HOST_SERVICE ", the rule accepts "
	    "rcmd/<any host>");
	expect_service(&e, "rcmd/other.test", TK_SERVICE,
	    "wrong service principal");
	expect_service(&e, "rcmd@other.test", TK_SERVICE,
	    "wrong service principal");
	expect_service(&e, "rcmd/host.test@OTHER.REALM", TK_SERVICE,
	    "wrong service principal");
	/* A ticket for a principal whose key we don't have. */
	expect_service(&e, "rcmd", NOKEY_SERVICE, "gss_accept_sec_context: ");
	env_free(&e);
}

static void
expect_level(struct env *e, unsigned int levels, OM_uint32 req,
    uint8_t level, const char *want)
{
	struct auth_session	 as;
	struct client		 c;
	char			 err[512];
	int			 ret;

	session(e, &as, "", levels, 0);
	ATF_REQUIRE_MSG(handshake(e, &as, &c, TK_SERVICE, req, err,
	    sizeof(err)) == 0, "%s", err);
	ret = protect(&as, &c, level, 0, err, sizeof(err));
	if (want == NULL) {
		ATF_CHECK_MSG(ret == 0, "level %d: %s", level, err);
	} else {
		ATF_CHECK_MSG(ret == -1, "level %d granted", level);
		ATF_CHECK_MSG(strcmp(err, want) == 0, "level %d: \"%s\", "
		    "wanted \"%s\"", level, err, want);
		ATF_CHECK_EQ(as.as_state, AUTH_ST_FAILED);
	}
	auth_gss_free(&as);
	client_free(&c);
}

KDC_TC(level_refusals, "levels the rule or the context can't give, and "
    "undefined ones, are refused")
ATF_TC_BODY(level_refusals, tc)
{
	struct env	 e;
	unsigned int	 integ = GSS_LEVEL_BIT(GSS_LEVEL_INTEGRITY);

	env_setup(&e, NULL, 0);
	expect_level(&e, integ, REQ_FLAGS, GSS_LEVEL_INTEGRITY, NULL);
	expect_level(&e, integ, REQ_FLAGS, GSS_LEVEL_CONF,
	    "client asked for confidentiality, rule allows integrity");
	expect_level(&e, integ, REQ_FLAGS, GSS_LEVEL_CLEAR,
	    "client asked for clear, rule allows integrity");
	expect_level(&e, integ, REQ_FLAGS, GSS_LEVEL_PERMESSAGE,
	    "client asked for protection level 3 (per-message protection), "
	    "which is never granted");
	expect_level(&e, ALL_LEVELS, REQ_FLAGS, 200,
	    "client asked for protection level 200 (an undefined level), "
	    "which is never granted");
	expect_level(&e, GSS_LEVELS_DEFAULT, REQ_FLAGS, GSS_LEVEL_CLEAR,
	    "client asked for clear, rule allows integrity or "
	    "confidentiality");
	expect_level(&e, GSS_LEVEL_BIT(GSS_LEVEL_CLEAR), REQ_FLAGS,
	    GSS_LEVEL_CONF, "client asked for confidentiality, rule allows "
	    "clear");
	expect_level(&e, GSS_LEVELS_DEFAULT, REQ_FLAGS, GSS_LEVEL_CONF, NULL);
	env_free(&e);
}

/* What the context offers decides too: a client that asked no CONF. */
KDC_TC(context_flags, "a level the context's flags don't give is refused")
ATF_TC_BODY(context_flags, tc)
{
	struct env		 e;
	struct auth_session	 as;
	struct client		 c;
	char			 err[512];

	env_setup(&e, NULL, 0);
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE,
	    REQ_FLAGS & ~GSS_C_CONF_FLAG, err, sizeof(err)) == 0, "%s", err);
	printf("ret_flags without GSS_C_CONF_FLAG asked: 0x%x\n",
	    as.as_flags);
	if (as.as_flags & GSS_C_CONF_FLAG) {
		/* Heimdal's initiator may offer it anyway: then it's given. */
		ATF_CHECK_MSG(protect(&as, &c, GSS_LEVEL_CONF, 0, err,
		    sizeof(err)) == 0, "%s", err);
	} else {
		ATF_CHECK_EQ(protect(&as, &c, GSS_LEVEL_CONF, 0, err,
		    sizeof(err)), -1);
		ATF_CHECK_STREQ(err, "client asked for confidentiality, which "
		    "its context does not offer (GSS_C_CONF_FLAG not set)");
	}
	auth_gss_free(&as);
	client_free(&c);

	/* The flags the server saw, cleared: the check itself. */
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	as.as_flags &= ~(GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG);
	ATF_CHECK_EQ(protect(&as, &c, GSS_LEVEL_INTEGRITY, 0, err,
	    sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "client asked for integrity, which its context "
	    "does not offer (GSS_C_INTEG_FLAG not set)");
	auth_gss_free(&as);
	client_free(&c);
	env_free(&e);
}

KDC_TC(nec, "a raw level octet only with clientcompatibility necgssapi")
ATF_TC_BODY(nec, tc)
{
	struct env		 e;
	struct auth_session	 as;
	struct client		 c;
	gss_buffer_desc		 out;
	OM_uint32		 minor;
	uint8_t			 raw = GSS_LEVEL_CONF;
	char			 err[512];
	int			 level;

	env_setup(&e, NULL, 0);

	session(&e, &as, "", GSS_LEVELS_DEFAULT, 1);
	ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_REQUIRE_MSG(auth_gss_protect(&as, &raw, 1, &out, &level, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(level, GSS_LEVEL_CONF);
	ATF_CHECK_EQ(as.as_nec, 1);
	ATF_REQUIRE_EQ(out.length, 1);
	ATF_CHECK_EQ(*(uint8_t *)out.value, GSS_LEVEL_CONF);
	(void)gss_release_buffer(&minor, &out);
	auth_gss_free(&as);
	client_free(&c);

	/* NEC allowed, but this client wraps: the usual way. */
	session(&e, &as, "", GSS_LEVELS_DEFAULT, 1);
	ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_MSG(protect(&as, &c, GSS_LEVEL_INTEGRITY, 0, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(as.as_nec, 0);
	auth_gss_free(&as);
	client_free(&c);

	/* A raw octet without necgssapi. */
	session(&e, &as, "", GSS_LEVELS_DEFAULT, 0);
	ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(auth_gss_protect(&as, &raw, 1, &out, &level, err,
	    sizeof(err)), -1);
	ATF_CHECK_MSG(strstr(err, "clientcompatibility: necgssapi") != NULL,
	    "%s", err);
	ATF_CHECK_EQ(out.length, 0);
	auth_gss_free(&as);
	client_free(&c);

	/* NEC, but the raw level is one the rule refuses. */
	session(&e, &as, "", GSS_LEVEL_BIT(GSS_LEVEL_INTEGRITY), 1);
	ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(auth_gss_protect(&as, &raw, 1, &out, &level, err,
	    sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "client asked for confidentiality, rule allows "
	    "integrity");
	auth_gss_free(&as);
	client_free(&c);
	env_free(&e);
}

KDC_TC(protect_messages, "the level message: encrypted taken, wrong "
    "sizes and garbage refused")
ATF_TC_BODY(protect_messages, tc)
{
	struct env		 e;
	struct auth_session	 as;
	struct client		 c;
	gss_buffer_desc		 in, tok, out;
	OM_uint32		 minor;
	char			 err[512];
	int			 level;

	env_setup(&e, NULL, 0);

	/* Wrapped with confidentiality: liberal, and said so. */
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_MSG(protect(&as, &c, GSS_LEVEL_INTEGRITY, 1, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(as.as_confwrapped, 1);
	auth_gss_free(&as);
	client_free(&c);

	/* Two octets wrapped. */
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	in.value = "\x01\x01";
	in.length = 2;
	ATF_REQUIRE(gss_wrap(&minor, c.c_ctx, 0, GSS_C_QOP_DEFAULT, &in, NULL,
	    &tok) == GSS_S_COMPLETE);
	ATF_CHECK_EQ(auth_gss_protect(&as, tok.value, tok.length, &out,
	    &level, err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "protection level message holds 2 octets, "
	    "not 1");
	(void)gss_release_buffer(&minor, &tok);
	auth_gss_free(&as);
	client_free(&c);

	/* Not a wrap token at all. */
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(auth_gss_protect(&as, "\x05\x04\x00\xff garbage", 12,
	    &out, &level, err, sizeof(err)), -1);
	ATF_CHECK_MSG(strncmp(err, "gss_unwrap of the protection level: ",
	    36) == 0, "%s", err);
	printf("garbage level message: %s\n", err);
	auth_gss_free(&as);
	client_free(&c);
	env_free(&e);
}

KDC_TC(state_machine, "messages out of order end the session")
ATF_TC_BODY(state_machine, tc)
{
	struct env		 e;
	struct auth_session	 as;
	struct client		 c;
	gss_buffer_desc		 out, tok;
	OM_uint32		 minor;
	static uint8_t		 big[AUTH_GSS_MAXTOKEN + 1];
	uint8_t			 one = 1;
	char			 err[512];
	int			 complete, level;

	env_setup(&e, NULL, 0);

	/* A level before any token; an export before anything. */
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_CHECK_EQ(auth_gss_protect(&as, &one, 1, &out, &level, err,
	    sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "protection level message out of order "
	    "(state begin)");
	ATF_CHECK_EQ(auth_gss_token(&as, &one, 1, &out, &complete, err,
	    sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "context token out of order (state failed)");
	auth_gss_free(&as);
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_CHECK_EQ(auth_gss_export(&as, &out, err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "export out of order (state begin)");
	auth_gss_free(&as);

	/* Empty and oversized tokens; garbage. */
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_CHECK_EQ(auth_gss_token(&as, big, 0, &out, &complete, err,
	    sizeof(err)), -1);
	auth_gss_free(&as);
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_CHECK_EQ(auth_gss_token(&as, big, sizeof(big), &out, &complete,
	    err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "context token of 65536 bytes");
	auth_gss_free(&as);
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_CHECK_EQ(auth_gss_token(&as, "\x60\x03\x06\x01\x00", 5, &out,
	    &complete, err, sizeof(err)), -1);
	ATF_CHECK_MSG(strncmp(err, "gss_accept_sec_context: ", 24) == 0,
	    "%s", err);
	printf("garbage token: %s\n", err);
	ATF_CHECK_EQ(as.as_state, AUTH_ST_FAILED);
	(void)gss_release_buffer(&minor, &out);
	auth_gss_free(&as);

	/* After COMPLETE: a token, an early export. */
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(auth_gss_token(&as, c.c_first.value, c.c_first.length,
	    &out, &complete, err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "context token out of order (state complete)");
	auth_gss_free(&as);
	client_free(&c);
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(auth_gss_export(&as, &out, err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "export out of order (state complete)");
	auth_gss_free(&as);
	client_free(&c);

	/* A second level message. */
	session(&e, &as, "", ALL_LEVELS, 0);
	ATF_REQUIRE_MSG(handshake(&e, &as, &c, TK_SERVICE, REQ_FLAGS, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_REQUIRE(protect(&as, &c, GSS_LEVEL_CONF, 0, err,
	    sizeof(err)) == 0);
	client_level(&c, GSS_LEVEL_CONF, 0, &tok);
	ATF_CHECK_EQ(auth_gss_protect(&as, tok.value, tok.length, &out,
	    &level, err, sizeof(err)), -1);
	ATF_CHECK_STREQ(err, "protection level message out of order "
	    "(state protect)");
	(void)gss_release_buffer(&minor, &tok);
	auth_gss_free(&as);
	client_free(&c);
	env_free(&e);
}

/* Only Kerberos V5: a SPNEGO initiator is turned away. */
KDC_TC(spnego, "a SPNEGO context token is refused")
ATF_TC_BODY(spnego, tc)
{
	struct env		 e;
	struct auth_session	 as;
	struct client		 c;
	gss_buffer_desc		 tok, out;
	gss_cred_id_t		 icred;
	OM_uint32		 minor;
	char			 err[512], *ccname;
	int			 complete;

	env_setup(&e, NULL, 0);
	session(&e, &as, "", ALL_LEVELS, 0);
	memset(&c, 0, sizeof(c));
	/* SPNEGO takes the default credentials: the user's cache. */
	ATF_REQUIRE(krb5_cc_get_full_name(e.e_ctx, e.e_cc, &ccname) == 0);
	ATF_REQUIRE(setenv("KRB5CCNAME", ccname, 1) == 0);
	free(ccname);
	icred = e.e_icred;
	e.e_icred = GSS_C_NO_CREDENTIAL;
	client_step(&e, &c, TK_SERVICE, REQ_FLAGS, GSS_SPNEGO_MECHANISM,
	    GSS_C_NO_BUFFER, &tok);
	e.e_icred = icred;
	ATF_CHECK_EQ(auth_gss_token(&as, tok.value, tok.length, &out,
	    &complete, err, sizeof(err)), -1);
	ATF_CHECK_MSG(strncmp(err, "gss_accept_sec_context: ", 24) == 0,
	    "%s", err);
	printf("SPNEGO: %s\n", err);
	(void)gss_release_buffer(&minor, &tok);
	(void)gss_release_buffer(&minor, &out);
	auth_gss_free(&as);
	client_free(&c);
	env_free(&e);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, levels);
	ATF_TP_ADD_TC(tp, no_mutual);
	ATF_TP_ADD_TC(tp, replay);
	ATF_TP_ADD_TC(tp, shared_cred);
	ATF_TP_ADD_TC(tp, services);
	ATF_TP_ADD_TC(tp, level_refusals);
	ATF_TP_ADD_TC(tp, context_flags);
	ATF_TP_ADD_TC(tp, nec);
	ATF_TP_ADD_TC(tp, protect_messages);
	ATF_TP_ADD_TC(tp, state_machine);
	ATF_TP_ADD_TC(tp, spnego);
	return (atf_no_error());
}

/*
 * tests/cfx's realm, contexts and relay sessions (see cfxenv.h).
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include "cfxenv.h"
#include "relayd.h"

static const struct {
	int		 type;
	const char	*name;
} ce_enctypes[] = {
	{ 16, "des3-cbc-sha1" },
	{ 17, "aes128-cts-hmac-sha1-96" },
	{ 18, "aes256-cts-hmac-sha1-96" },
	{ 19, "aes128-cts-hmac-sha256-128" },
	{ 20, "aes256-cts-hmac-sha384-192" },
	{ 23, "arcfour-hmac-md5" }
};

/* The keys krbtest's kadmin gives a principal by default. */
static const char *ce_default_keys[] = {
	"aes256-cts-hmac-sha1-96", "des3-cbc-sha1", "arcfour-hmac-md5"
};

const char *
ce_enctype_name(int type)
{
	size_t	 i;

	for (i = 0; i < sizeof(ce_enctypes) / sizeof(ce_enctypes[0]); i++)
		if (ce_enctypes[i].type == type)
			return (ce_enctypes[i].name);
	atf_tc_fail("enctype %d unknown to the test", type);
}

void
ce_fail_gss(const char *what, OM_uint32 major, OM_uint32 minor)
{
	gss_buffer_desc	 a = GSS_C_EMPTY_BUFFER, b = GSS_C_EMPTY_BUFFER;
	OM_uint32	 m, ctx = 0;

	(void)gss_display_status(&m, major, GSS_C_GSS_CODE, GSS_C_NO_OID,
	    &ctx, &a);
	ctx = 0;
	(void)gss_display_status(&m, minor, GSS_C_MECH_CODE,
	    GSS_KRB5_MECHANISM, &ctx, &b);
	atf_tc_fail("%s: %.*s: %.*s", what, (int)a.length, (char *)a.value,
	    (int)b.length, (char *)b.value);
}

void
ce_random(void *buf, size_t len)
{
	arc4random_buf(buf, len);
}

/*
 * The clients of the realm ask the KDC for service tickets of this
 * enctype alone, and initiators offer it first for the acceptor's subkey
 * (RFC 4537): krbtest's krb5.conf with a default_tgs_enctypes line (both
 * libraries) and a default_etypes line (Heimdal; the user's key for the
 * AS exchange is aes256).
 */
static void
ce_conf_enctype(struct cfx_env *e, const char *ename)
{
	static const char	 sect[] = "[libdefaults]\n";
	uint8_t			*buf;
	size_t			 len, off;
	char			*p, line[256];
	FILE			*f;

	buf = tk_readfile(e->ce_realm.tk_conf, &len);
	ATF_REQUIRE((p = memmem(buf, len, sect, sizeof(sect) - 1)) != NULL);
	off = (uint8_t *)p - buf + sizeof(sect) - 1;
	(void)snprintf(line, sizeof(line), "\tdefault_tgs_enctypes = %s\n"
	    "\tdefault_etypes = %s aes256-cts-hmac-sha1-96\n", ename, ename);
	ATF_REQUIRE((f = fopen(e->ce_realm.tk_conf, "w")) != NULL);
	ATF_REQUIRE(fwrite(buf, 1, off, f) == off);
	ATF_REQUIRE(fputs(line, f) != EOF);
	ATF_REQUIRE(fwrite(buf + off, 1, len - off, f) == len - off);
	ATF_REQUIRE(fclose(f) == 0);
	free(buf);
}

/* CE_SERVICE with a random key of this enctype only, in ce_keytab. */
static void
ce_service(struct cfx_env *e, const char *ename)
{
	struct tk_realm	*r = &e->ce_realm;
	size_t		 i;
	int		 n;

	tk_kadmin(r, "add", "--random-key", "--use-defaults", CE_SERVICE,
	    NULL);
	for (i = 0; i < sizeof(ce_default_keys) / sizeof(ce_default_keys[0]);
	    i++)
		if (strcmp(ce_default_keys[i], ename) == 0)
			break;
	if (i == sizeof(ce_default_keys) / sizeof(ce_default_keys[0]))
		tk_kadmin(r, "add_enctype", "-r", CE_SERVICE, ename, NULL);
	for (i = 0; i < sizeof(ce_default_keys) / sizeof(ce_default_keys[0]);
	    i++)
		if (strcmp(ce_default_keys[i], ename) != 0)
			tk_kadmin(r, "del_enctype", CE_SERVICE,
			    ce_default_keys[i], NULL);
	n = snprintf(e->ce_keytab, sizeof(e->ce_keytab), "%s/cfx.keytab",
	    r->tk_dir);
	ATF_REQUIRE(n > 0 && (size_t)n < sizeof(e->ce_keytab));
	tk_kadmin(r, "ext_keytab", "-k", e->ce_keytab, CE_SERVICE, NULL);
}

/*
 * The user's ticket-granting ticket and service ticket in a FILE cache
 * (which MIT's library reads too), and both sides' credentials.
 */
static void
ce_creds(struct cfx_env *e)
{
	krb5_principal	 user, svc;
	krb5_creds	 creds, in, *out = NULL;
	char		 ktname[PATH_MAX + 8];
	OM_uint32	 major, minor;
	int		 ret, n;

	n = snprintf(e->ce_ccache, sizeof(e->ce_ccache), "FILE:%s/user.cc",
	    e->ce_realm.tk_dir);
	ATF_REQUIRE(n > 0 && (size_t)n < sizeof(e->ce_ccache));
	ATF_REQUIRE(krb5_init_context(&e->ce_ctx) == 0);
	ATF_REQUIRE(krb5_parse_name(e->ce_ctx, TK_USER, &user) == 0);
	ATF_REQUIRE(krb5_parse_name(e->ce_ctx, CE_SERVICE, &svc) == 0);
	memset(&creds, 0, sizeof(creds));
	ret = krb5_get_init_creds_password(e->ce_ctx, &creds, user,
	    TK_PASSWORD, NULL, NULL, 0, NULL, NULL);
	ATF_REQUIRE_MSG(ret == 0, "kinit: %s",
	    krb5_get_error_message(e->ce_ctx, ret));
	ATF_REQUIRE(krb5_cc_resolve(e->ce_ctx, e->ce_ccache, &e->ce_cc) == 0);
	ATF_REQUIRE(krb5_cc_initialize(e->ce_ctx, e->ce_cc, user) == 0);
	ATF_REQUIRE(krb5_cc_store_cred(e->ce_ctx, e->ce_cc, &creds) == 0);
	krb5_free_cred_contents(e->ce_ctx, &creds);
	memset(&in, 0, sizeof(in));
	in.client = user;
	in.server = svc;
	ret = krb5_get_credentials(e->ce_ctx, 0, e->ce_cc, &in, &out);
	ATF_REQUIRE_MSG(ret == 0, "service ticket: %s",
	    krb5_get_error_message(e->ce_ctx, ret));
	ATF_REQUIRE_MSG(out->session.keytype == e->ce_enctype,
	    "the KDC gave a session key of enctype %d, not %d",
	    out->session.keytype, e->ce_enctype);
	krb5_free_creds(e->ce_ctx, out);
	krb5_free_principal(e->ce_ctx, user);
	krb5_free_principal(e->ce_ctx, svc);

	major = gss_krb5_import_cred(&minor, e->ce_cc, NULL, NULL,
	    &e->ce_icred);
	if (GSS_ERROR(major))
		ce_fail_gss("gss_krb5_import_cred (initiator)", major, minor);
	(void)snprintf(ktname, sizeof(ktname), "FILE:%s", e->ce_keytab);
	ATF_REQUIRE(krb5_kt_resolve(e->ce_ctx, ktname, &e->ce_kt) == 0);
	major = gss_krb5_import_cred(&minor, NULL, NULL, e->ce_kt,
	    &e->ce_acred);
	if (GSS_ERROR(major))
		ce_fail_gss("gss_krb5_import_cred (acceptor)", major, minor);
}

/* The realm, its kdc, and credentials for contexts of one enctype. */
void
ce_setup(struct cfx_env *e, int enctype)
{
	const char	*ename;

	memset(e, 0, sizeof(*e));
	e->ce_enctype = enctype;
	ename = ce_enctype_name(enctype);
	tk_realm_create(&e->ce_realm);
	ce_service(e, ename);
	ce_conf_enctype(e, ename);
	tk_kdc_start(&e->ce_realm);
	ce_creds(e);
}

void
ce_free(struct cfx_env *e)
{
	OM_uint32	 minor;

	(void)gss_release_cred(&minor, &e->ce_icred);
	(void)gss_release_cred(&minor, &e->ce_acred);
	(void)krb5_kt_close(e->ce_ctx, e->ce_kt);
	(void)krb5_cc_close(e->ce_ctx, e->ce_cc);
	krb5_free_context(e->ce_ctx);
}

/* One initiator step; 1 when the context is complete. */
int
ce_init_step(struct cfx_env *e, gss_ctx_id_t *ctx, gss_buffer_t in,
    gss_buffer_t out)
{
	gss_buffer_desc	 nb;
	gss_name_t	 name;
	OM_uint32	 major, minor, flags = 0;

	nb.value = (void *)(uintptr_t)CE_SERVICE;
	nb.length = strlen(CE_SERVICE);
	major = gss_import_name(&minor, &nb, GSS_KRB5_NT_PRINCIPAL_NAME,
	    &name);
	if (GSS_ERROR(major))
		ce_fail_gss("gss_import_name", major, minor);
	major = gss_init_sec_context(&minor, e->ce_icred, ctx, name,
	    GSS_KRB5_MECHANISM, CE_FLAGS, 0, GSS_C_NO_CHANNEL_BINDINGS, in,
	    NULL, out, &flags, NULL);
	(void)gss_release_name(&minor, &name);
	if (GSS_ERROR(major))
		ce_fail_gss("gss_init_sec_context", major, minor);
	if (major == GSS_S_COMPLETE)
		ATF_REQUIRE_MSG((flags & CE_FLAGS) == CE_FLAGS,
		    "initiator flags %#x", flags);
	return (major == GSS_S_COMPLETE);
}

int
ce_accept_step(struct cfx_env *e, gss_ctx_id_t *ctx, gss_buffer_t in,
    gss_buffer_t out)
{
	OM_uint32	 major, minor, flags = 0;

	major = gss_accept_sec_context(&minor, ctx, e->ce_acred, in,
	    GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL, out, &flags, NULL, NULL);
	if (GSS_ERROR(major))
		ce_fail_gss("gss_accept_sec_context", major, minor);
	if (major == GSS_S_COMPLETE)
		ATF_REQUIRE_MSG((flags & (GSS_C_REPLAY_FLAG |
		    GSS_C_SEQUENCE_FLAG)) == (GSS_C_REPLAY_FLAG |
		    GSS_C_SEQUENCE_FLAG), "acceptor flags %#x", flags);
	return (major == GSS_S_COMPLETE);
}

/* A Heimdal context between the user and the service. */
void
ce_handshake(struct cfx_env *e, gss_ctx_id_t *ini, gss_ctx_id_t *acc)
{
	gss_buffer_desc	 a = GSS_C_EMPTY_BUFFER, b = GSS_C_EMPTY_BUFFER;
	OM_uint32	 minor;
	int		 idone = 0, adone = 0, round;

	*ini = *acc = GSS_C_NO_CONTEXT;
	for (round = 0; round < 5 && !(idone && adone); round++) {
		if (!idone) {
			idone = ce_init_step(e, ini, &b, &a);
			(void)gss_release_buffer(&minor, &b);
		}
		if (a.length > 0) {
			ATF_REQUIRE(!adone);
			adone = ce_accept_step(e, acc, &a, &b);
			(void)gss_release_buffer(&minor, &a);
		}
	}
	ATF_REQUIRE_MSG(idone && adone, "no context after %d rounds", round);
	(void)gss_release_buffer(&minor, &b);
}

static void
ce_pass(gss_ctx_id_t from, gss_ctx_id_t to)
{
	gss_buffer_desc	 in, tok = GSS_C_EMPTY_BUFFER, pt = GSS_C_EMPTY_BUFFER;
	OM_uint32	 major, minor;
	uint8_t		 level = 2;

	in.value = &level;
	in.length = 1;
	major = gss_wrap(&minor, from, 0, GSS_C_QOP_DEFAULT, &in, NULL, &tok);
	if (GSS_ERROR(major))
		ce_fail_gss("gss_wrap", major, minor);
	major = gss_unwrap(&minor, to, &tok, &pt, NULL, NULL);
	if (major != GSS_S_COMPLETE)
		ce_fail_gss("gss_unwrap", major, minor);
	ATF_REQUIRE(pt.length == 1 && *(uint8_t *)pt.value == level);
	(void)gss_release_buffer(&minor, &tok);
	(void)gss_release_buffer(&minor, &pt);
}

/*
 * RFC 1961's protection subnegotiation as authd does it before the
 * export: one token each way, so that the exported context has used a
 * sequence number in each direction.
 */
void
ce_subneg(gss_ctx_id_t ini, gss_ctx_id_t acc)
{
	ce_pass(ini, acc);
	ce_pass(acc, ini);
}

/* One end of a context into a relay session, as relayd.c does it. */
void
ce_relay(struct relay_session *rs, gss_ctx_id_t *ctx, int level)
{
	gss_buffer_desc	 tok = GSS_C_EMPTY_BUFFER;
	OM_uint32	 major, minor;
	static uint64_t	 sid;

	memset(rs, 0, sizeof(*rs));
	rs->rs_sid = ++sid;
	rs->rs_level = level;
	rs->rs_gctx = GSS_C_NO_CONTEXT;
	major = gss_export_sec_context(&minor, ctx, &tok);
	if (GSS_ERROR(major))
		ce_fail_gss("gss_export_sec_context", major, minor);
	ATF_REQUIRE(relay_gss_import(rs, tok.value, tok.length) == 0);
	explicit_bzero(tok.value, tok.length);
	(void)gss_release_buffer(&minor, &tok);
}

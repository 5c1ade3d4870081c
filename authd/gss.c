/*
 * One session's RFC 1961 negotiation, as a state machine:
 *
 *	BEGIN --token--> TOKEN --token--> ... COMPLETE --protect--> PROTECT
 *	PROTECT --export--> DONE
 *
 * Anything else (a token after COMPLETE, a level before it, a second
 * level, an export before the level) fails and leaves the session FAILED,
 * where only auth_gss_free() is left to do; the dispatcher drops it.
 *
 * Only the Kerberos V5 mechanism is accepted: the acceptor credential is
 * made for it alone (gss_krb5_import_cred), so a SPNEGO or NTLM token is
 * refused by the mechanism glue, and the mechanism of the established
 * context is checked again.  That also makes the first token of a
 * session its AP-REQ.
 */

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include "config.h"
#include "auth.h"
#include "util.h"

static int	 ag_fail(struct auth_session *, char *, size_t,
		    const char *, ...)
		    __attribute__((__format__ (printf, 4, 5)));
static int	 ag_fail_status(struct auth_session *, char *, size_t,
		    const char *, OM_uint32, OM_uint32);
static void	 ag_status_text(OM_uint32, int, char *, size_t);
static int	 ag_name_text(gss_name_t, char *, size_t);
static int	 ag_check_target(struct auth_session *, char *, size_t);
static int	 ag_check_replay(struct auth_session *, const void *, size_t,
		    char *, size_t);
static int	 ag_established(struct auth_session *, gss_OID, gss_name_t,
		    char *, size_t);
static int	 ag_check_level(struct auth_session *, int, char *, size_t);
static int	 ag_read_level(struct auth_session *, const void *, size_t,
		    uint8_t *, char *, size_t);
static void	 ag_levels_text(unsigned int, char *, size_t);
static const char *ag_state_name(enum auth_state);

static const char *
ag_state_name(enum auth_state st)
{
	switch (st) {
	case AUTH_ST_NEW:
		return ("new");
	case AUTH_ST_BEGIN:
		return ("begin");
	case AUTH_ST_TOKEN:
		return ("token");
	case AUTH_ST_COMPLETE:
		return ("complete");
	case AUTH_ST_PROTECT:
		return ("protect");
	case AUTH_ST_DONE:
		return ("done");
	case AUTH_ST_FAILED:
		return ("failed");
	}
	return ("unknown");
}

static int
ag_fail(struct auth_session *as, char *err, size_t errlen,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (as->as_state != AUTH_ST_NEW)
		as->as_state = AUTH_ST_FAILED;
	return (-1);
}

/* Every message of one kind of status, joined with "; ". */
static void
ag_status_text(OM_uint32 code, int type, char *buf, size_t len)
{
	gss_buffer_desc	 msg;
	OM_uint32	 minor, mctx = 0;
	const char	*p;
	size_t		 used, plen;
	int		 n = 0;

	buf[0] = '\0';
	do {
		if (GSS_ERROR(gss_display_status(&minor, code, type,
		    GSS_KRB5_MECHANISM, &mctx, &msg)))
			break;
		/* Heimdal starts some messages with a space. */
		p = msg.value;
		plen = msg.length;
		while (plen > 0 && *p == ' ') {
			p++;
			plen--;
		}
		used = strlen(buf);
		if (plen <= INT_MAX)
			(void)snprintf(buf + used, len - used, "%s%.*s",
			    n > 0 ? "; " : "", (int)plen, p);
		(void)gss_release_buffer(&minor, &msg);
	} while (mctx != 0 && ++n < 8);
}

static int
ag_fail_status(struct auth_session *as, char *err, size_t errlen,
    const char *call, OM_uint32 major, OM_uint32 minor)
{
	char	 maj[256], min[256];

	ag_status_text(major, GSS_C_GSS_CODE, maj, sizeof(maj));
	if (minor != 0) {
		ag_status_text(minor, GSS_C_MECH_CODE, min, sizeof(min));
		return (ag_fail(as, err, errlen, "%s: %s: %s", call, maj,
		    min));
	}
	return (ag_fail(as, err, errlen, "%s: %s", call, maj));
}

/*
 * A name as text, in the krb5 mechanism's exported form: the principal as
 * krb5_unparse_name() writes it, with '\\', '/' and '@' inside components
 * quoted and control characters escaped, so that two principals never
 * read the same.  gss_display_name() gives Heimdal's display form, which
 * drops that quoting ("ev<LF>il" shows as "evnil"): unfit for the audit
 * log and for the user: rules that match on this text.  The exported
 * token is RFC 2743 section 3.2's: 04 01, the mechanism OID's length and
 * DER, the name's length and the name.  Refused if anything is off, if
 * it does not fit, or holds a NUL byte.
 */
static int
ag_name_text(gss_name_t name, char *buf, size_t len)
{
	gss_buffer_desc	 b;
	OM_uint32	 major, minor;
	const uint8_t	*p;
	size_t		 oidlen, namelen, off;
	int		 ret = -1;

	major = gss_export_name(&minor, name, &b);
	if (GSS_ERROR(major))
		return (-1);
	p = b.value;
	if (b.length < 4 || p[0] != 0x04 || p[1] != 0x01)
		goto done;
	oidlen = (size_t)p[2] << 8 | p[3];
	off = 4 + oidlen;
	if (b.length < off + 4)
		goto done;
	namelen = (size_t)p[off] << 24 | (size_t)p[off + 1] << 16 |
	    (size_t)p[off + 2] << 8 | p[off + 3];
	off += 4;
	if (namelen != b.length - off || namelen >= len ||
	    memchr(p + off, '\0', namelen) != NULL)
		goto done;
	memcpy(buf, p + off, namelen);
	buf[namelen] = '\0';
	ret = 0;
done:
	(void)gss_release_buffer(&minor, &b);
	return (ret);
}

/*
 * The acceptor credential over one in-memory keytab, with no principal
 * (see auth_service_parse() for why the service is checked after the
 * fact).  Made once per keytab, not per session: Heimdal makes a
 * krb5 context for each gss_krb5_import_cred(), reading krb5.conf, and
 * that was a tenth of authd's time per session.  Heimdal resolves the
 * keytab again by name and holds its own reference to it.  Sessions
 * take a reference of their own, so that those in flight at a reload
 * finish with the credential they began with.
 */
struct auth_cred *
auth_cred_new(krb5_keytab kt, char *err, size_t errlen)
{
	struct auth_cred	*ac;
	OM_uint32		 major, minor;
	char			 maj[256], min[256];

	if ((ac = calloc(1, sizeof(*ac))) == NULL) {
		(void)snprintf(err, errlen, "%s: out of memory", __func__);
		return (NULL);
	}
	major = gss_krb5_import_cred(&minor, NULL, NULL, kt, &ac->ac_cred);
	if (GSS_ERROR(major)) {
		ag_status_text(major, GSS_C_GSS_CODE, maj, sizeof(maj));
		ag_status_text(minor, GSS_C_MECH_CODE, min, sizeof(min));
		(void)snprintf(err, errlen, "gss_krb5_import_cred: %s%s%s",
		    maj, minor != 0 ? ": " : "", minor != 0 ? min : "");
		free(ac);
		return (NULL);
	}
	ac->ac_refs = 1;
	return (ac);
}

struct auth_cred *
auth_cred_ref(struct auth_cred *ac)
{
	ac->ac_refs++;
	return (ac);
}

void
auth_cred_unref(struct auth_cred *ac)
{
	OM_uint32	 minor;

	if (ac == NULL || --ac->ac_refs > 0)
		return;
	(void)gss_release_cred(&minor, &ac->ac_cred);
	free(ac);
}

int
auth_gss_init(struct auth_session *as, krb5_context ctx,
    const struct gssconf *gc, struct auth_cred *cred, struct replay *rp,
    char *err, size_t errlen)
{
	memset(as, 0, sizeof(*as));
	as->as_state = AUTH_ST_NEW;
	as->as_ctx = ctx;
	as->as_gctx = GSS_C_NO_CONTEXT;
	as->as_level = -1;
	if (cred == NULL || rp == NULL)
		return (ag_fail(as, err, errlen, "no credential or replay "
		    "cache"));
	as->as_replay = rp;
	as->as_gss = *gc;
	as->as_gss.gc_servicename[sizeof(as->as_gss.gc_servicename) - 1] =
	    '\0';
	if (auth_service_parse(ctx, as->as_gss.gc_servicename, &as->as_svc,
	    err, errlen) == -1)
		return (-1);
	as->as_cred = auth_cred_ref(cred);
	as->as_state = AUTH_ST_BEGIN;
	return (0);
}

/* The ticket must be for the service principal the rule names. */
static int
ag_check_target(struct auth_session *as, char *err, size_t errlen)
{
	gss_name_t	 targ = GSS_C_NO_NAME;
	krb5_principal	 p = NULL;
	OM_uint32	 major, minor;
	int		 ok = 0;

	major = gss_inquire_context(&minor, as->as_gctx, NULL, &targ, NULL,
	    NULL, NULL, NULL, NULL);
	if (GSS_ERROR(major))
		return (ag_fail_status(as, err, errlen,
		    "gss_inquire_context", major, minor));
	if (ag_name_text(targ, as->as_target, sizeof(as->as_target)) == 0 &&
	    krb5_parse_name_flags(as->as_ctx, as->as_target,
	    KRB5_PRINCIPAL_PARSE_REQUIRE_REALM, &p) == 0) {
		ok = auth_service_match(as->as_ctx, &as->as_svc, p);
		krb5_free_principal(as->as_ctx, p);
	}
	(void)gss_release_name(&minor, &targ);
	if (!ok)
		return (ag_fail(as, err, errlen, "wrong service principal: "
		    "the ticket is for %s, the rule accepts %s",
		    as->as_target[0] != '\0' ? as->as_target : "an unknown "
		    "principal", as->as_svc.sv_display));
	return (0);
}

/*
 * Every token the acceptor took goes into the replay cache, not only the
 * first: after a clock skew error token (Heimdal answers KRB_AP_ERR_SKEW
 * with CONTINUE_NEEDED and a KRB-ERROR) the client sends a new AP-REQ in
 * the second token.
 */
static int
ag_check_replay(struct auth_session *as, const void *in, size_t inlen,
    char *err, size_t errlen)
{
	if (auth_replay_check_and_add(as->as_replay, in, inlen,
	    time(NULL)) == 0)
		return (0);
	if (errno == EEXIST)
		return (ag_fail(as, err, errlen, "replayed context token "
		    "refused"));
	if (errno == ENOSPC)
		return (ag_fail(as, err, errlen, "replay cache full: "
		    "refusing new authentications until entries expire"));
	return (ag_fail(as, err, errlen, "replay cache: cannot compute a "
	    "digest"));
}

/* The context is established: is it one we take, and whose is it? */
static int
ag_established(struct auth_session *as, gss_OID mech, gss_name_t src,
    char *err, size_t errlen)
{
	if (mech == GSS_C_NO_OID || !gss_oid_equal(mech, GSS_KRB5_MECHANISM))
		return (ag_fail(as, err, errlen, "not a Kerberos V5 "
		    "context"));
	if (ag_check_target(as, err, errlen) == -1)
		return (-1);
	if (ag_name_text(src, as->as_principal,
	    sizeof(as->as_principal)) == -1)
		return (ag_fail(as, err, errlen, "client principal name "
		    "unusable"));
	return (0);
}

/*
 * A context token from the client.  On success *complete says whether
 * the context is established; out holds the token to send back, which
 * may be empty: then the front end sends nothing (RFC 1961 3.3).  On
 * failure out may still hold an error token from the library for the
 * front end to send before the abort frame.  out is always released
 * with gss_release_buffer() by the caller.
 */
int
auth_gss_token(struct auth_session *as, const void *in, size_t inlen,
    gss_buffer_t out, int *complete, char *err, size_t errlen)
{
	gss_buffer_desc	 inbuf;
	gss_name_t	 src = GSS_C_NO_NAME;
	gss_OID		 mech = GSS_C_NO_OID;
	OM_uint32	 major, minor, flags = 0;
	int		 ret = 0;

	out->length = 0;
	out->value = NULL;
	*complete = 0;
	if (as->as_state != AUTH_ST_BEGIN && as->as_state != AUTH_ST_TOKEN)
		return (ag_fail(as, err, errlen, "context token out of "
		    "order (state %s)", ag_state_name(as->as_state)));
	if (inlen == 0 || inlen > AUTH_GSS_MAXTOKEN)
		return (ag_fail(as, err, errlen, "context token of %zu "
		    "bytes", inlen));
	if (++as->as_rounds > AUTH_GSS_MAXROUNDS)
		return (ag_fail(as, err, errlen, "more than %d context "
		    "tokens", AUTH_GSS_MAXROUNDS));

	inbuf.value = (void *)(uintptr_t)in;
	inbuf.length = inlen;
	major = gss_accept_sec_context(&minor, &as->as_gctx,
	    as->as_cred->ac_cred,
	    &inbuf, GSS_C_NO_CHANNEL_BINDINGS, &src, &mech, out, &flags,
	    NULL, NULL);
	/* On errors the glue deletes the context and resets the handle. */
	if (GSS_ERROR(major))
		return (ag_fail_status(as, err, errlen,
		    "gss_accept_sec_context", major, minor));
	if (ag_check_replay(as, in, inlen, err, errlen) == -1)
		ret = -1;
	else if (major & GSS_S_CONTINUE_NEEDED)
		as->as_state = AUTH_ST_TOKEN;
	else if (ag_established(as, mech, src, err, errlen) == -1)
		ret = -1;
	else {
		as->as_flags = flags & ~GSS_C_DELEG_FLAG;
		as->as_state = AUTH_ST_COMPLETE;
		*complete = 1;
	}
	(void)gss_release_name(&minor, &src);
	/* Our own refusals send no token (an AP-REP would say "yes"). */
	if (ret == -1)
		(void)gss_release_buffer(&minor, out);
	return (ret);
}

static void
ag_levels_text(unsigned int mask, char *buf, size_t len)
{
	int	 l, n = 0;

	buf[0] = '\0';
	for (l = GSS_LEVEL_CLEAR; l <= GSS_LEVEL_CONF; l++) {
		if ((mask & GSS_LEVEL_BIT(l)) == 0)
			continue;
		if (n++ > 0)
			(void)strlcat(buf, " or ", len);
		(void)strlcat(buf, level_str(l), len);
	}
	if (n == 0)
		(void)strlcpy(buf, "no level", len);
}

/*
 * Dante's choice, after RFC 1961 section 4: the server grants exactly
 * the level the client asked for, if the rule allows it (gssapi.enctype)
 * and the context can give it; otherwise the negotiation fails.  Level 0
 * is Dante's "clear"; 3 (selective per-message protection) and anything
 * above are never granted.
 */
static int
ag_check_level(struct auth_session *as, int level, char *err,
    size_t errlen)
{
	char	 allowed[64];

	if (level < GSS_LEVEL_CLEAR || level > GSS_LEVEL_CONF)
		return (ag_fail(as, err, errlen, "client asked for "
		    "protection level %d (%s), which is never granted",
		    level, level_str(level)));
	if ((as->as_gss.gc_levels & GSS_LEVEL_BIT(level)) == 0) {
		ag_levels_text(as->as_gss.gc_levels, allowed,
		    sizeof(allowed));
		return (ag_fail(as, err, errlen, "client asked for %s, "
		    "rule allows %s", level_str(level), allowed));
	}
	if ((level == GSS_LEVEL_INTEGRITY &&
	    (as->as_flags & GSS_C_INTEG_FLAG) == 0) ||
	    (level == GSS_LEVEL_CONF &&
	    (as->as_flags & GSS_C_CONF_FLAG) == 0))
		return (ag_fail(as, err, errlen, "client asked for %s, "
		    "which its context does not offer (%s not set)",
		    level_str(level), level == GSS_LEVEL_CONF ?
		    "GSS_C_CONF_FLAG" : "GSS_C_INTEG_FLAG"));
	return (0);
}

/*
 * The level octet of the client's message: a single raw octet from a NEC
 * client where that is allowed, else a gss_wrap() token.
 */
static int
ag_read_level(struct auth_session *as, const void *in, size_t inlen,
    uint8_t *octet, char *err, size_t errlen)
{
	gss_buffer_desc	 inbuf, pt = GSS_C_EMPTY_BUFFER;
	OM_uint32	 major, minor, junk;
	size_t		 ptlen;
	int		 conf = 0;

	if (as->as_gss.gc_nec && inlen == 1) {
		*octet = *(const uint8_t *)in;
		as->as_nec = 1;
		return (0);
	}
	inbuf.value = (void *)(uintptr_t)in;
	inbuf.length = inlen;
	major = gss_unwrap(&minor, as->as_gctx, &inbuf, &pt, &conf, NULL);
	/*
	 * Supplementary bits (duplicate, old, gap) are no errors to
	 * GSS-API, but this is the first message: refuse them too.
	 */
	if (major != GSS_S_COMPLETE) {
		(void)gss_release_buffer(&junk, &pt);
		if (inlen == 1)
			return (ag_fail(as, err, errlen, "protection level "
			    "sent in the clear, as NEC's client does; not "
			    "allowed without clientcompatibility: "
			    "necgssapi"));
		return (ag_fail_status(as, err, errlen,
		    "gss_unwrap of the protection level", major, minor));
	}
	ptlen = pt.length;
	if (ptlen == 1)
		*octet = *(uint8_t *)pt.value;
	(void)gss_release_buffer(&junk, &pt);
	if (ptlen != 1)
		return (ag_fail(as, err, errlen, "protection level message "
		    "holds %zu octets, not 1", ptlen));
	as->as_confwrapped = conf != 0;
	return (0);
}

/*
 * The client's protection level message (mtyp 2).  With
 * clientcompatibility necgssapi a single octet is the level in the clear,
 * as NEC's client sends it, and the answer goes back the same way
 * (as_nec: the caller logs the downgrade).  Otherwise it is gss_wrap()ed:
 * RFC 1961 asks for integrity only, but a client that also encrypted it
 * is taken (as_confwrapped, for the caller to log); our answer is always
 * wrapped without confidentiality.  On success *level is the level
 * granted and out holds the answer (released with gss_release_buffer()).
 * On failure the front end sends the abort frame.
 */
int
auth_gss_protect(struct auth_session *as, const void *in, size_t inlen,
    gss_buffer_t out, int *level, char *err, size_t errlen)
{
	gss_buffer_desc	 lb;
	OM_uint32	 major, minor;
	uint8_t		 octet = 0;

	out->length = 0;
	out->value = NULL;
	*level = -1;
	if (as->as_state != AUTH_ST_COMPLETE)
		return (ag_fail(as, err, errlen, "protection level message "
		    "out of order (state %s)", ag_state_name(as->as_state)));
	if (inlen == 0 || inlen > AUTH_GSS_MAXTOKEN)
		return (ag_fail(as, err, errlen, "protection level message "
		    "of %zu bytes", inlen));
	if (ag_read_level(as, in, inlen, &octet, err, errlen) == -1 ||
	    ag_check_level(as, octet, err, errlen) == -1)
		return (-1);

	if (as->as_nec) {
		if ((out->value = malloc(1)) == NULL)
			return (ag_fail(as, err, errlen, "%s",
			    strerror(errno)));
		*(uint8_t *)out->value = octet;
		out->length = 1;
	} else {
		lb.value = &octet;
		lb.length = 1;
		major = gss_wrap(&minor, as->as_gctx, 0, GSS_C_QOP_DEFAULT,
		    &lb, NULL, out);
		if (GSS_ERROR(major))
			return (ag_fail_status(as, err, errlen,
			    "gss_wrap of the protection level", major,
			    minor));
	}
	as->as_level = octet;
	as->as_state = AUTH_ST_PROTECT;
	*level = octet;
	return (0);
}

/*
 * The established context, for the relay: the caller sends token and
 * then wipes it (explicit_bzero, gss_release_buffer), for it holds the
 * session keys.  Exporting ends the context here.
 */
int
auth_gss_export(struct auth_session *as, gss_buffer_t token, char *err,
    size_t errlen)
{
	OM_uint32	 major, minor;

	token->length = 0;
	token->value = NULL;
	if (as->as_state != AUTH_ST_PROTECT)
		return (ag_fail(as, err, errlen, "export out of order "
		    "(state %s)", ag_state_name(as->as_state)));
	major = gss_export_sec_context(&minor, &as->as_gctx, token);
	if (GSS_ERROR(major))
		return (ag_fail_status(as, err, errlen,
		    "gss_export_sec_context", major, minor));
	as->as_gctx = GSS_C_NO_CONTEXT;
	as->as_state = AUTH_ST_DONE;
	return (0);
}

/* Safe in any state, and twice. */
void
auth_gss_free(struct auth_session *as)
{
	OM_uint32	 minor;

	if (as->as_gctx != GSS_C_NO_CONTEXT)
		(void)gss_delete_sec_context(&minor, &as->as_gctx,
		    GSS_C_NO_BUFFER);
	as->as_gctx = GSS_C_NO_CONTEXT;
	auth_cred_unref(as->as_cred);
	as->as_cred = NULL;
	if (as->as_ctx != NULL)
		auth_service_free(as->as_ctx, &as->as_svc);
	as->as_state = AUTH_ST_NEW;
}

/*
 * The relay's use of GSS-API: import the context authd exported, and
 * RFC 1961 section 5 per-message protection with it.  The level decides
 * conf_req_flag; an incoming token must carry the protection the level
 * promised, or the session ends.
 */

#include <sys/types.h>

#include <gssapi/gssapi.h>
#include <string.h>

#include "gsswarm.h"
#include "log.h"
#include "relayd.h"

/* The mechanism and its configuration are loaded before the chroot. */
void
relay_gss_warmup(void)
{
	OM_uint32	 minor;
	gss_OID_set	 mechs = GSS_C_NO_OID_SET;

	if (gss_indicate_mechs(&minor, &mechs) != GSS_S_COMPLETE)
		fatalx("%s: no GSS-API mechanisms", __func__);
	gss_release_oid_set(&minor, &mechs);
	gss_warmup();
}

static void
relay_gss_error(const char *what, OM_uint32 major, OM_uint32 minor,
    char *buf, size_t len)
{
	gss_buffer_desc	 msg;
	OM_uint32	 m, ctx = 0;
	size_t		 n;

	n = snprintf(buf, len, "%s: ", what);
	if (n >= len)
		return;
	if (gss_display_status(&m, major, GSS_C_GSS_CODE, GSS_C_NO_OID, &ctx,
	    &msg) == GSS_S_COMPLETE) {
		n += snprintf(buf + n, len - n, "%.*s", (int)msg.length,
		    (char *)msg.value);
		gss_release_buffer(&m, &msg);
	}
	ctx = 0;
	if (n < len && minor != 0 && gss_display_status(&m, minor,
	    GSS_C_MECH_CODE, GSS_C_NO_OID, &ctx, &msg) == GSS_S_COMPLETE) {
		(void)snprintf(buf + n, len - n, " (%.*s)", (int)msg.length,
		    (char *)msg.value);
		gss_release_buffer(&m, &msg);
	}
}

int
relay_gss_import(struct relay_session *rs, const void *tok, size_t len)
{
	gss_buffer_desc	 in;
	OM_uint32	 major, minor, max = 0;
	char		 err[256];

	in.value = (void *)tok;
	in.length = len;
	major = gss_import_sec_context(&minor, &in, &rs->rs_gctx);
	if (GSS_ERROR(major)) {
		relay_gss_error("gss_import_sec_context", major, minor, err,
		    sizeof(err));
		log_warnx("session %016llx: %s", (unsigned long long)rs->rs_sid,
		    err);
		return (-1);
	}
	if (rs->rs_level <= GSS_LEVEL_CLEAR)
		return (0);
	/* The largest plaintext that still fits one 65535-byte token. */
	major = gss_wrap_size_limit(&minor, rs->rs_gctx,
	    rs->rs_level == GSS_LEVEL_CONF, GSS_C_QOP_DEFAULT, GSSF_MAXTOKEN,
	    &max);
	if (GSS_ERROR(major) || max == 0) {
		relay_gss_error("gss_wrap_size_limit", major, minor, err,
		    sizeof(err));
		log_warnx("session %016llx: %s", (unsigned long long)rs->rs_sid,
		    err);
		return (-1);
	}
	rs->rs_maxplain = max;
	return (0);
}

int
relay_gss_wrap(struct relay_session *rs, const void *buf, size_t len,
    gss_buffer_t out)
{
	gss_buffer_desc	 in;
	OM_uint32	 major, minor;
	int		 conf = rs->rs_level == GSS_LEVEL_CONF, state = 0;
	char		 err[256];

	in.value = (void *)buf;
	in.length = len;
	major = gss_wrap(&minor, rs->rs_gctx, conf, GSS_C_QOP_DEFAULT, &in,
	    &state, out);
	if (GSS_ERROR(major) || (conf && !state) ||
	    out->length > GSSF_MAXTOKEN) {
		if (!GSS_ERROR(major) && out->length > GSSF_MAXTOKEN)
			(void)snprintf(err, sizeof(err), "gss_wrap: token of "
			    "%zu bytes is longer than an RFC 1961 frame",
			    out->length);
		else if (!GSS_ERROR(major))
			(void)snprintf(err, sizeof(err), "gss_wrap: no "
			    "confidentiality at level confidentiality");
		else
			relay_gss_error("gss_wrap", major, minor, err,
			    sizeof(err));
		log_warnx("session %016llx: %s", (unsigned long long)rs->rs_sid,
		    err);
		gss_release_buffer(&minor, out);
		return (-1);
	}
	return (0);
}

/*
 * Unwrap one token from the client.  At confidentiality a token that was
 * only integrity protected is refused: the client must not be able to
 * lower the level it agreed to.
 */
int
relay_gss_unwrap(struct relay_session *rs, const void *buf, size_t len,
    gss_buffer_t out)
{
	gss_buffer_desc	 in;
	OM_uint32	 major, minor;
	int		 state = 0;
	char		 err[256];

	in.value = (void *)buf;
	in.length = len;
	major = gss_unwrap(&minor, rs->rs_gctx, &in, out, &state, NULL);
	if (major != GSS_S_COMPLETE) {
		relay_gss_error("gss_unwrap", major, minor, err, sizeof(err));
		log_warnx("session %016llx: %s", (unsigned long long)rs->rs_sid,
		    err);
		gss_release_buffer(&minor, out);
		return (-1);
	}
	if (rs->rs_level == GSS_LEVEL_CONF && !state) {
		log_warnx("session %016llx: token without confidentiality at "
		    "level confidentiality", (unsigned long long)rs->rs_sid);
		gss_release_buffer(&minor, out);
		return (-1);
	}
	return (0);
}

void
relay_gss_free(struct relay_session *rs)
{
	OM_uint32	 minor;

	if (rs->rs_gctx != GSS_C_NO_CONTEXT)
		(void)gss_delete_sec_context(&minor, &rs->rs_gctx,
		    GSS_C_NO_BUFFER);
	rs->rs_gctx = GSS_C_NO_CONTEXT;
}

/*
 * A datagram's token: UDP may lose and reorder datagrams, so a gap or an
 * out-of-order token is taken; a duplicate or one too old (a replay) is
 * not.
 */
int
relay_gss_unwrap_dgram(struct relay_session *rs, const void *buf,
    size_t len, gss_buffer_t out)
{
	gss_buffer_desc	 in;
	OM_uint32	 major, minor;
	int		 state = 0;

	in.value = (void *)buf;
	in.length = len;
	major = gss_unwrap(&minor, rs->rs_gctx, &in, out, &state, NULL);
	if (GSS_ERROR(major) ||
	    (major & (GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN)) ||
	    (rs->rs_level == GSS_LEVEL_CONF && !state)) {
		gss_release_buffer(&minor, out);
		return (-1);
	}
	return (0);
}

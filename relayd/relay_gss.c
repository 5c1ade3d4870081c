/*
 * The relay's use of GSS-API: import the context authd exported, and
 * RFC 1961 section 5 per-message protection with it.  The level decides
 * conf_req_flag; an incoming token must carry the protection the level
 * promised, or the session ends.
 *
 * Per-message protection goes one of two ways, chosen per session when
 * the context is imported.  An RFC 4121 (CFX) context with an AES
 * enctype cfx.c implements has its token key taken from the library's
 * lucid export, and cfx.c makes and checks the tokens on libcrypto, at
 * the speed of the machine's AES and SHA instructions.  Every other
 * context, and every session when relayd runs with -G, stays on
 * gss_wrap() and gss_unwrap().  The debug log and relay_gss_protect()
 * say which.
 *
 * The lucid export gives the next sequence number to send, but for the
 * receiving side Heimdal reports the initiator's first sequence number,
 * which the protection subnegotiation in authd already used up.  So the
 * first token from the client is unwrapped by the library, whose replay
 * state came with the context, and the sequence number it carried (then
 * authenticated) starts ours.
 *
 * The fast path's output buffers are relay buffers (relay_buf.c), which
 * only relay_gss_release() may give back: they are not the library's,
 * and gss_release_buffer() must never see one.  Its errors are logged as
 * the library's are, "gss_wrap: ..." and "gss_unwrap: ...", with cfx.c's
 * reasons; which code protects a session is in its debug line.
 */

#include <sys/types.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <stdlib.h>
#include <string.h>

#include "cfx.h"
#include "gsswarm.h"
#include "log.h"
#include "relayd.h"

/* -G: every session on the GSS-API library, for comparison. */
int			 relay_gss_library;

static void	 relay_gss_cfx(struct relay_session *, OM_uint32);

/* The mechanism, its configuration and libcrypto, before the chroot. */
void
relay_gss_warmup(void)
{
	OM_uint32	 minor;
	gss_OID_set	 mechs = GSS_C_NO_OID_SET;

	if (gss_indicate_mechs(&minor, &mechs) != GSS_S_COMPLETE)
		fatalx("%s: no GSS-API mechanisms", __func__);
	gss_release_oid_set(&minor, &mechs);
	gss_warmup();
	if (!relay_gss_library && cfx_init() == -1) {
		log_warnx("%s: libcrypto lacks AES or SHA; per-message "
		    "protection by the GSS-API library only", __func__);
		relay_gss_library = 1;
	}
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
	if (!relay_gss_library)
		relay_gss_cfx(rs, max);
	return (0);
}

/*
 * The fast path for this session if the context is one cfx.c has been
 * proven against (tests/cfx): RFC 4121 with AES, and the same size limit
 * as the library's.  Anything else is logged and left to the library.
 */
static void
relay_gss_cfx(struct relay_session *rs, OM_uint32 libmax)
{
	gss_krb5_lucid_context_v1_t	*lc;
	gss_krb5_lucid_key_t		*key;
	void				*p = NULL;
	OM_uint32			 major, minor;
	const char			*why = NULL;
	int				 conf = rs->rs_level == GSS_LEVEL_CONF;

	major = gss_krb5_export_lucid_sec_context(&minor, &rs->rs_gctx, 1, &p);
	if (GSS_ERROR(major) || p == NULL) {
		why = "no lucid export of the context";
		goto done;
	}
	lc = p;
	key = lc->cfx_kd.have_acceptor_subkey ? &lc->cfx_kd.acceptor_subkey :
	    &lc->cfx_kd.ctx_key;
	if (lc->version != 1)
		why = "unknown lucid context version";
	else if (lc->protocol != 1)
		why = "not an RFC 4121 context";
	else if (!cfx_enctype_supported(key->type))
		why = "enctype not implemented here";
	else if ((rs->rs_cfx = cfx_new(key->type, key->data, key->length,
	    lc->initiate, lc->cfx_kd.have_acceptor_subkey,
	    lc->send_seq)) == NULL)
		why = "key or sequence number refused";
	else if (cfx_wrap_limit(rs->rs_cfx, conf, GSSF_MAXTOKEN) != libmax) {
		why = "token size limit differs from the library's";
		cfx_free(rs->rs_cfx);
		rs->rs_cfx = NULL;
	}
	if (rs->rs_cfx != NULL)
		log_debug("session %016llx: per-message protection by sockd's "
		    "RFC 4121 code (%s)", (unsigned long long)rs->rs_sid,
		    cfx_enctype_name(key->type));
	(void)gss_krb5_free_lucid_sec_context(&minor, p);
 done:
	if (rs->rs_cfx == NULL)
		log_debug("session %016llx: per-message protection by the "
		    "GSS-API library: %s", (unsigned long long)rs->rs_sid, why);
}

/* For the audit line: who protects this session's data. */
const char *
relay_gss_protect(const struct relay_session *rs)
{
	if (rs->rs_gctx == GSS_C_NO_CONTEXT || rs->rs_level <= GSS_LEVEL_CLEAR)
		return ("-");
	return (rs->rs_cfx != NULL ? cfx_name(rs->rs_cfx) : "gssapi");
}

/*
 * Gives back what relay_gss_wrap() or relay_gss_unwrap*() returned.  A
 * fast-path session's buffers all come from the pool (it copies even the
 * library's first unwrap there); others are the library's.
 */
void
relay_gss_release(struct relay_session *rs, gss_buffer_t buf)
{
	OM_uint32	 minor;

	if (rs->rs_cfx == NULL || buf->value == NULL) {
		(void)gss_release_buffer(&minor, buf);
		return;
	}
	relay_buf_put(buf->value);
	buf->value = NULL;
	buf->length = 0;
}

static int
relay_gss_cfx_wrap(struct relay_session *rs, const void *buf, size_t len,
    gss_buffer_t out)
{
	enum cfx_status	 st;
	size_t		 n;
	void		*p;

	if ((p = relay_buf_get()) == NULL)
		return (-1);
	st = cfx_wrap(rs->rs_cfx, rs->rs_level == GSS_LEVEL_CONF, buf, len,
	    p, GSSF_MAXTOKEN, &n);
	if (st != CFX_OK) {
		log_warnx("session %016llx: gss_wrap: %s",
		    (unsigned long long)rs->rs_sid, cfx_strerror(st));
		relay_buf_put(p);
		return (-1);
	}
	out->value = p;
	out->length = n;
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

	if (rs->rs_cfx != NULL)
		return (relay_gss_cfx_wrap(rs, buf, len, out));
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
static int
relay_gss_lib_unwrap(struct relay_session *rs, const void *buf, size_t len,
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

/*
 * A datagram's token: UDP may lose and reorder datagrams, so a gap or an
 * out-of-order token is taken; a duplicate or one too old (a replay) is
 * not.
 */
static int
relay_gss_lib_unwrap_dgram(struct relay_session *rs, const void *buf,
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

/*
 * The first token from the client on a fast-path session: the library
 * checks it, sequence number included, and that number starts cfx.c's
 * receiving side.  The plaintext moves to a pool buffer, so that all of
 * this session's buffers are alike.
 */
static int
relay_gss_cfx_first(struct relay_session *rs, const void *buf, size_t len,
    gss_buffer_t out, int dgram)
{
	gss_buffer_desc	 pt = GSS_C_EMPTY_BUFFER;
	OM_uint32	 minor;
	uint64_t	 seq;
	void		*p;
	int		 r;

	if (cfx_token_seq(buf, len, &seq) == -1) {
		if (!dgram)
			log_warnx("session %016llx: not an RFC 4121 Wrap "
			    "token", (unsigned long long)rs->rs_sid);
		return (-1);
	}
	r = dgram ? relay_gss_lib_unwrap_dgram(rs, buf, len, &pt) :
	    relay_gss_lib_unwrap(rs, buf, len, &pt);
	if (r == -1)
		return (-1);
	if (pt.length > RELAY_BUFSZ || (p = relay_buf_get()) == NULL) {
		gss_release_buffer(&minor, &pt);
		return (-1);
	}
	if (pt.length > 0)
		memcpy(p, pt.value, pt.length);
	out->value = p;
	out->length = pt.length;
	explicit_bzero(pt.value, pt.length);
	gss_release_buffer(&minor, &pt);
	cfx_recv_start(rs->rs_cfx, seq);
	return (0);
}

static int
relay_gss_cfx_unwrap(struct relay_session *rs, const void *buf, size_t len,
    gss_buffer_t out, int dgram)
{
	enum cfx_status	 st;
	size_t		 n;
	void		*p;
	int		 conf;

	if (!cfx_recv_started(rs->rs_cfx))
		return (relay_gss_cfx_first(rs, buf, len, out, dgram));
	if (cfx_unwrap_size(len) > RELAY_BUFSZ) {
		if (!dgram)
			log_warnx("session %016llx: token too large",
			    (unsigned long long)rs->rs_sid);
		return (-1);
	}
	if ((p = relay_buf_get()) == NULL)
		return (-1);
	st = cfx_unwrap(rs->rs_cfx, dgram, buf, len, p, RELAY_BUFSZ, &n,
	    &conf);
	if (st != CFX_OK || (rs->rs_level == GSS_LEVEL_CONF && !conf)) {
		if (!dgram)
			log_warnx("session %016llx: gss_unwrap: %s",
			    (unsigned long long)rs->rs_sid, st != CFX_OK ?
			    cfx_strerror(st) : "token without confidentiality "
			    "at level confidentiality");
		relay_buf_put(p);
		return (-1);
	}
	out->value = p;
	out->length = n;
	return (0);
}

int
relay_gss_unwrap(struct relay_session *rs, const void *buf, size_t len,
    gss_buffer_t out)
{
	if (rs->rs_cfx != NULL)
		return (relay_gss_cfx_unwrap(rs, buf, len, out, 0));
	return (relay_gss_lib_unwrap(rs, buf, len, out));
}

int
relay_gss_unwrap_dgram(struct relay_session *rs, const void *buf,
    size_t len, gss_buffer_t out)
{
	if (rs->rs_cfx != NULL)
		return (relay_gss_cfx_unwrap(rs, buf, len, out, 1));
	return (relay_gss_lib_unwrap_dgram(rs, buf, len, out));
}

void
relay_gss_free(struct relay_session *rs)
{
	OM_uint32	 minor;

	cfx_free(rs->rs_cfx);
	rs->rs_cfx = NULL;
	if (rs->rs_gctx != GSS_C_NO_CONTEXT)
		(void)gss_delete_sec_context(&minor, &rs->rs_gctx,
		    GSS_C_NO_BUFFER);
	rs->rs_gctx = GSS_C_NO_CONTEXT;
}

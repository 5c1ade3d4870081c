/*
 * GSS-API for the client: the security context (RFC 1961 section 3), the
 * protection level subnegotiation (section 4) and per-message protection
 * (section 5).  Only RFC 2744 calls, so that the same file builds against
 * Heimdal and MIT; the Kerberos OIDs are spelled out here for the same
 * reason.
 */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "gsocks.h"

#define SEC_REQFLAGS	(GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | \
			    GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG | \
			    GSS_C_CONF_FLAG)
/*
 * A UDP association's context carries datagrams, which may be lost or
 * reordered: replay detection without sequencing, RFC 2743's service for
 * datagrams.  With GSS_C_SEQUENCE_FLAG, Heimdal reports a gap before it
 * decrypts and returns no data with it, so one lost datagram would cost
 * the next one too, on both sides.
 */
#define SEC_REQFLAGS_DGRAM (SEC_REQFLAGS & ~GSS_C_SEQUENCE_FLAG)

/* Replayed, reordered or missing tokens are attacks, not hiccups. */
#define SEC_BADSUPP	(GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN | \
			    GSS_S_UNSEQ_TOKEN | GSS_S_GAP_TOKEN)
/*
 * On a datagram they are what UDP does: a lost or reordered datagram is
 * taken, only a replay is refused.
 */
#define SEC_BADSUPP_DGRAM (GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN)

/*
 * Kerberos error codes (the krb5 com_err table, the same numbers in
 * Heimdal and MIT) that the krb5 mechanism passes on as minor status.
 */
#define SEC_KRB5_ERR(n)		((OM_uint32)(-1765328384L + (n)))
#define SEC_S_PRINCIPAL_UNKNOWN	SEC_KRB5_ERR(7)
#define SEC_TKT_EXPIRED		SEC_KRB5_ERR(32)
#define SEC_CC_NOTFOUND		SEC_KRB5_ERR(141)
#define SEC_CC_END		SEC_KRB5_ERR(142)
#define SEC_FCC_NOFILE		SEC_KRB5_ERR(195)

/* 1.2.840.113554.1.2.2, the Kerberos 5 mechanism (RFC 1964). */
static gss_OID_desc sec_krb5_mech = {
	9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"
};
/* 1.2.840.113554.1.2.2.1, GSS_KRB5_NT_PRINCIPAL_NAME. */
static gss_OID_desc sec_krb5_nt_principal = {
	10, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x01"
};

static const char *sec_levelnames[] = {
	"clear", "integrity", "confidentiality"
};

static void	sec_status(OM_uint32, int, char *, size_t);
static const char *sec_statusstr(OM_uint32, OM_uint32, char *, size_t);
static void	sec_fail(struct gs_session *, int, const char *, OM_uint32,
		    OM_uint32);
static void	sec_initfail(struct gs_session *, OM_uint32, OM_uint32);
static int	sec_established(struct gs_session *);
static int	sec_level_choose(struct gs_session *);
static int	sec_level_check(struct gs_session *, unsigned int);
static const char *sec_name(gss_name_t, char *, size_t);
static const char *sec_target(struct gs_session *, char *, size_t);

const char *
sec_levelname(int level)
{
	if (level < 0 || level > GS_LEVEL_CONF)
		return ("unknown");
	return (sec_levelnames[level]);
}

int
sec_levelbyname(const char *name)
{
	int	i;

	for (i = 0; i <= GS_LEVEL_CONF; i++)
		if (strcmp(name, sec_levelnames[i]) == 0)
			return (i);
	return (-1);
}

/*
 * Append one message of gss_display_status to buf, trimmed.  The text can
 * carry a KRB-ERROR's e-text, which the proxy chose: nothing but
 * printable ASCII reaches the terminal.
 */
static size_t
sec_status_add(char *buf, size_t len, size_t n, const gss_buffer_desc *msg)
{
	const unsigned char	*p = msg->value;
	size_t			 l = msg->length, i;

	while (l > 0 && isspace(*p)) {
		p++;
		l--;
	}
	/* Heimdal's way of saying it has nothing to say. */
	if (l == 0 || (l > 17 && memcmp(p, "unknown mech-code", 17) == 0))
		return (n);
	if (n > 0 && n + 2 < len) {
		memcpy(buf + n, "; ", 2);
		n += 2;
	}
	for (i = 0; i < l && n + 1 < len; i++)
		buf[n++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	buf[n] = '\0';
	return (n);
}

/* Every message gss_display_status has for one status code. */
static void
sec_status(OM_uint32 code, int type, char *buf, size_t len)
{
	gss_buffer_desc	msg;
	OM_uint32	maj, min, ctx = 0;
	size_t		n = 0;

	buf[0] = '\0';
	do {
		maj = gss_display_status(&min, code, type, GSS_C_NO_OID, &ctx,
		    &msg);
		if (GSS_ERROR(maj))
			break;
		if (n < len - 1)
			n = sec_status_add(buf, len, n, &msg);
		(void)gss_release_buffer(&min, &msg);
	} while (ctx != 0);
}

/* "major text (minor text)", the minor part left out when empty. */
static const char *
sec_statusstr(OM_uint32 maj, OM_uint32 min, char *buf, size_t len)
{
	char	majs[512], mins[512];

	sec_status(maj, GSS_C_GSS_CODE, majs, sizeof(majs));
	sec_status(min, GSS_C_MECH_CODE, mins, sizeof(mins));
	if (mins[0] == '\0')
		(void)snprintf(buf, len, "%s", majs);
	else
		(void)snprintf(buf, len, "%s (%s)", majs, mins);
	return (buf);
}

/* A GSS-API call failed: say which and why, then end the session. */
static void
sec_fail(struct gs_session *s, int status, const char *what, OM_uint32 maj,
    OM_uint32 min)
{
	char	msg[1100];

	log_debug("%s: major status %#x, minor status %u", what, maj, min);
	engine_fail(s, status, "%s: %s", what, sec_statusstr(maj, min, msg,
	    sizeof(msg)));
}

static const char *
sec_name(gss_name_t name, char *buf, size_t len)
{
	gss_buffer_desc	b;
	OM_uint32	min;

	if (GSS_ERROR(gss_display_name(&min, name, &b, NULL))) {
		(void)strlcpy(buf, "?", len);
		return (buf);
	}
	(void)snprintf(buf, len, "%.*s", (int)b.length, (char *)b.value);
	(void)gss_release_buffer(&min, &b);
	return (buf);
}

/* The proxy's name as the Kerberos principal it maps to, if it can. */
static const char *
sec_target(struct gs_session *s, char *buf, size_t len)
{
	gss_name_t	mn = GSS_C_NO_NAME;
	OM_uint32	min;
	size_t		l;

	if (GSS_ERROR(gss_canonicalize_name(&min, s->s_target,
	    &sec_krb5_mech, &mn)))
		return (sec_name(s->s_target, buf, len));
	sec_name(mn, buf, len);
	(void)gss_release_name(&min, &mn);
	/* MIT leaves the realm empty until the KDC refers it to one. */
	l = strlen(buf);
	if (l > 1 && buf[l - 1] == '@')
		buf[l - 1] = '\0';
	return (buf);
}

/*
 * The proxy's name: service@host as a host-based service name, or, when
 * the service has '/' or '@' in it, a whole Kerberos principal name.
 */
int
sec_begin(struct gs_session *s)
{
	const struct gs_conf	*conf = s->s_conf;
	gss_buffer_desc		 b;
	gss_OID			 type;
	OM_uint32		 maj, min;
	char			 name[NI_MAXHOST + 256];
	int			 n;

	if (strpbrk(conf->gc_service, "/@") != NULL) {
		n = snprintf(name, sizeof(name), "%s", conf->gc_service);
		type = &sec_krb5_nt_principal;
	} else {
		n = snprintf(name, sizeof(name), "%s@%s", conf->gc_service,
		    conf->gc_proxyhost);
		type = GSS_C_NT_HOSTBASED_SERVICE;
	}
	if (n < 0 || (size_t)n >= sizeof(name)) {
		engine_fail(s, GS_EXIT_LOCAL, "service name too long");
		return (-1);
	}
	b.value = name;
	b.length = n;
	maj = gss_import_name(&min, &b, type, &s->s_target);
	if (GSS_ERROR(maj)) {
		sec_fail(s, GS_EXIT_LOCAL, "invalid service name", maj, min);
		return (-1);
	}
	log_debug("authenticating to %s", name);
	return (0);
}

/*
 * One call of gss_init_sec_context with the server's token (none the
 * first time); our token, if any, goes out as mtyp 1.  Returns 0 while
 * the server has more to say, 1 once the context is established.
 */
int
sec_step(struct gs_session *s, const uint8_t *tok, size_t len)
{
	gss_buffer_desc	 in, out = GSS_C_EMPTY_BUFFER;
	OM_uint32	 maj, min, rmin, flags = SEC_REQFLAGS;
	int		 r = 0;

	if (s->s_cmd == SOCKS_CMD_UDPASSOCIATE)
		flags = SEC_REQFLAGS_DGRAM;
	in.value = (void *)tok;
	in.length = len;
	maj = gss_init_sec_context(&min, GSS_C_NO_CREDENTIAL, &s->s_ctx,
	    s->s_target, &sec_krb5_mech, flags, 0,
	    GSS_C_NO_CHANNEL_BINDINGS, tok == NULL ? GSS_C_NO_BUFFER : &in,
	    NULL, &out, &s->s_flags, NULL);
	if (GSS_ERROR(maj)) {
		(void)gss_release_buffer(&rmin, &out);
		sec_initfail(s, maj, min);
		return (-1);
	}
	if (out.length > 0)
		r = engine_send_frame(s, GSSF_MTYP_AUTH, out.value,
		    out.length);
	(void)gss_release_buffer(&rmin, &out);
	if (r == -1)
		return (-1);
	if (maj & GSS_S_CONTINUE_NEEDED)
		return (0);
	return (sec_established(s));
}

/*
 * MIT says GSS_S_NO_CRED; Heimdal says GSS_S_FAILURE with the errno of
 * the credentials cache file it could not find, "get-principal lstat()".
 */
static int
sec_nocred(OM_uint32 maj, OM_uint32 min, const char *mins)
{
	return (GSS_ROUTINE_ERROR(maj) == GSS_S_NO_CRED ||
	    min == SEC_FCC_NOFILE || min == SEC_CC_NOTFOUND ||
	    min == SEC_CC_END || min == ENOENT ||
	    strcasestr(mins, "get-principal") != NULL ||
	    strcasestr(mins, "No credentials cache") != NULL ||
	    strcasestr(mins, "No Kerberos credentials") != NULL);
}

/*
 * MIT says KRB5KRB_AP_ERR_TKT_EXPIRED.  Heimdal skips expired tickets
 * when it searches the cache, so an expired TGT in a cache that exists
 * comes out as "Matching credential not found (krbtgt/...)".
 */
static int
sec_expired(OM_uint32 maj, OM_uint32 min, const char *mins)
{
	return (GSS_ROUTINE_ERROR(maj) == GSS_S_CREDENTIALS_EXPIRED ||
	    min == SEC_TKT_EXPIRED || strcasestr(mins, "expired") != NULL ||
	    (min == SEC_CC_NOTFOUND &&
	    strstr(mins, "Matching credential not found (krbtgt/") != NULL));
}

static int
sec_unknown(OM_uint32 min, const char *mins)
{
	return (min == SEC_S_PRINCIPAL_UNKNOWN ||
	    strcasestr(mins, "not found in Kerberos database") != NULL);
}

/* Turn the common failures into what the user should do about them. */
static void
sec_initfail(struct gs_session *s, OM_uint32 maj, OM_uint32 min)
{
	char	mins[512], msg[1100], target[512];

	sec_status(min, GSS_C_MECH_CODE, mins, sizeof(mins));
	sec_statusstr(maj, min, msg, sizeof(msg));
	log_debug("gss_init_sec_context: %s; major status %#x, minor "
	    "status %u", msg, maj, min);
	if (sec_expired(maj, min, mins))
		engine_fail(s, GS_EXIT_AUTH, "your Kerberos ticket has "
		    "expired: run kinit");
	else if (sec_nocred(maj, min, mins))
		engine_fail(s, GS_EXIT_AUTH, "no Kerberos ticket: run kinit");
	else if (sec_unknown(min, mins))
		engine_fail(s, GS_EXIT_AUTH, "the Kerberos KDC does not know "
		    "the proxy's principal %s: check -s and the proxy's host "
		    "name", sec_target(s, target, sizeof(target)));
	else
		engine_fail(s, GS_EXIT_AUTH, "GSS-API authentication to %s "
		    "failed: %s", sec_target(s, target, sizeof(target)), msg);
}

static int
sec_established(struct gs_session *s)
{
	gss_name_t	src = GSS_C_NO_NAME;
	OM_uint32	maj, min;
	char		a[512], b[512];

	/* Without it, anyone could play the proxy. */
	if (!(s->s_flags & GSS_C_MUTUAL_FLAG)) {
		engine_fail(s, GS_EXIT_AUTH, "the proxy did not authenticate "
		    "itself (no mutual authentication)");
		return (-1);
	}
	maj = gss_inquire_context(&min, s->s_ctx, &src, NULL, NULL, NULL,
	    NULL, NULL, NULL);
	if (!GSS_ERROR(maj)) {
		log_debug("authenticated as %s to %s", sec_name(src, a,
		    sizeof(a)), sec_target(s, b, sizeof(b)));
		(void)gss_release_name(&min, &src);
	}
	return (1);
}

/* The level to ask for: the one wanted, or less if the context lacks it. */
static int
sec_level_choose(struct gs_session *s)
{
	const struct gs_conf	*conf = s->s_conf;
	int			 level = conf->gc_level;

	if (level == GS_LEVEL_CONF && !(s->s_flags & GSS_C_CONF_FLAG))
		level = GS_LEVEL_INTEGRITY;
	if (level == GS_LEVEL_INTEGRITY && !(s->s_flags & GSS_C_INTEG_FLAG))
		level = GS_LEVEL_CLEAR;
	if (level < conf->gc_minlevel) {
		engine_abort(s);
		engine_fail(s, GS_EXIT_LEVEL, "the GSS-API context cannot "
		    "give protection level %s", sec_levelname(conf->gc_level));
		return (-1);
	}
	if (level != conf->gc_level)
		log_debug("the GSS-API context cannot give %s; asking for %s",
		    sec_levelname(conf->gc_level), sec_levelname(level));
	return (level);
}

/*
 * Send the level octet as mtyp 2: gss_wrap'ed for integrity only, as RFC
 * 1961 says, or raw in NEC's variant.
 */
int
sec_level_send(struct gs_session *s)
{
	gss_buffer_desc	 in, out;
	OM_uint32	 maj, min;
	uint8_t		 octet;
	int		 level, r;

	if ((level = sec_level_choose(s)) == -1)
		return (-1);
	s->s_reqlevel = level;
	octet = level;
	log_debug("asking for protection level %s", sec_levelname(level));
	if (s->s_conf->gc_nec)
		return (engine_send_frame(s, GSSF_MTYP_PROTECT, &octet, 1));

	in.value = &octet;
	in.length = 1;
	maj = gss_wrap(&min, s->s_ctx, 0, GSS_C_QOP_DEFAULT, &in, NULL, &out);
	if (GSS_ERROR(maj)) {
		sec_fail(s, GS_EXIT_LOCAL, "gss_wrap", maj, min);
		return (-1);
	}
	r = engine_send_frame(s, GSSF_MTYP_PROTECT, out.value, out.length);
	(void)gss_release_buffer(&min, &out);
	return (r);
}

/* Is the level the server granted one we take? */
static int
sec_level_check(struct gs_session *s, unsigned int level)
{
	const struct gs_conf	*conf = s->s_conf;

	if (level > GS_LEVEL_CONF) {
		engine_abort(s);
		engine_fail(s, GS_EXIT_LEVEL, "the server chose protection "
		    "level %u, which gsocks does not support", level);
		return (-1);
	}
	if ((int)level < conf->gc_minlevel) {
		engine_abort(s);
		engine_fail(s, GS_EXIT_LEVEL, "the server granted protection "
		    "level %s, below the minimum %s (see -m)",
		    sec_levelname(level), sec_levelname(conf->gc_minlevel));
		return (-1);
	}
	if ((level == GS_LEVEL_CONF && !(s->s_flags & GSS_C_CONF_FLAG)) ||
	    (level >= GS_LEVEL_INTEGRITY &&
	    !(s->s_flags & GSS_C_INTEG_FLAG))) {
		engine_abort(s);
		engine_fail(s, GS_EXIT_LEVEL, "the server chose protection "
		    "level %s, which the GSS-API context cannot give",
		    sec_levelname(level));
		return (-1);
	}
	return (0);
}

int
sec_level_recv(struct gs_session *s, const uint8_t *tok, size_t len)
{
	gss_buffer_desc	 in, out;
	OM_uint32	 maj, min;
	size_t		 olen;
	unsigned int	 level;

	if (s->s_conf->gc_nec) {
		if (len != 1) {
			engine_fail(s, GS_EXIT_IO, "the server's protection "
			    "level message has %zu bytes, not the 1 of NEC's "
			    "variant", len);
			return (-1);
		}
		level = tok[0];
	} else {
		in.value = (void *)tok;
		in.length = len;
		maj = gss_unwrap(&min, s->s_ctx, &in, &out, NULL, NULL);
		if (GSS_ERROR(maj) || (maj & SEC_BADSUPP)) {
			sec_fail(s, GS_EXIT_IO, "the server's protection "
			    "level message does not verify (a NEC-style "
			    "server? see -N)", maj, min);
			return (-1);
		}
		olen = out.length;
		level = olen == 1 ? ((uint8_t *)out.value)[0] : 0;
		(void)gss_release_buffer(&min, &out);
		if (olen != 1) {
			engine_fail(s, GS_EXIT_IO, "the server's protection "
			    "level message holds %zu bytes, not 1", olen);
			return (-1);
		}
	}
	if (sec_level_check(s, level) == -1)
		return (-1);
	s->s_level = level;
	s->s_wrapped = level != GS_LEVEL_CLEAR;
	log_debug("protection level %s", sec_levelname(level));
	return (0);
}

int
sec_wrap(struct gs_session *s, const uint8_t *data, size_t len,
    uint8_t *tok, size_t toksize, size_t *toklen)
{
	gss_buffer_desc	 in, out;
	OM_uint32	 maj, min;
	int		 conf = s->s_level == GS_LEVEL_CONF, conf_state = 0;

	in.value = (void *)data;
	in.length = len;
	maj = gss_wrap(&min, s->s_ctx, conf, GSS_C_QOP_DEFAULT, &in,
	    &conf_state, &out);
	if (GSS_ERROR(maj)) {
		sec_fail(s, GS_EXIT_LOCAL, "gss_wrap", maj, min);
		return (-1);
	}
	if ((conf && !conf_state) || out.length > toksize) {
		(void)gss_release_buffer(&min, &out);
		engine_fail(s, GS_EXIT_LOCAL, "gss_wrap gave %s",
		    conf && !conf_state ? "no confidentiality" :
		    "a token too large for RFC 1961");
		return (-1);
	}
	memcpy(tok, out.value, out.length);
	*toklen = out.length;
	(void)gss_release_buffer(&min, &out);
	return (0);
}

int
sec_unwrap(struct gs_session *s, const uint8_t *tok, size_t len,
    uint8_t *data, size_t datasize, size_t *datalen)
{
	gss_buffer_desc	 in, out;
	OM_uint32	 maj, min;
	int		 conf_state = 0;

	in.value = (void *)tok;
	in.length = len;
	maj = gss_unwrap(&min, s->s_ctx, &in, &out, &conf_state, NULL);
	if (GSS_ERROR(maj) || (maj & SEC_BADSUPP)) {
		sec_fail(s, GS_EXIT_IO, "data from the proxy does not verify",
		    maj, min);
		return (-1);
	}
	if (s->s_level == GS_LEVEL_CONF && !conf_state) {
		(void)gss_release_buffer(&min, &out);
		engine_fail(s, GS_EXIT_IO, "the proxy sent data without "
		    "confidentiality at protection level confidentiality");
		return (-1);
	}
	if (out.length > datasize) {
		(void)gss_release_buffer(&min, &out);
		engine_fail(s, GS_EXIT_IO, "a message from the proxy is too "
		    "long (%zu bytes)", (size_t)out.length);
		return (-1);
	}
	memcpy(data, out.value, out.length);
	*datalen = out.length;
	(void)gss_release_buffer(&min, &out);
	return (0);
}

/* The largest plaintext whose token fits one RFC 1961 message. */
int
sec_maxplain(struct gs_session *s)
{
	OM_uint32	maj, min, max = 0;

	maj = gss_wrap_size_limit(&min, s->s_ctx,
	    s->s_level == GS_LEVEL_CONF, GSS_C_QOP_DEFAULT, GSSF_MAXTOKEN,
	    &max);
	if (GSS_ERROR(maj)) {
		sec_fail(s, GS_EXIT_LOCAL, "gss_wrap_size_limit", maj, min);
		return (-1);
	}
	if (max == 0) {
		engine_fail(s, GS_EXIT_LOCAL, "gss_wrap_size_limit allows "
		    "no data");
		return (-1);
	}
	s->s_maxplain = max < GSSF_MAXTOKEN ? max : GSSF_MAXTOKEN;
	log_debug("up to %zu bytes of data per message", s->s_maxplain);
	return (0);
}

/*
 * One datagram into one token at the session's level.  Nothing here ends
 * the session: a datagram that cannot be wrapped is dropped, and *why
 * says why.  The token is the caller's to release.
 */
int
sec_wrap_dgram(struct gs_session *s, const uint8_t *data, size_t len,
    gss_buffer_t out, const char **why)
{
	gss_buffer_desc	 in;
	OM_uint32	 maj, min;
	int		 conf = s->s_level == GS_LEVEL_CONF, conf_state = 0;

	in.value = (void *)data;
	in.length = len;
	maj = gss_wrap(&min, s->s_ctx, conf, GSS_C_QOP_DEFAULT, &in,
	    &conf_state, out);
	if (GSS_ERROR(maj)) {
		*why = "gss_wrap failed";
		return (-1);
	}
	if (conf && !conf_state) {
		(void)gss_release_buffer(&min, out);
		*why = "gss_wrap gave no confidentiality";
		return (-1);
	}
	return (0);
}

/*
 * One token of a datagram from the proxy.  Gaps and reordering are
 * accepted; a duplicate or a token older than the library remembers (a
 * replay) is not, nor is one that does not verify.  The context has no
 * sequencing (SEC_REQFLAGS_DGRAM), so gaps are not even reported; should
 * a library report one anyway without the data, as Heimdal does under
 * sequencing, that datagram is lost, as UDP may lose any.
 */
int
sec_unwrap_dgram(struct gs_session *s, const uint8_t *tok, size_t len,
    gss_buffer_t out, const char **why)
{
	gss_buffer_desc	 in;
	OM_uint32	 maj, min;
	int		 conf_state = 0;

	in.value = (void *)tok;
	in.length = len;
	out->value = NULL;
	out->length = 0;
	maj = gss_unwrap(&min, s->s_ctx, &in, out, &conf_state, NULL);
	if (GSS_ERROR(maj) || (maj & SEC_BADSUPP_DGRAM)) {
		(void)gss_release_buffer(&min, out);
		*why = GSS_ERROR(maj) ? "gss_unwrap failed: the token does "
		    "not verify" : "a replayed token";
		return (-1);
	}
	if ((maj & (GSS_S_GAP_TOKEN | GSS_S_UNSEQ_TOKEN)) &&
	    out->value == NULL) {
		*why = "out of sequence, and gss_unwrap returned no data";
		return (-1);
	}
	if (s->s_level == GS_LEVEL_CONF && !conf_state) {
		(void)gss_release_buffer(&min, out);
		*why = "a token without confidentiality at level "
		    "confidentiality";
		return (-1);
	}
	return (0);
}

/* The largest datagram whose token is at most maxtok bytes. */
int
sec_maxplain_dgram(struct gs_session *s, size_t maxtok, size_t *max)
{
	OM_uint32	maj, min, m = 0;

	maj = gss_wrap_size_limit(&min, s->s_ctx,
	    s->s_level == GS_LEVEL_CONF, GSS_C_QOP_DEFAULT, maxtok, &m);
	if (GSS_ERROR(maj) || m == 0) {
		sec_fail(s, GS_EXIT_LOCAL, "gss_wrap_size_limit", maj, min);
		return (-1);
	}
	*max = m;
	return (0);
}

void
sec_end(struct gs_session *s)
{
	OM_uint32	min;

	if (s->s_ctx != GSS_C_NO_CONTEXT)
		(void)gss_delete_sec_context(&min, &s->s_ctx,
		    GSS_C_NO_BUFFER);
	if (s->s_target != GSS_C_NO_NAME)
		(void)gss_release_name(&min, &s->s_target);
}

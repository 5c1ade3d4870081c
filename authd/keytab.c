/*
 * Keytab bytes to an in-memory keytab, and the service principals a rule
 * accepts.
 *
 * authd never opens the keytab file: the parent reads its bytes and sends
 * them, and this parser turns them into a MEMORY: keytab.  The parser is
 * our own rather than Heimdal's FILE: code (which needs a file and trusts
 * lengths it reads) so that every length is checked against what is left
 * of the entry and of the buffer, and a damaged file is refused with the
 * offset of the damage.
 *
 * The file format (Heimdal lib/krb5/keytab_file.c, MIT's ktf_*): the
 * octet 5, a version octet (1 or 2), then entries, each a signed 32-bit
 * size and that many bytes.  A negative size is a hole of that many
 * bytes, left by a removed entry; a zero size ends the list (MIT stops
 * there; a zero-filled tail is what a crash leaves).  An entry is:
 *
 *	int16	number of components (version 1: counts the realm too)
 *	counted	realm (uint16 length, bytes)
 *	counted	components
 *	int32	name type (version 2 only)
 *	uint32	timestamp
 *	uint8	key version
 *	int16	enctype
 *	counted	key
 *	uint32	key version, optional; overrides the 8-bit one unless 0
 *	...	anything else up to the size is skipped (Heimdal: flags)
 *
 * Version 2 integers are big-endian; version 1 ones are in the byte order
 * of the host that wrote the file, which we take to be ours, as Heimdal
 * and MIT do.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <krb5.h>

#include "config.h"
#include "auth.h"

#define KT_MAGIC	0x05
#define KT_V1		0x01
#define KT_V2		0x02
#define KT_MAXCOMP	16	/* components of a principal; services use 2 */

struct ktparse {
	const uint8_t	*kp_buf;
	size_t		 kp_len;	/* of the whole buffer */
	size_t		 kp_off;	/* next byte to read */
	size_t		 kp_end;	/* end of the current entry */
	size_t		 kp_entry;	/* offset of the current entry */
	int		 kp_version;
	int		 kp_swap;	/* little-endian integers */
	const char	*kp_name;
	char		*kp_err;
	size_t		 kp_errlen;
};

/* One entry as parsed: pointers into the buffer, nothing allocated. */
struct ktentry {
	const uint8_t	*ke_realm;
	size_t		 ke_realmlen;
	const uint8_t	*ke_comp[KT_MAXCOMP];
	size_t		 ke_complen[KT_MAXCOMP];
	int		 ke_ncomp;
	int32_t		 ke_nametype;
	uint32_t	 ke_timestamp;
	uint32_t	 ke_kvno;
	int32_t		 ke_enctype;
	const uint8_t	*ke_key;
	size_t		 ke_keylen;
};

static unsigned int	 kt_serial;

static int	 kt_host_le(void);
static int	 kt_fail(struct ktparse *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static int	 kt_bytes(struct ktparse *, size_t, const uint8_t **,
		    const char *);
static int	 kt_u16(struct ktparse *, uint16_t *, const char *);
static int	 kt_u32(struct ktparse *, uint32_t *, const char *);
static int	 kt_counted(struct ktparse *, const uint8_t **, size_t *,
		    const char *);
static int	 kt_entry(struct ktparse *, struct ktentry *);
static int	 kt_walk(struct ktparse *, krb5_context, krb5_keytab, int,
		    int *, int *);
static int	 kt_add(struct ktparse *, krb5_context, krb5_keytab,
		    const struct ktentry *);
static int	 kt_principal(krb5_context, const struct ktentry *,
		    krb5_principal *);
static char	*kt_strdup(const uint8_t *, size_t);

static int
kt_host_le(void)
{
	uint16_t	 one = 1;

	return (*(uint8_t *)&one == 1);
}

static int
kt_fail(struct ktparse *kp, const char *fmt, ...)
{
	char		 msg[256];
	va_list		 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)snprintf(kp->kp_err, kp->kp_errlen, "keytab %s: %s",
	    kp->kp_name, msg);
	return (-1);
}

/* Take n bytes of the current entry; what names the field for errors. */
static int
kt_bytes(struct ktparse *kp, size_t n, const uint8_t **p, const char *what)
{
	if (n > kp->kp_end - kp->kp_off)
		return (kt_fail(kp, "truncated entry at offset %zu: %s "
		    "at offset %zu needs %zu bytes, the entry has %zu left",
		    kp->kp_entry, what, kp->kp_off, n,
		    kp->kp_end - kp->kp_off));
	*p = kp->kp_buf + kp->kp_off;
	kp->kp_off += n;
	return (0);
}

static int
kt_u16(struct ktparse *kp, uint16_t *v, const char *what)
{
	const uint8_t	*p = NULL;

	if (kt_bytes(kp, 2, &p, what) == -1)
		return (-1);
	if (kp->kp_swap)
		*v = (uint16_t)p[0] | (uint16_t)p[1] << 8;
	else
		*v = (uint16_t)p[0] << 8 | (uint16_t)p[1];
	return (0);
}

static int
kt_u32(struct ktparse *kp, uint32_t *v, const char *what)
{
	const uint8_t	*p = NULL;

	if (kt_bytes(kp, 4, &p, what) == -1)
		return (-1);
	if (kp->kp_swap)
		*v = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	else
		*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | (uint32_t)p[3];
	return (0);
}

/* A string of a principal: NUL bytes would cut it short in C, refuse. */
static int
kt_counted(struct ktparse *kp, const uint8_t **p, size_t *len,
    const char *what)
{
	uint16_t	 n;

	if (kt_u16(kp, &n, what) == -1 || kt_bytes(kp, n, p, what) == -1)
		return (-1);
	if (memchr(*p, '\0', n) != NULL)
		return (kt_fail(kp, "entry at offset %zu: %s contains a NUL "
		    "byte", kp->kp_entry, what));
	*len = n;
	return (0);
}

static int
kt_entry(struct ktparse *kp, struct ktentry *ke)
{
	const uint8_t	*p = NULL;
	uint16_t	 n;
	uint32_t	 v;
	int		 i, ncomp;

	memset(ke, 0, sizeof(*ke));
	if (kt_u16(kp, &n, "component count") == -1)
		return (-1);
	ncomp = (int16_t)n;
	if (kp->kp_version == KT_V1)
		ncomp--;
	if (ncomp < 1 || ncomp > KT_MAXCOMP)
		return (kt_fail(kp, "entry at offset %zu: bad component "
		    "count %d", kp->kp_entry, ncomp));
	ke->ke_ncomp = ncomp;
	if (kt_counted(kp, &ke->ke_realm, &ke->ke_realmlen, "realm") == -1)
		return (-1);
	if (ke->ke_realmlen == 0)
		return (kt_fail(kp, "entry at offset %zu: empty realm",
		    kp->kp_entry));
	for (i = 0; i < ncomp; i++)
		if (kt_counted(kp, &ke->ke_comp[i], &ke->ke_complen[i],
		    "principal component") == -1)
			return (-1);
	ke->ke_nametype = KRB5_NT_UNKNOWN;
	if (kp->kp_version == KT_V2) {
		if (kt_u32(kp, &v, "name type") == -1)
			return (-1);
		ke->ke_nametype = (int32_t)v;
	}
	if (kt_u32(kp, &ke->ke_timestamp, "timestamp") == -1 ||
	    kt_bytes(kp, 1, &p, "key version") == -1)
		return (-1);
	ke->ke_kvno = p[0];
	if (kt_u16(kp, &n, "enctype") == -1)
		return (-1);
	ke->ke_enctype = (int16_t)n;
	if (kt_u16(kp, &n, "key length") == -1 ||
	    kt_bytes(kp, n, &ke->ke_key, "key") == -1)
		return (-1);
	if (n == 0)
		return (kt_fail(kp, "entry at offset %zu: empty key",
		    kp->kp_entry));
	ke->ke_keylen = n;
	if (kp->kp_end - kp->kp_off >= 4) {
		if (kt_u32(kp, &v, "32-bit key version") == -1)
			return (-1);
		if (v != 0)
			ke->ke_kvno = v;
	}
	return (0);
}

/*
 * One pass over the entries.  The first pass (kt == NULL) only checks
 * and counts, so that nothing is added from a file that turns out to be
 * damaged further on, and so that we know whether strong keys exist
 * before deciding what to do with weak ones.
 */
static int
kt_walk(struct ktparse *kp, krb5_context ctx, krb5_keytab kt, int skipweak,
    int *nstrong, int *nweak)
{
	struct ktentry	 ke;
	uint32_t	 u;
	int32_t		 size;
	int64_t		 hole;

	*nstrong = *nweak = 0;
	kp->kp_off = 2;
	while (kp->kp_off < kp->kp_len) {
		kp->kp_entry = kp->kp_off;
		kp->kp_end = kp->kp_len;
		if (kt_u32(kp, &u, "entry size") == -1)
			return (-1);
		size = (int32_t)u;
		if (size == 0)
			break;
		if (size < 0) {
			hole = -(int64_t)size;
			if ((uint64_t)hole > kp->kp_len - kp->kp_off)
				return (kt_fail(kp, "hole at offset %zu "
				    "(%lld bytes) runs past the end (%zu)",
				    kp->kp_entry, (long long)hole,
				    kp->kp_len));
			kp->kp_off += (size_t)hole;
			continue;
		}
		if ((size_t)size > kp->kp_len - kp->kp_off)
			return (kt_fail(kp, "truncated entry at offset %zu: "
			    "size %d, only %zu bytes left", kp->kp_entry,
			    size, kp->kp_len - kp->kp_off));
		kp->kp_end = kp->kp_off + (size_t)size;
		if (kt_entry(kp, &ke) == -1)
			return (-1);
		if (auth_enctype_weak(ke.ke_enctype))
			(*nweak)++;
		else
			(*nstrong)++;
		if (kt != NULL &&
		    !(skipweak && auth_enctype_weak(ke.ke_enctype)) &&
		    kt_add(kp, ctx, kt, &ke) == -1)
			return (-1);
		kp->kp_off = kp->kp_end;
	}
	return (0);
}

static char *
kt_strdup(const uint8_t *p, size_t len)
{
	char	*s;

	if ((s = malloc(len + 1)) == NULL)
		return (NULL);
	memcpy(s, p, len);
	s[len] = '\0';
	return (s);
}

static int
kt_principal(krb5_context ctx, const struct ktentry *ke, krb5_principal *pp)
{
	krb5_principal	 p = NULL;
	char		*s = NULL;
	int		 i, ret;

	if ((s = kt_strdup(ke->ke_realm, ke->ke_realmlen)) == NULL)
		return (ENOMEM);
	ret = krb5_build_principal(ctx, &p, strlen(s), s, NULL);
	free(s);
	for (i = 0; ret == 0 && i < ke->ke_ncomp; i++) {
		if ((s = kt_strdup(ke->ke_comp[i], ke->ke_complen[i])) == NULL)
			ret = ENOMEM;
		else
			ret = krb5_principal_set_comp_string(ctx, p, i, s);
		free(s);
	}
	if (ret != 0) {
		if (p != NULL)
			krb5_free_principal(ctx, p);
		return (ret);
	}
	krb5_principal_set_type(ctx, p, ke->ke_nametype);
	*pp = p;
	return (0);
}

/*
 * krb5_kt_add_entry() copies the entry into the MEMORY: keytab, so the
 * key copy made here lives only for the call and is wiped after it.
 * (Heimdal's krb5_kt_add_entry() also replaces the file's timestamp with
 * the time of the call; nothing uses it.)
 */
static int
kt_add(struct ktparse *kp, krb5_context ctx, krb5_keytab kt,
    const struct ktentry *ke)
{
	krb5_keytab_entry	 e;
	const char		*msg;
	uint8_t			*key;
	int			 ret;

	memset(&e, 0, sizeof(e));
	if ((ret = kt_principal(ctx, ke, &e.principal)) != 0)
		return (kt_fail(kp, "entry at offset %zu: principal: %s",
		    kp->kp_entry, strerror(ret)));
	if ((key = malloc(ke->ke_keylen)) == NULL) {
		krb5_free_principal(ctx, e.principal);
		return (kt_fail(kp, "%s", strerror(errno)));
	}
	memcpy(key, ke->ke_key, ke->ke_keylen);
	e.vno = ke->ke_kvno;
	e.timestamp = ke->ke_timestamp;
	e.keyblock.keytype = ke->ke_enctype;
	e.keyblock.keyvalue.data = key;
	e.keyblock.keyvalue.length = ke->ke_keylen;
	ret = krb5_kt_add_entry(ctx, kt, &e);
	freezero(key, ke->ke_keylen);
	krb5_free_principal(ctx, e.principal);
	if (ret != 0) {
		msg = krb5_get_error_message(ctx, ret);
		(void)kt_fail(kp, "entry at offset %zu: %s", kp->kp_entry,
		    msg);
		krb5_free_error_message(ctx, msg);
		return (-1);
	}
	return (0);
}

/*
 * Strong means AES (RFC 3962, RFC 8009) or Camellia (RFC 6803).  DES,
 * 3DES (deprecated by RFC 8429) and RC4 (RFC 8429, RFC 6649) are weak,
 * and so is anything we don't know: such keys are loaded only with the
 * rule's explicit consent (gc_weak).
 */
int
auth_enctype_weak(krb5_enctype e)
{
	switch ((int)e) {
	case ETYPE_AES128_CTS_HMAC_SHA1_96:
	case ETYPE_AES256_CTS_HMAC_SHA1_96:
	case ETYPE_AES128_CTS_HMAC_SHA256_128:
	case ETYPE_AES256_CTS_HMAC_SHA384_192:
	case 25:	/* camellia128-cts-cmac */
	case 26:	/* camellia256-cts-cmac */
		return (0);
	default:
		return (1);
	}
}

int
auth_keytab_load(krb5_context ctx, const uint8_t *buf, size_t len,
    const char *name, int allow_weak, krb5_keytab *out, char *err,
    size_t errlen)
{
	struct ktparse	 kp;
	krb5_keytab	 kt;
	char		 ktname[64];
	const char	*msg;
	int		 nstrong, nweak, skipweak, ret;

	*out = NULL;
	memset(&kp, 0, sizeof(kp));
	kp.kp_buf = buf;
	kp.kp_len = len;
	kp.kp_name = name;
	kp.kp_err = err;
	kp.kp_errlen = errlen;
	if (len < 2)
		return (kt_fail(&kp, "truncated header (%zu bytes)", len));
	if (buf[0] != KT_MAGIC || (buf[1] != KT_V1 && buf[1] != KT_V2))
		return (kt_fail(&kp, "not a keytab: unknown version "
		    "0x%02x%02x", buf[0], buf[1]));
	kp.kp_version = buf[1];
	kp.kp_swap = kp.kp_version == KT_V1 && kt_host_le();

	if (kt_walk(&kp, ctx, NULL, 0, &nstrong, &nweak) == -1)
		return (-1);
	if (nstrong + nweak == 0)
		return (kt_fail(&kp, "no keys"));
	if (nstrong == 0 && !allow_weak)
		return (kt_fail(&kp, "only weak keys (DES, 3DES, RC4 or "
		    "unknown enctypes); refused"));
	/* Here strong keys exist, or weak ones are allowed. */
	skipweak = !allow_weak;

	/* A fresh name: sessions hold the keytab of before a reload. */
	(void)snprintf(ktname, sizeof(ktname), "MEMORY:sockd-%u",
	    ++kt_serial);
	if ((ret = krb5_kt_resolve(ctx, ktname, &kt)) != 0) {
		msg = krb5_get_error_message(ctx, ret);
		(void)kt_fail(&kp, "%s: %s", ktname, msg);
		krb5_free_error_message(ctx, msg);
		return (-1);
	}
	if (kt_walk(&kp, ctx, kt, skipweak, &nstrong, &nweak) == -1) {
		auth_keytab_free(ctx, kt);
		return (-1);
	}
	*out = kt;
	return (skipweak ? nweak : 0);
}

/*
 * MEMORY: keytabs have no destroy operation in Heimdal (krb5_kt_destroy
 * would call a NULL pointer); they are reference counted by name and the
 * last krb5_kt_close() frees the entries with krb5_kt_free_entry(), which
 * zeroes the keys.  An acceptor credential made from the keytab holds its
 * own reference, so sessions in flight keep working after a reload.
 */
void
auth_keytab_free(krb5_context ctx, krb5_keytab kt)
{
	if (kt != NULL)
		(void)krb5_kt_close(ctx, kt);
}

int
auth_keytab_has(krb5_context ctx, krb5_keytab kt, const char *name,
    const struct auth_service *sv, char *err, size_t errlen)
{
	krb5_kt_cursor		 cur;
	krb5_keytab_entry	 e;
	int			 found = 0;

	if (krb5_kt_start_seq_get(ctx, kt, &cur) != 0) {
		(void)snprintf(err, errlen, "keytab %s: cannot list keys",
		    name);
		return (-1);
	}
	while (!found && krb5_kt_next_entry(ctx, kt, &e, &cur) == 0) {
		found = auth_service_match(ctx, sv, e.principal);
		krb5_kt_free_entry(ctx, &e);
	}
	(void)krb5_kt_end_seq_get(ctx, kt, &cur);
	if (!found) {
		(void)snprintf(err, errlen, "keytab %s has no key for %s",
		    name, sv->sv_display);
		return (-1);
	}
	return (0);
}

/*
 * The service principal, from gssapi.servicename.
 *
 * A bare service ("rcmd", the default) stands for service/<this host>.
 * The usual way, importing "rcmd@<hostname>" as a host-based name, makes
 * Heimdal canonicalise the host name through the resolver, which authd,
 * chrooted with no network, cannot do reliably; and a proxy reached under
 * several names has a key for each.  So the acceptor credential is made
 * over the whole keytab with no principal (Heimdal then takes the key the
 * ticket names), and after the context is established the ticket's
 * server principal must have two components, the first being the service:
 * any host whose key the administrator put into the keytab, in any realm.
 * "service@host" restricts the host (compared without case, as DNS names
 * are), as GSS-API's host-based form does.  A name with a '/' is a
 * Kerberos principal taken as given; without a realm, any realm matches,
 * so no default realm (krb5.conf) is needed in the chroot.
 */
int
auth_service_parse(krb5_context ctx, const char *name,
    struct auth_service *sv, char *err, size_t errlen)
{
	const char	*at, *msg, *realm;
	int		 ret;

	memset(sv, 0, sizeof(*sv));
	if (name == NULL || *name == '\0')
		name = SOCKD_SERVICE;
	if (strlen(name) >= SOCKD_NAME_MAX) {
		(void)snprintf(err, errlen, "service name too long");
		return (-1);
	}
	if (strchr(name, '/') == NULL) {
		at = strchr(name, '@');
		sv->sv_type = at == NULL ? AUTH_SVC_SERVICE : AUTH_SVC_HOST;
		if (at == name || (at != NULL && at[1] == '\0') ||
		    (at != NULL && strchr(at + 1, '@') != NULL)) {
			(void)snprintf(err, errlen, "bad service name "
			    "\"%s\"", name);
			return (-1);
		}
		if (at == NULL)
			at = name + strlen(name);
		memcpy(sv->sv_service, name, at - name);
		if (*at == '@')
			(void)strlcpy(sv->sv_host, at + 1,
			    sizeof(sv->sv_host));
		/* Both fit: name is shorter than SOCKD_NAME_MAX. */
		(void)strlcpy(sv->sv_display, sv->sv_service,
		    sizeof(sv->sv_display));
		(void)strlcat(sv->sv_display, "/", sizeof(sv->sv_display));
		(void)strlcat(sv->sv_display, sv->sv_type == AUTH_SVC_HOST ?
		    sv->sv_host : "<any host>", sizeof(sv->sv_display));
		return (0);
	}

	sv->sv_type = AUTH_SVC_PRINCIPAL;
	ret = krb5_parse_name_flags(ctx, name, KRB5_PRINCIPAL_PARSE_NO_REALM,
	    &sv->sv_princ);
	if (ret == 0)
		sv->sv_anyrealm = 1;
	else
		ret = krb5_parse_name_flags(ctx, name,
		    KRB5_PRINCIPAL_PARSE_REQUIRE_REALM, &sv->sv_princ);
	if (ret != 0) {
		msg = krb5_get_error_message(ctx, ret);
		(void)snprintf(err, errlen, "bad service principal \"%s\": %s",
		    name, msg);
		krb5_free_error_message(ctx, msg);
		sv->sv_princ = NULL;
		return (-1);
	}
	realm = krb5_principal_get_realm(ctx, sv->sv_princ);
	if (!sv->sv_anyrealm && (realm == NULL || *realm == '\0')) {
		(void)snprintf(err, errlen, "bad service principal \"%s\": "
		    "empty realm", name);
		auth_service_free(ctx, sv);
		return (-1);
	}
	if (strlcpy(sv->sv_display, name, sizeof(sv->sv_display)) >=
	    sizeof(sv->sv_display)) {
		(void)snprintf(err, errlen, "service name too long");
		auth_service_free(ctx, sv);
		return (-1);
	}
	return (0);
}

int
auth_service_match(krb5_context ctx, const struct auth_service *sv,
    krb5_const_principal p)
{
	const char	*c;

	switch (sv->sv_type) {
	case AUTH_SVC_SERVICE:
	case AUTH_SVC_HOST:
		if (krb5_principal_get_num_comp(ctx, p) != 2)
			return (0);
		c = krb5_principal_get_comp_string(ctx, p, 0);
		if (c == NULL || strcmp(c, sv->sv_service) != 0)
			return (0);
		if (sv->sv_type == AUTH_SVC_SERVICE)
			return (1);
		c = krb5_principal_get_comp_string(ctx, p, 1);
		return (c != NULL && strcasecmp(c, sv->sv_host) == 0);
	case AUTH_SVC_PRINCIPAL:
		if (sv->sv_anyrealm)
			return (krb5_principal_compare_any_realm(ctx, p,
			    sv->sv_princ));
		return (krb5_principal_compare(ctx, p, sv->sv_princ));
	}
	return (0);
}

void
auth_service_free(krb5_context ctx, struct auth_service *sv)
{
	if (sv->sv_princ != NULL)
		krb5_free_principal(ctx, sv->sv_princ);
	sv->sv_princ = NULL;
}

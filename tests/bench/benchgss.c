/*
 * GSS-API set-up for the benchmark programs, Heimdal only.
 *
 * Heimdal's initiator reads the credentials cache file on every call of
 * gss_init_sec_context(), and a FILE: keytab is read again for every
 * gss_accept_sec_context().  authd keeps its keytab in a MEMORY: keytab,
 * so the acceptor here does the same; the initiator's cache is copied
 * into a MEMORY: cache so that making tokens ahead of time measures the
 * library, not the file system.
 */

#include <sys/types.h>

#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include "bench.h"

static krb5_context	 bg_krb;

static const char *bg_levelnames[] = {
	"clear", "integrity", "confidentiality"
};

static void
bg_status1(const char *what, OM_uint32 code, int type)
{
	gss_buffer_desc	 msg;
	OM_uint32	 maj, min, ctx = 0;
	int		 n = 0;

	do {
		maj = gss_display_status(&min, code, type, GSS_C_NO_OID,
		    &ctx, &msg);
		if (GSS_ERROR(maj))
			break;
		fprintf(stderr, "%s: %.*s\n", what, (int)msg.length,
		    (char *)msg.value);
		(void)gss_release_buffer(&min, &msg);
	} while (ctx != 0 && ++n < 8);
}

void
bg_status(const char *what, OM_uint32 maj, OM_uint32 min)
{
	bg_status1(what, maj, GSS_C_GSS_CODE);
	if (min != 0)
		bg_status1(what, min, GSS_C_MECH_CODE);
}

int
bg_level(const char *name)
{
	int	 i;

	for (i = BG_LEVEL_CLEAR; i <= BG_LEVEL_CONF; i++)
		if (strcmp(name, bg_levelnames[i]) == 0)
			return (i);
	return (-1);
}

const char *
bg_levelname(int level)
{
	if (level < BG_LEVEL_CLEAR || level > BG_LEVEL_CONF)
		return ("none");
	return (bg_levelnames[level]);
}

static void
bg_krb_init(void)
{
	krb5_error_code	 ret;

	if (bg_krb != NULL)
		return;
	if ((ret = krb5_init_context(&bg_krb)) != 0)
		errx(1, "krb5_init_context: error %d", ret);
}

/* The default credentials cache, copied into memory. */
int
bg_initiator(gss_cred_id_t *cred)
{
	krb5_ccache	 fcc, mcc;
	krb5_error_code	 ret;
	OM_uint32	 maj, min;
	char		 name[64];

	bg_krb_init();
	if ((ret = krb5_cc_default(bg_krb, &fcc)) != 0) {
		warnx("krb5_cc_default: %s", krb5_get_error_message(bg_krb,
		    ret));
		return (-1);
	}
	(void)snprintf(name, sizeof(name), "MEMORY:bench-init-%ld",
	    (long)getpid());
	if ((ret = krb5_cc_resolve(bg_krb, name, &mcc)) != 0 ||
	    (ret = krb5_cc_copy_cache(bg_krb, fcc, mcc)) != 0) {
		warnx("copying the credentials cache: %s",
		    krb5_get_error_message(bg_krb, ret));
		krb5_cc_close(bg_krb, fcc);
		return (-1);
	}
	krb5_cc_close(bg_krb, fcc);
	maj = gss_krb5_import_cred(&min, mcc, NULL, NULL, cred);
	if (GSS_ERROR(maj)) {
		bg_status("gss_krb5_import_cred (initiator)", maj, min);
		return (-1);
	}
	return (0);
}

/* An acceptor credential over a keytab file's keys, held in memory. */
int
bg_acceptor(const char *path, gss_cred_id_t *cred)
{
	krb5_keytab		 fkt, mkt;
	krb5_kt_cursor		 cur;
	krb5_keytab_entry	 e;
	krb5_error_code		 ret;
	OM_uint32		 maj, min;
	char			 name[PATH_MAX + 8];
	int			 n = 0;

	bg_krb_init();
	(void)snprintf(name, sizeof(name), "FILE:%s", path);
	if ((ret = krb5_kt_resolve(bg_krb, name, &fkt)) != 0) {
		warnx("%s: %s", name, krb5_get_error_message(bg_krb, ret));
		return (-1);
	}
	(void)snprintf(name, sizeof(name), "MEMORY:bench-accept-%ld",
	    (long)getpid());
	if ((ret = krb5_kt_resolve(bg_krb, name, &mkt)) != 0 ||
	    (ret = krb5_kt_start_seq_get(bg_krb, fkt, &cur)) != 0) {
		warnx("keytab %s: %s", path, krb5_get_error_message(bg_krb,
		    ret));
		return (-1);
	}
	while (krb5_kt_next_entry(bg_krb, fkt, &e, &cur) == 0) {
		ret = krb5_kt_add_entry(bg_krb, mkt, &e);
		krb5_kt_free_entry(bg_krb, &e);
		if (ret != 0) {
			warnx("krb5_kt_add_entry: %s",
			    krb5_get_error_message(bg_krb, ret));
			return (-1);
		}
		n++;
	}
	(void)krb5_kt_end_seq_get(bg_krb, fkt, &cur);
	(void)krb5_kt_close(bg_krb, fkt);
	if (n == 0) {
		warnx("keytab %s: no keys", path);
		return (-1);
	}
	maj = gss_krb5_import_cred(&min, NULL, NULL, mkt, cred);
	if (GSS_ERROR(maj)) {
		bg_status("gss_krb5_import_cred (acceptor)", maj, min);
		return (-1);
	}
	return (0);
}

/* "rcmd/localhost" is a principal; "rcmd@localhost" a host service. */
int
bg_target(const char *service, gss_name_t *name)
{
	gss_buffer_desc	 b;
	OM_uint32	 maj, min;

	b.value = (void *)service;
	b.length = strlen(service);
	maj = gss_import_name(&min, &b, strchr(service, '/') != NULL ?
	    GSS_KRB5_NT_PRINCIPAL_NAME : GSS_C_NT_HOSTBASED_SERVICE, name);
	if (GSS_ERROR(maj)) {
		bg_status("gss_import_name", maj, min);
		return (-1);
	}
	return (0);
}

/* The AP-REQ: the first token of a new context, mutual authentication. */
int
bg_init_first(gss_cred_id_t cred, gss_name_t target, gss_ctx_id_t *ctx,
    gss_buffer_t out)
{
	OM_uint32	 maj, min;

	*ctx = GSS_C_NO_CONTEXT;
	maj = gss_init_sec_context(&min, cred, ctx, target, GSS_KRB5_MECHANISM,
	    BG_REQFLAGS, 0, GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, NULL,
	    out, NULL, NULL);
	if (GSS_ERROR(maj)) {
		bg_status("gss_init_sec_context", maj, min);
		return (-1);
	}
	if (!(maj & GSS_S_CONTINUE_NEEDED)) {
		warnx("gss_init_sec_context: no mutual authentication");
		(void)gss_release_buffer(&min, out);
		return (-1);
	}
	return (0);
}

/* The AP-REP: the context is established, or -1. */
int
bg_init_last(gss_name_t target, gss_ctx_id_t *ctx, const void *tok,
    size_t len)
{
	gss_buffer_desc	 in, out = GSS_C_EMPTY_BUFFER;
	OM_uint32	 maj, min, flags = 0;

	in.value = (void *)tok;
	in.length = len;
	maj = gss_init_sec_context(&min, GSS_C_NO_CREDENTIAL, ctx, target,
	    GSS_KRB5_MECHANISM, BG_REQFLAGS, 0, GSS_C_NO_CHANNEL_BINDINGS,
	    &in, NULL, &out, &flags, NULL);
	(void)gss_release_buffer(&min, &out);
	if (GSS_ERROR(maj)) {
		bg_status("gss_init_sec_context (AP-REP)", maj, min);
		return (-1);
	}
	if ((maj & GSS_S_CONTINUE_NEEDED) || !(flags & GSS_C_MUTUAL_FLAG)) {
		warnx("gss_init_sec_context: not established after the "
		    "AP-REP");
		return (-1);
	}
	return (0);
}

/* The largest plaintext whose token fits one RFC 1961 message. */
int
bg_maxplain(gss_ctx_id_t ctx, int level, size_t *max)
{
	OM_uint32	 maj, min, m = 0;

	maj = gss_wrap_size_limit(&min, ctx, level == BG_LEVEL_CONF,
	    GSS_C_QOP_DEFAULT, BG_MAXTOKEN, &m);
	if (GSS_ERROR(maj) || m == 0) {
		bg_status("gss_wrap_size_limit", maj, min);
		return (-1);
	}
	*max = m;
	return (0);
}

double
bg_now(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* A byte count with an optional K, M or G suffix (powers of 1024). */
long long
bg_size(const char *s)
{
	char		 buf[32];
	const char	*errstr;
	long long	 n, mult = 1;
	size_t		 len;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		errx(2, "size too long: %s", s);
	len = strlen(buf);
	if (len > 0) {
		switch (buf[len - 1]) {
		case 'K':
		case 'k':
			mult = 1LL << 10;
			break;
		case 'M':
		case 'm':
			mult = 1LL << 20;
			break;
		case 'G':
		case 'g':
			mult = 1LL << 30;
			break;
		}
		if (mult != 1)
			buf[len - 1] = '\0';
	}
	n = strtonum(buf, 0, (1LL << 40) / mult, &errstr);
	if (errstr != NULL)
		errx(2, "size %s: %s", s, errstr);
	return (n * mult);
}

/*
 * wraprate: the GSS-API library's own limits, measured in one process
 * with no network in the timed part.
 *
 *	wraprate -k keytab -s service [-n bytes] wrap level
 *	wraprate -k keytab -s service [-n bytes] unwrap level
 *	wraprate -k keytab -s service [-c count] accept
 *
 * A context is established between the default credentials (the
 * initiator, as a client) and the keytab (the acceptor, as sockd), with
 * the flags gsocks asks for; the acceptor's context is exported and
 * imported again, as authd hands it to a relay.  "wrap" then times the
 * acceptor's gss_wrap() of bytes (default 256M) in chunks of the largest
 * plaintext that fits a 65535-byte token, as the relay does toward the
 * client; "unwrap" times the acceptor's gss_unwrap() of the tokens the
 * initiator made of as many bytes in chunks of its own limit, as the
 * relay does toward the target.  "accept" makes count (default 2000)
 * AP-REQs first and then times gss_accept_sec_context() on each, with
 * one acceptor credential over a MEMORY: keytab as authd has: the most
 * handshakes authd could complete.  Prints one line of key=value.
 */

#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gssapi/gssapi.h>

#include "bench.h"

struct wr_ctx {
	gss_cred_id_t	 w_icred;
	gss_cred_id_t	 w_acred;
	gss_name_t	 w_target;
	gss_ctx_id_t	 w_ictx;
	gss_ctx_id_t	 w_actx;
};

static void	 usage(void) __attribute__((__noreturn__));
static int	 wr_setup(struct wr_ctx *, const char *, const char *);
static int	 wr_establish(struct wr_ctx *);
static int	 wr_accept1(struct wr_ctx *, gss_buffer_t, gss_ctx_id_t *,
		    gss_buffer_t);
static int	 wr_wrap(struct wr_ctx *, int, long long);
static int	 wr_unwrap(struct wr_ctx *, int, long long);
static int	 wr_accept(struct wr_ctx *, long long);
static uint8_t	*wr_data(size_t);

static void
usage(void)
{
	fprintf(stderr, "usage: wraprate -k keytab -s service [-n bytes] "
	    "wrap|unwrap level\n"
	    "       wraprate -k keytab -s service [-c count] accept\n");
	exit(2);
}

static int
wr_setup(struct wr_ctx *w, const char *keytab, const char *service)
{
	memset(w, 0, sizeof(*w));
	if (bg_initiator(&w->w_icred) == -1 ||
	    bg_acceptor(keytab, &w->w_acred) == -1 ||
	    bg_target(service, &w->w_target) == -1)
		return (-1);
	return (0);
}

static int
wr_accept1(struct wr_ctx *w, gss_buffer_t in, gss_ctx_id_t *actx,
    gss_buffer_t out)
{
	OM_uint32	 maj, min;

	*actx = GSS_C_NO_CONTEXT;
	maj = gss_accept_sec_context(&min, actx, w->w_acred, in,
	    GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL, out, NULL, NULL, NULL);
	if (maj != GSS_S_COMPLETE) {
		bg_status("gss_accept_sec_context", maj, min);
		return (-1);
	}
	return (0);
}

/* Both ends in this process; the acceptor's end travels as in sockd. */
static int
wr_establish(struct wr_ctx *w)
{
	gss_buffer_desc	 req = GSS_C_EMPTY_BUFFER;
	gss_buffer_desc	 rep = GSS_C_EMPTY_BUFFER;
	gss_buffer_desc	 exp = GSS_C_EMPTY_BUFFER;
	OM_uint32	 maj, min;
	int		 r = -1;

	if (bg_init_first(w->w_icred, w->w_target, &w->w_ictx, &req) == -1)
		return (-1);
	if (wr_accept1(w, &req, &w->w_actx, &rep) == -1 ||
	    bg_init_last(w->w_target, &w->w_ictx, rep.value,
	    rep.length) == -1)
		goto done;
	maj = gss_export_sec_context(&min, &w->w_actx, &exp);
	if (GSS_ERROR(maj)) {
		bg_status("gss_export_sec_context", maj, min);
		goto done;
	}
	maj = gss_import_sec_context(&min, &exp, &w->w_actx);
	if (GSS_ERROR(maj)) {
		bg_status("gss_import_sec_context", maj, min);
		goto done;
	}
	r = 0;
 done:
	(void)gss_release_buffer(&min, &req);
	(void)gss_release_buffer(&min, &rep);
	if (exp.value != NULL)
		explicit_bzero(exp.value, exp.length);
	(void)gss_release_buffer(&min, &exp);
	return (r);
}

/* Bytes to wrap: their values do not matter to the cipher's speed. */
static uint8_t *
wr_data(size_t len)
{
	uint8_t	*p;
	size_t	 i;

	if ((p = malloc(len)) == NULL)
		err(1, NULL);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 2654435761U >> 13);
	return (p);
}

static void
wr_report(const char *op, int level, long long bytes, long long tokens,
    size_t plain, size_t token, double secs)
{
	printf("op=%s level=%s bytes=%lld tokens=%lld plain=%zu token=%zu "
	    "seconds=%.4f MBps=%.1f\n", op, bg_levelname(level), bytes,
	    tokens, plain, token, secs, bytes / secs / 1e6);
}

static int
wr_wrap(struct wr_ctx *w, int level, long long total)
{
	gss_buffer_desc	 in, out;
	OM_uint32	 maj, min;
	uint8_t		*data;
	size_t		 max, toklen = 0;
	long long	 done, n = 0;
	double		 t0, t1;
	int		 state;

	if (bg_maxplain(w->w_actx, level, &max) == -1)
		return (-1);
	data = wr_data(max);
	t0 = bg_now();
	for (done = 0; done < total; done += in.length, n++) {
		in.value = data;
		in.length = total - done < (long long)max ?
		    (size_t)(total - done) : max;
		maj = gss_wrap(&min, w->w_actx, level == BG_LEVEL_CONF,
		    GSS_C_QOP_DEFAULT, &in, &state, &out);
		if (GSS_ERROR(maj)) {
			bg_status("gss_wrap", maj, min);
			return (-1);
		}
		if (out.length > toklen)
			toklen = out.length;
		(void)gss_release_buffer(&min, &out);
	}
	t1 = bg_now();
	free(data);
	wr_report("wrap", level, total, n, max, toklen, t1 - t0);
	return (0);
}

static int
wr_unwrap(struct wr_ctx *w, int level, long long total)
{
	gss_buffer_desc	 in, out, *toks;
	OM_uint32	 maj, min;
	uint8_t		*data;
	size_t		 max, toklen = 0;
	long long	 done, i, n;
	double		 t0, t1;
	int		 state;

	if (bg_maxplain(w->w_ictx, level, &max) == -1)
		return (-1);
	n = (total + max - 1) / max;
	if ((toks = calloc(n, sizeof(*toks))) == NULL)
		err(1, NULL);
	data = wr_data(max);
	for (i = 0, done = 0; i < n; i++, done += in.length) {
		in.value = data;
		in.length = total - done < (long long)max ?
		    (size_t)(total - done) : max;
		maj = gss_wrap(&min, w->w_ictx, level == BG_LEVEL_CONF,
		    GSS_C_QOP_DEFAULT, &in, &state, &toks[i]);
		if (GSS_ERROR(maj)) {
			bg_status("gss_wrap (initiator)", maj, min);
			return (-1);
		}
		if (toks[i].length > toklen)
			toklen = toks[i].length;
	}
	t0 = bg_now();
	for (i = 0; i < n; i++) {
		maj = gss_unwrap(&min, w->w_actx, &toks[i], &out, &state,
		    NULL);
		if (maj != GSS_S_COMPLETE) {
			bg_status("gss_unwrap", maj, min);
			return (-1);
		}
		(void)gss_release_buffer(&min, &out);
	}
	t1 = bg_now();
	for (i = 0; i < n; i++)
		(void)gss_release_buffer(&min, &toks[i]);
	free(toks);
	free(data);
	wr_report("unwrap", level, total, n, max, toklen, t1 - t0);
	return (0);
}

static int
wr_accept(struct wr_ctx *w, long long count)
{
	gss_buffer_desc	*reqs, rep;
	gss_ctx_id_t	 ictx, actx;
	OM_uint32	 min;
	long long	 i;
	double		 t0, t1;

	if ((reqs = calloc(count, sizeof(*reqs))) == NULL)
		err(1, NULL);
	for (i = 0; i < count; i++) {
		if (bg_init_first(w->w_icred, w->w_target, &ictx,
		    &reqs[i]) == -1)
			return (-1);
		(void)gss_delete_sec_context(&min, &ictx, GSS_C_NO_BUFFER);
	}
	t0 = bg_now();
	for (i = 0; i < count; i++) {
		if (wr_accept1(w, &reqs[i], &actx, &rep) == -1)
			return (-1);
		(void)gss_release_buffer(&min, &rep);
		(void)gss_delete_sec_context(&min, &actx, GSS_C_NO_BUFFER);
	}
	t1 = bg_now();
	for (i = 0; i < count; i++)
		(void)gss_release_buffer(&min, &reqs[i]);
	free(reqs);
	printf("op=accept count=%lld seconds=%.4f rate=%.1f usec=%.1f\n",
	    count, t1 - t0, count / (t1 - t0), (t1 - t0) * 1e6 / count);
	return (0);
}

int
main(int argc, char *argv[])
{
	struct wr_ctx	 w;
	const char	*keytab = NULL, *service = NULL, *errstr;
	long long	 bytes = 256LL << 20, count = 2000;
	int		 ch, level = -1;

	while ((ch = getopt(argc, argv, "c:k:n:s:")) != -1) {
		switch (ch) {
		case 'c':
			count = strtonum(optarg, 1, 1000000, &errstr);
			if (errstr != NULL)
				errx(2, "count %s: %s", optarg, errstr);
			break;
		case 'k':
			keytab = optarg;
			break;
		case 'n':
			bytes = bg_size(optarg);
			break;
		case 's':
			service = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (keytab == NULL || service == NULL || argc < 1 || bytes < 1)
		usage();
	if (strcmp(argv[0], "accept") != 0) {
		if (argc != 2 || (level = bg_level(argv[1])) < 1)
			usage();
	} else if (argc != 1)
		usage();
	if (wr_setup(&w, keytab, service) == -1)
		return (1);
	if (strcmp(argv[0], "accept") == 0)
		return (wr_accept(&w, count) == -1);
	if (wr_establish(&w) == -1)
		return (1);
	if (strcmp(argv[0], "wrap") == 0)
		return (wr_wrap(&w, level, bytes) == -1);
	if (strcmp(argv[0], "unwrap") == 0)
		return (wr_unwrap(&w, level, bytes) == -1);
	usage();
}

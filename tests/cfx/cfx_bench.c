/*
 * cfx_bench: throughput of the relay's per-message protection, the fast
 * path (relayd/cfx.c) against the GSS-API library (relayd -G), through
 * relay_gss_wrap() and relay_gss_unwrap() as the relay calls them, on
 * plaintexts of the largest size that fits a 65535-byte token.  The
 * contexts are real Heimdal ones from a throwaway realm (cfxenv.c).  One
 * test case per enctype, not run by kyua; in a scratch directory:
 *
 *	cfx_bench aes256_sha1
 *
 * prints, for wrap and unwrap at integrity and confidentiality, MB/s
 * (10^6 bytes of plaintext a second, one core) of each path and their
 * ratio.  Unwrapping is timed on batches of tokens the peer's library
 * made beforehand, so the peer's cost is not counted.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <atf-c.h>
#include <gssapi/gssapi.h>

#include "cfx.h"
#include "cfxenv.h"
#include "log.h"
#include "relayd.h"

/* relay_gss.c's, until relayd.h declares them. */
extern int	 relay_gss_library;
void		 relay_gss_release(struct relay_session *, gss_buffer_t);
const char	*relay_gss_protect(const struct relay_session *);

#define BENCH_SECONDS	1.0	/* of timed work per figure */
#define BENCH_BATCH	128	/* tokens made ahead for unwrapping */

static double
now(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* MB/s of relay_gss_wrap() at the session's level. */
static double
bench_wrap(struct relay_session *rs, const uint8_t *msg, size_t len)
{
	gss_buffer_desc	 tok = GSS_C_EMPTY_BUFFER;
	double		 t0, t;
	size_t		 n = 0;

	t0 = now();
	do {
		ATF_REQUIRE(relay_gss_wrap(rs, msg, len, &tok) == 0);
		relay_gss_release(rs, &tok);
		n++;
	} while ((t = now() - t0) < BENCH_SECONDS);
	return (n * len / t / 1e6);
}

/* MB/s of relay_gss_unwrap() of the peer's tokens. */
static double
bench_unwrap(struct relay_session *rs, gss_ctx_id_t peer, const uint8_t *msg,
    size_t len)
{
	gss_buffer_desc	 in, tok[BENCH_BATCH], out = GSS_C_EMPTY_BUFFER;
	OM_uint32	 major, minor;
	double		 t0, t = 0;
	size_t		 n = 0;
	int		 i, conf = rs->rs_level == GSS_LEVEL_CONF;

	in.value = (void *)(uintptr_t)msg;
	in.length = len;
	while (t < BENCH_SECONDS) {
		for (i = 0; i < BENCH_BATCH; i++) {
			major = gss_wrap(&minor, peer, conf, GSS_C_QOP_DEFAULT,
			    &in, NULL, &tok[i]);
			if (major != GSS_S_COMPLETE)
				ce_fail_gss("gss_wrap", major, minor);
		}
		t0 = now();
		for (i = 0; i < BENCH_BATCH; i++) {
			ATF_REQUIRE(relay_gss_unwrap(rs, tok[i].value,
			    tok[i].length, &out) == 0 && out.length == len);
			relay_gss_release(rs, &out);
		}
		t += now() - t0;
		n += BENCH_BATCH;
		for (i = 0; i < BENCH_BATCH; i++)
			(void)gss_release_buffer(&minor, &tok[i]);
	}
	return (n * len / t / 1e6);
}

/* A session of relay_gss.c's, by the fast path or the library. */
static void
session(struct cfx_env *e, struct relay_session *rs, gss_ctx_id_t *peer,
    int library)
{
	gss_ctx_id_t	 acc;

	ce_handshake(e, peer, &acc);
	ce_subneg(*peer, acc);
	relay_gss_library = library;
	ce_relay(rs, &acc, GSS_LEVEL_CONF);
	relay_gss_library = 0;
	ATF_REQUIRE((rs->rs_cfx == NULL) == library);
}

static void
run(int enctype)
{
	static const char	*what[] = { "wrap", "unwrap" };
	struct cfx_env		 e;
	struct relay_session	 fast, lib;
	gss_ctx_id_t		 pfast, plib;
	uint8_t			*msg;
	double			 r[2];
	size_t			 len;
	int			 op, conf;

	log_init(1, LOG_DAEMON);
	log_setverbose(0);
	ce_setup(&e, enctype);
	session(&e, &fast, &pfast, 0);
	session(&e, &lib, &plib, 1);
	ATF_REQUIRE((msg = malloc(GSSF_MAXTOKEN)) != NULL);
	ce_random(msg, GSSF_MAXTOKEN);
	printf("%s (%s): MB/s of plaintext, one core\n",
	    ce_enctype_name(enctype), relay_gss_protect(&fast));
	printf("%-22s %10s %10s %8s\n", "", "library", "sockd", "speedup");
	for (op = 0; op < 2; op++)
		for (conf = 0; conf < 2; conf++) {
			fast.rs_level = lib.rs_level = conf ? GSS_LEVEL_CONF :
			    GSS_LEVEL_INTEGRITY;
			len = cfx_wrap_limit(fast.rs_cfx, conf, GSSF_MAXTOKEN);
			if (op == 0) {
				r[0] = bench_wrap(&lib, msg, len);
				r[1] = bench_wrap(&fast, msg, len);
			} else {
				r[0] = bench_unwrap(&lib, plib, msg, len);
				r[1] = bench_unwrap(&fast, pfast, msg, len);
			}
			printf("%-6s %-15s %10.0f %10.0f %7.1fx\n", what[op],
			    conf ? "confidentiality" : "integrity", r[0], r[1],
			    r[1] / r[0]);
		}
	(void)fflush(stdout);
	free(msg);
	relay_gss_free(&fast);
	relay_gss_free(&lib);
	ce_free(&e);
}

#define BENCH_TC(name, type)						\
	ATF_TC_WITH_CLEANUP(name);					\
	ATF_TC_HEAD(name, tc)						\
	{								\
		atf_tc_set_md_var(tc, "descr", "throughput, " #type);	\
		atf_tc_set_md_var(tc, "timeout", "300");		\
	}								\
	ATF_TC_BODY(name, tc)						\
	{								\
		(void)tc;						\
		run(type);						\
	}								\
	ATF_TC_CLEANUP(name, tc)					\
	{								\
		(void)tc;						\
		tk_kdc_cleanup();					\
	}

BENCH_TC(aes128_sha1, CFX_AES128_SHA1)
BENCH_TC(aes256_sha1, CFX_AES256_SHA1)
BENCH_TC(aes128_sha256, CFX_AES128_SHA256)
BENCH_TC(aes256_sha384, CFX_AES256_SHA384)

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, aes128_sha1);
	ATF_TP_ADD_TC(tp, aes256_sha1);
	ATF_TP_ADD_TC(tp, aes128_sha256);
	ATF_TP_ADD_TC(tp, aes256_sha384);
	return (atf_no_error());
}

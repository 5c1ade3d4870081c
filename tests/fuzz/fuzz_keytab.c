/*
 * libFuzzer harness for authd's keytab parser, auth_keytab_load() of
 * authd/keytab.c: the bytes of a keytab file, as the parent sends them,
 * into a Heimdal MEMORY: keytab.  Each input is loaded twice, with and
 * without weak keys allowed, since the two take different paths.
 *
 * A keytab that loads is listed through auth_keytab_has(), which reads
 * back every entry Heimdal stored, and then freed; LeakSanitizer (on by
 * default under libFuzzer) reports a MEMORY: keytab that outlives it.
 * The krb5 context is made once: Heimdal reads krb5.conf there, and the
 * parser must not depend on it (authd parses in a chroot without one).
 */

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include <krb5.h>

#include "config.h"
#include "auth.h"
#include "fuzz.h"

static krb5_context		 ctx;
static struct auth_service	 svc;

static void
fuzz_load(const uint8_t *buf, size_t len, int allow_weak)
{
	krb5_keytab	 kt = (krb5_keytab)1;
	char		 err[512], herr[512];
	int		 rv;

	memset(err, 0, sizeof(err));
	rv = auth_keytab_load(ctx, buf, len, "fuzz", allow_weak, &kt, err,
	    sizeof(err));
	FUZZ_CHECK(rv >= -1, "returned %d", rv);
	if (rv == -1) {
		FUZZ_CHECK(kt == NULL, "failed with a keytab");
		FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) !=
		    NULL, "failed without a message");
		return;
	}
	FUZZ_CHECK(kt != NULL, "succeeded without a keytab");
	/* Weak keys are counted only when they were left out. */
	FUZZ_CHECK(!allow_weak || rv == 0, "allow_weak, but %d left out", rv);
	(void)auth_keytab_has(ctx, kt, "fuzz", &svc, herr, sizeof(herr));
	auth_keytab_free(ctx, kt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	fuzz_load(buf, len, 0);
	fuzz_load(buf, len, 1);
	return (0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 err[256];

	(void)argc;
	(void)argv;
	if (krb5_init_context(&ctx) != 0) {
		fprintf(stderr, "krb5_init_context failed\n");
		abort();
	}
	/*
	 * A host no seed names, so that auth_keytab_has() reads every
	 * entry, comparing each principal on the way.
	 */
	if (auth_service_parse(ctx, "rcmd@fuzz.invalid", &svc, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	return (0);
}

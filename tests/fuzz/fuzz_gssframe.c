/*
 * libFuzzer harness for gssframe_parse (common/gssframe.c), the RFC 1961
 * frame header decoder, once for each message type a reader can expect.
 * The answer is compared with a model of RFC 1961 section 3 written
 * here from the RFC, the promise about *toklen in gssframe.h is checked,
 * and a whole frame's header must be what gssframe_header writes.
 */

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "gssframe.h"
#include "fuzz.h"

#define UNTOUCHED	((size_t)-1)

static enum gssf_status
model(const uint8_t *buf, size_t len, uint8_t mtyp)
{
	if (len < 1)
		return (GSSF_MORE);
	if (buf[0] != GSSF_VERSION)
		return (GSSF_BADVER);
	if (len < 2)
		return (GSSF_MORE);
	if (buf[1] == GSSF_MTYP_ABORT)
		return (GSSF_ABORT);
	if (buf[1] != mtyp)
		return (GSSF_BADTYPE);
	if (len < GSSF_HDRLEN)
		return (GSSF_MORE);
	if (len - GSSF_HDRLEN < (size_t)(buf[2] << 8 | buf[3]))
		return (GSSF_MORE);
	return (GSSF_OK);
}

static void
fuzz_one(const uint8_t *buf, size_t len, uint8_t mtyp)
{
	enum gssf_status	 st, want;
	uint8_t			 hdr[GSSF_HDRLEN];
	size_t			 toklen = UNTOUCHED;

	st = gssframe_parse(buf, len, mtyp, &toklen);
	want = model(buf, len, mtyp);
	FUZZ_CHECK(st == want, "mtyp %u, %zu bytes: %d, want %d", mtyp, len,
	    st, want);
	FUZZ_CHECK(gssframe_strerror(st) != NULL, "no message");
	if (st == GSSF_ABORT)
		FUZZ_CHECK(memcmp(buf, gssframe_abort, GSSF_ABORTLEN) == 0,
		    "abort without the abort message");
	if (len < GSSF_HDRLEN || st == GSSF_ABORT || st == GSSF_BADVER ||
	    st == GSSF_BADTYPE) {
		FUZZ_CHECK(toklen == UNTOUCHED, "toklen set to %zu", toklen);
		return;
	}
	FUZZ_CHECK(toklen <= GSSF_MAXTOKEN, "toklen %zu", toklen);
	FUZZ_CHECK(toklen == (size_t)(buf[2] << 8 | buf[3]), "toklen %zu",
	    toklen);
	FUZZ_CHECK((st == GSSF_OK) == (len >= GSSF_HDRLEN + toklen),
	    "status %d with %zu of %zu bytes", st, len, GSSF_HDRLEN + toklen);
	gssframe_header(hdr, mtyp, toklen);
	FUZZ_CHECK(memcmp(hdr, buf, GSSF_HDRLEN) == 0, "header differs");
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	fuzz_one(buf, len, GSSF_MTYP_AUTH);
	fuzz_one(buf, len, GSSF_MTYP_PROTECT);
	fuzz_one(buf, len, GSSF_MTYP_DATA);
	return (0);
}

/*
 * Unit tests for common/gssframe.c: RFC 1961 frame headers, the abort
 * message, byte-at-a-time parsing, several frames in one buffer, and
 * random input read from heap buffers of exactly its length.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "gssframe.h"

#define FUZZ_ROUNDS	200000
#define FUZZ_SEED	1928

static enum gssf_status
parse_exact(const uint8_t *p, size_t len, uint8_t mtyp, size_t *toklen)
{
	enum gssf_status	 st;
	uint8_t			*q;

	q = malloc(len == 0 ? 1 : len);
	ATF_REQUIRE(q != NULL);
	if (len > 0)
		memcpy(q, p, len);
	st = gssframe_parse(q, len, mtyp, toklen);
	free(q);
	return (st);
}

ATF_TC_WITHOUT_HEAD(parse);
ATF_TC_BODY(parse, tc)
{
	const uint8_t	f[] = { 0x01, 0x01, 0x00, 0x03, 'a', 'b', 'c', 'x' };
	size_t		toklen = 0;

	ATF_CHECK_EQ(parse_exact(f, sizeof(f), GSSF_MTYP_AUTH, &toklen),
	    GSSF_OK);
	ATF_CHECK_EQ(toklen, 3);
	ATF_CHECK_EQ(parse_exact(f, 7, GSSF_MTYP_AUTH, &toklen), GSSF_OK);
}

ATF_TC_WITHOUT_HEAD(incremental);
ATF_TC_BODY(incremental, tc)
{
	const uint8_t	f[] = { 0x01, 0x03, 0x00, 0x02, 0xaa, 0xbb };
	size_t		toklen, i;

	for (i = 0; i < sizeof(f); i++) {
		toklen = 12345;
		ATF_CHECK_EQ_MSG(parse_exact(f, i, GSSF_MTYP_DATA, &toklen),
		    GSSF_MORE, "prefix of %zu bytes", i);
		/* The length is known once the header is. */
		if (i < GSSF_HDRLEN)
			ATF_CHECK_EQ(toklen, 12345);
		else
			ATF_CHECK_EQ(toklen, 2);
	}
	ATF_CHECK_EQ(parse_exact(f, sizeof(f), GSSF_MTYP_DATA, &toklen),
	    GSSF_OK);
}

ATF_TC_WITHOUT_HEAD(empty_token);
ATF_TC_BODY(empty_token, tc)
{
	const uint8_t	f[] = { 0x01, 0x02, 0x00, 0x00 };
	size_t		toklen = 99;

	ATF_CHECK_EQ(parse_exact(f, sizeof(f), GSSF_MTYP_PROTECT, &toklen),
	    GSSF_OK);
	ATF_CHECK_EQ(toklen, 0);
}

ATF_TC_WITHOUT_HEAD(max_token);
ATF_TC_BODY(max_token, tc)
{
	uint8_t	*f;
	size_t	 len = GSSF_HDRLEN + GSSF_MAXTOKEN, toklen;

	f = calloc(1, len);
	ATF_REQUIRE(f != NULL);
	gssframe_header(f, GSSF_MTYP_DATA, GSSF_MAXTOKEN);
	ATF_CHECK(memcmp(f, "\x01\x03\xff\xff", 4) == 0);
	ATF_CHECK_EQ(parse_exact(f, len - 1, GSSF_MTYP_DATA, &toklen),
	    GSSF_MORE);
	ATF_CHECK_EQ(toklen, GSSF_MAXTOKEN);
	ATF_CHECK_EQ(parse_exact(f, len, GSSF_MTYP_DATA, &toklen), GSSF_OK);
	free(f);
}

ATF_TC_WITHOUT_HEAD(header);
ATF_TC_BODY(header, tc)
{
	const size_t	lens[] = { 0, 1, 255, 256, 4660, 65534, 65535 };
	uint8_t		h[GSSF_HDRLEN];
	size_t		i, toklen;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		gssframe_header(h, GSSF_MTYP_AUTH, lens[i]);
		ATF_CHECK_EQ(h[0], GSSF_VERSION);
		ATF_CHECK_EQ(h[1], GSSF_MTYP_AUTH);
		ATF_CHECK_EQ((size_t)((h[2] << 8) | h[3]), lens[i]);
		ATF_CHECK_EQ(parse_exact(h, sizeof(h), GSSF_MTYP_AUTH,
		    &toklen), lens[i] == 0 ? GSSF_OK : GSSF_MORE);
		ATF_CHECK_EQ(toklen, lens[i]);
	}
	gssframe_header(h, GSSF_MTYP_DATA, 0x1234);
	ATF_CHECK(memcmp(h, "\x01\x03\x12\x34", 4) == 0);
}

ATF_TC_WITHOUT_HEAD(abort_msg);
ATF_TC_BODY(abort_msg, tc)
{
	const uint8_t	mtyps[] = { GSSF_MTYP_AUTH, GSSF_MTYP_PROTECT,
			    GSSF_MTYP_DATA };
	size_t		i, toklen;

	ATF_CHECK_EQ(gssframe_abort[0], 0x01);
	ATF_CHECK_EQ(gssframe_abort[1], 0xff);
	ATF_CHECK_EQ(parse_exact(gssframe_abort, 1, GSSF_MTYP_AUTH, &toklen),
	    GSSF_MORE);
	/* Two bytes are the whole abort message, whatever was expected. */
	for (i = 0; i < sizeof(mtyps); i++)
		ATF_CHECK_EQ(parse_exact(gssframe_abort, GSSF_ABORTLEN,
		    mtyps[i], &toklen), GSSF_ABORT);
}

ATF_TC_WITHOUT_HEAD(badver);
ATF_TC_BODY(badver, tc)
{
	const uint8_t	f[] = { 0x05, 0x01, 0x00, 0x00 };
	const uint8_t	a[] = { 0x02, 0xff };
	size_t		toklen;

	/* A SOCKS 5 message where a frame belongs: known at byte one. */
	ATF_CHECK_EQ(parse_exact(f, 1, GSSF_MTYP_AUTH, &toklen),
	    GSSF_BADVER);
	ATF_CHECK_EQ(parse_exact(f, sizeof(f), GSSF_MTYP_AUTH, &toklen),
	    GSSF_BADVER);
	ATF_CHECK_EQ(parse_exact(a, sizeof(a), GSSF_MTYP_AUTH, &toklen),
	    GSSF_BADVER);
}

ATF_TC_WITHOUT_HEAD(badtype);
ATF_TC_BODY(badtype, tc)
{
	const uint8_t	f[] = { 0x01, 0x02, 0x00, 0x01, 0x00 };
	size_t		toklen = 77;

	ATF_CHECK_EQ(parse_exact(f, 2, GSSF_MTYP_AUTH, &toklen),
	    GSSF_BADTYPE);
	ATF_CHECK_EQ(parse_exact(f, sizeof(f), GSSF_MTYP_DATA, &toklen),
	    GSSF_BADTYPE);
	ATF_CHECK_EQ(toklen, 77);
	ATF_CHECK_EQ(parse_exact(f, sizeof(f), GSSF_MTYP_PROTECT, &toklen),
	    GSSF_OK);
}

ATF_TC_WITHOUT_HEAD(several);
ATF_TC_BODY(several, tc)
{
	uint8_t		buf[64];
	size_t		off = 0, toklen, n = 0, i;

	/* Three frames of 0, 5 and 10 bytes back to back, then a partial. */
	for (i = 0; i < 3; i++) {
		gssframe_header(buf + off, GSSF_MTYP_DATA, i * 5);
		memset(buf + off + GSSF_HDRLEN, 'a' + i, i * 5);
		off += GSSF_HDRLEN + i * 5;
	}
	gssframe_header(buf + off, GSSF_MTYP_DATA, 20);
	off += GSSF_HDRLEN + 3;

	i = 0;
	while (gssframe_parse(buf + i, off - i, GSSF_MTYP_DATA, &toklen) ==
	    GSSF_OK) {
		ATF_CHECK_EQ(toklen, n * 5);
		if (toklen > 0)
			ATF_CHECK_EQ(buf[i + GSSF_HDRLEN], 'a' + n);
		i += GSSF_HDRLEN + toklen;
		n++;
	}
	ATF_CHECK_EQ(n, 3);
	ATF_CHECK_EQ(gssframe_parse(buf + i, off - i, GSSF_MTYP_DATA,
	    &toklen), GSSF_MORE);
	ATF_CHECK_EQ(toklen, 20);
}

ATF_TC_WITHOUT_HEAD(strerror);
ATF_TC_BODY(strerror, tc)
{
	const enum gssf_status	st[] = { GSSF_OK, GSSF_MORE, GSSF_ABORT,
				    GSSF_BADVER, GSSF_BADTYPE };
	size_t			i, j, n = sizeof(st) / sizeof(st[0]);

	for (i = 0; i < n; i++) {
		ATF_REQUIRE(gssframe_strerror(st[i]) != NULL);
		ATF_CHECK(strlen(gssframe_strerror(st[i])) > 0);
		for (j = 0; j < i; j++)
			ATF_CHECK(strcmp(gssframe_strerror(st[i]),
			    gssframe_strerror(st[j])) != 0);
	}
	ATF_CHECK(gssframe_strerror((enum gssf_status)42) != NULL);
}

ATF_TC_WITHOUT_HEAD(fuzz);
ATF_TC_BODY(fuzz, tc)
{
	enum gssf_status	 st;
	uint8_t			 src[64], *p, mtyp;
	size_t			 len, toklen, i;
	int			 r, ok = 0, more = 0;

	srandom(FUZZ_SEED);
	for (r = 0; r < FUZZ_ROUNDS; r++) {
		len = random() % sizeof(src);
		for (i = 0; i < len; i++)
			src[i] = random();
		if (len > 0 && random() % 4 != 0)
			src[0] = GSSF_VERSION;
		if (len > 1 && random() % 2)
			src[1] = 1 + random() % 3;
		if (len > 2 && random() % 2)
			src[2] = 0;
		if (len > 3 && random() % 2)
			src[3] = random() % sizeof(src);
		mtyp = 1 + random() % 3;
		p = malloc(len == 0 ? 1 : len);
		ATF_REQUIRE(p != NULL);
		memcpy(p, src, len);
		toklen = SIZE_MAX;
		st = gssframe_parse(p, len, mtyp, &toklen);
		switch (st) {
		case GSSF_OK:
			ATF_REQUIRE(GSSF_HDRLEN + toklen <= len);
			ATF_REQUIRE(toklen <= GSSF_MAXTOKEN);
			ATF_REQUIRE(p[0] == 1 && p[1] == mtyp);
			ok++;
			break;
		case GSSF_MORE:
			ATF_REQUIRE(len < GSSF_HDRLEN ||
			    GSSF_HDRLEN + toklen > len);
			more++;
			break;
		case GSSF_ABORT:
			ATF_REQUIRE(len >= 2 && p[0] == 1 && p[1] == 0xff);
			break;
		case GSSF_BADVER:
			ATF_REQUIRE(len >= 1 && p[0] != 1);
			break;
		case GSSF_BADTYPE:
			ATF_REQUIRE(len >= 2 && p[1] != mtyp);
			break;
		default:
			ATF_REQUIRE_MSG(0, "status %d", st);
		}
		free(p);
	}
	ATF_CHECK(ok > 0 && more > 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, parse);
	ATF_TP_ADD_TC(tp, incremental);
	ATF_TP_ADD_TC(tp, empty_token);
	ATF_TP_ADD_TC(tp, max_token);
	ATF_TP_ADD_TC(tp, header);
	ATF_TP_ADD_TC(tp, abort_msg);
	ATF_TP_ADD_TC(tp, badver);
	ATF_TP_ADD_TC(tp, badtype);
	ATF_TP_ADD_TC(tp, several);
	ATF_TP_ADD_TC(tp, strerror);
	ATF_TP_ADD_TC(tp, fuzz);
	return (atf_no_error());
}

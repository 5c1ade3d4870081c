/*
 * libFuzzer harness for relayd/cfx.c, the relay's RFC 4121 fast path:
 * cfx_unwrap() on bytes from the network.  Input:
 *
 *	byte 0	enctype (low two bits: 17, 18, 19, 20)
 *	byte 1	bit 0 confidentiality, bit 1 the datagram rule (part 1),
 *		bits 2-4 the bit to damage, bit 5 send unrotated
 *	bytes 2-3  an RRC to rotate a good token by
 *	bytes 4-5  the byte of the token to damage (modulo its length)
 *	rest	a token as it is (part 1) and a plaintext (parts 2 and 3)
 *
 * Checks:
 *	1. The rest as a token is never taken (no key, no checksum), the
 *	   output length is never more than the token's, and the status is
 *	   one cfx_strerror() knows.
 *	2. A token our wrap made of the rest, its body rotated by any RRC
 *	   and the RRC field set to match, unwraps to the same plaintext
 *	   with the same protection (RFC 4121 section 4.2.5); so does the
 *	   unrotated one.
 *	3. That token with one bit of any byte outside RRC flipped is
 *	   refused, and refusing it changes nothing: the good one is then
 *	   taken.
 * The contexts live across inputs (made once per enctype), so every
 * token made is taken exactly once, in order, as on a stream.
 */

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "cfx.h"
#include "fuzz.h"

#define FZ_MAXPLAIN	4096
#define FZ_BUF		(FZ_MAXPLAIN + 256)

static const int	 fz_types[4] = {
	CFX_AES128_SHA1, CFX_AES256_SHA1, CFX_AES128_SHA256, CFX_AES256_SHA384
};
static struct cfx_ctx	*fz_tx[4], *fz_rx[4], *fz_raw[4];
static uint8_t		 fz_tok[FZ_BUF], fz_rot[FZ_BUF], fz_out[FZ_BUF];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t	 key[32];
	size_t	 i, len;

	(void)argc;
	(void)argv;
	for (i = 0; i < sizeof(key); i++)
		key[i] = i * 7 + 1;
	for (i = 0; i < 4; i++) {
		len = fz_types[i] == CFX_AES128_SHA1 ||
		    fz_types[i] == CFX_AES128_SHA256 ? 16 : 32;
		fz_tx[i] = cfx_new(fz_types[i], key, len, 1, 1, 1000);
		fz_rx[i] = cfx_new(fz_types[i], key, len, 0, 1, 5000);
		fz_raw[i] = cfx_new(fz_types[i], key, len, 0, 1, 5000);
		FUZZ_CHECK(fz_tx[i] != NULL && fz_rx[i] != NULL &&
		    fz_raw[i] != NULL, "cfx_new %d", fz_types[i]);
		cfx_recv_start(fz_rx[i], 999);
		cfx_recv_start(fz_raw[i], 0);
	}
	return (0);
}

/* Part 1: anything at all. */
static void
fz_raw_token(struct cfx_ctx *cx, int dgram, const uint8_t *buf, size_t len)
{
	enum cfx_status	 st;
	size_t		 olen = 0;
	int		 conf = 0;

	st = cfx_unwrap(cx, dgram, buf, len, fz_out, sizeof(fz_out), &olen,
	    &conf);
	FUZZ_CHECK(st != CFX_OK, "%zu bytes of no one's token taken", len);
	FUZZ_CHECK(olen == 0 && conf == 0, "refused, yet output %zu", olen);
	FUZZ_CHECK(strcmp(cfx_strerror(st), "unknown error") != 0,
	    "status %d", st);
}

static void
fz_rotate(const uint8_t *tok, size_t len, uint16_t rrc, uint8_t *out)
{
	size_t	 body = len - CFX_HDRLEN, r = rrc % body, i;

	memcpy(out, tok, CFX_HDRLEN);
	out[6] = rrc >> 8;
	out[7] = rrc;
	/* Rotated right by r: the last r bytes of the body come first. */
	for (i = 0; i < body; i++)
		out[CFX_HDRLEN + (i + r) % body] = tok[CFX_HDRLEN + i];
}

static void
fz_take(struct cfx_ctx *rx, const uint8_t *tok, size_t len,
    const uint8_t *pt, size_t ptlen, int conf, const char *what)
{
	enum cfx_status	 st;
	size_t		 olen;
	int		 oconf;

	st = cfx_unwrap(rx, 0, tok, len, fz_out, sizeof(fz_out), &olen,
	    &oconf);
	FUZZ_CHECK(st == CFX_OK, "%s token refused: %s", what,
	    cfx_strerror(st));
	FUZZ_CHECK(olen == ptlen && oconf == conf && (ptlen == 0 ||
	    memcmp(fz_out, pt, ptlen) == 0), "%s token: wrong plaintext",
	    what);
}

/* Parts 2 and 3. */
static void
fz_made_token(int i, uint8_t flags, uint16_t rrc, uint16_t flip,
    const uint8_t *pt, size_t ptlen)
{
	enum cfx_status	 st;
	size_t		 len, olen, at;
	uint8_t		 bit = 1 << ((flags >> 2) & 7);
	int		 oconf, conf = flags & 1;

	st = cfx_wrap(fz_tx[i], conf, pt, ptlen, fz_tok, sizeof(fz_tok),
	    &len);
	FUZZ_CHECK(st == CFX_OK, "wrap: %s", cfx_strerror(st));
	FUZZ_CHECK(len == cfx_wrap_size(fz_tx[i], conf, ptlen), "size");
	fz_rotate(fz_tok, len, rrc, fz_rot);

	at = flip % len;
	if (at != 6 && at != 7) {
		fz_rot[at] ^= bit;
		st = cfx_unwrap(fz_rx[i], 0, fz_rot, len, fz_out,
		    sizeof(fz_out), &olen, &oconf);
		FUZZ_CHECK(st != CFX_OK, "byte %zu ^ %#x of %zu taken", at,
		    bit, len);
		fz_rot[at] ^= bit;
	}
	/* Rotated or not, it must be taken. */
	if (flags & 0x20)
		fz_take(fz_rx[i], fz_tok, len, pt, ptlen, conf, "unrotated");
	else
		fz_take(fz_rx[i], fz_rot, len, pt, ptlen, conf, "rotated");
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	size_t	 ptlen;
	int	 i;

	if (len < 6)
		return (0);
	i = buf[0] & 3;
	fz_raw_token(fz_raw[i], (buf[1] & 2) != 0, buf + 6, len - 6);
	ptlen = len - 6 > FZ_MAXPLAIN ? FZ_MAXPLAIN : len - 6;
	fz_made_token(i, buf[1], (uint16_t)(buf[2] << 8 | buf[3]),
	    (uint16_t)(buf[4] << 8 | buf[5]), buf + 6, ptlen);
	return (0);
}

/*
 * libFuzzer harness for the relay's framed reader: RFC 1961 frames
 * reassembled from a byte stream that arrives in pieces of any size.
 *
 * The reader here is relay_next_token() and relay_read_client() of
 * relayd/relay.c with their buffer logic copied line for line (the
 * struct relay_dir and RELAY_BUFSZ are the relay's own, from relayd.h);
 * only gss_unwrap is replaced by a comparison of the token with the one
 * expected.  Keep the two in step: a change to the relay's reassembly
 * must be made here too.
 *
 * The input is:
 *	octet		message type expected (1 + n % 3)
 *	octet		number of steps
 *	steps		each: read size (2 octets, big-endian) and
 *			how many frames to take after the read (1 octet,
 *			0: all that are whole, as the relay does)
 *	the rest	the stream
 * After the steps the stream is read to its end in the largest pieces
 * the buffer takes.  The frames found must be those that gssframe_parse
 * finds in the whole stream at once, in order and with the same bytes,
 * and the reader must end the same way: with the same error, or with
 * the same incomplete tail.  A buffer that is full while the frame in
 * it is incomplete would stall the session for good, and fails too.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relayd.h"
#include "fuzz.h"

struct frame {
	size_t		 f_off;
	size_t		 f_toklen;
};

struct reader {
	struct relay_dir	 r_dir;
	uint8_t			 r_mtyp;
	const uint8_t		*r_stream;
	size_t			 r_slen;
	size_t			 r_spos;	/* bytes read so far */
	const struct frame	*r_want;
	size_t			 r_nwant;
	size_t			 r_nfound;
	enum gssf_status	 r_err;		/* GSSF_OK: none yet */
};

static uint8_t	*rd_buf;

/* The frames of the whole stream at once, and how it ends. */
static size_t
whole(const uint8_t *s, size_t len, uint8_t mtyp, struct frame *f,
    enum gssf_status *end, size_t *left)
{
	enum gssf_status	 st;
	size_t			 off = 0, n = 0, toklen;

	while ((st = gssframe_parse(s + off, len - off, mtyp, &toklen)) ==
	    GSSF_OK) {
		f[n].f_off = off;
		f[n].f_toklen = toklen;
		n++;
		off += GSSF_HDRLEN + toklen;
	}
	*end = st;
	*left = len - off;
	return (n);
}

/* What the relay does with a token instead of gss_unwrap. */
static void
reader_token(struct reader *r, const uint8_t *tok, size_t toklen)
{
	const struct frame	*f;

	FUZZ_CHECK(r->r_nfound < r->r_nwant, "frame %zu of %zu", r->r_nfound,
	    r->r_nwant);
	f = &r->r_want[r->r_nfound++];
	FUZZ_CHECK(toklen == f->f_toklen, "frame %zu: %zu bytes, want %zu",
	    r->r_nfound - 1, toklen, f->f_toklen);
	FUZZ_CHECK(memcmp(tok, r->r_stream + f->f_off + GSSF_HDRLEN,
	    toklen) == 0, "frame %zu: other bytes", r->r_nfound - 1);
}

/* relay_next_token(), the buffer logic exactly. */
static int
reader_next(struct reader *r)
{
	struct relay_dir	*rd = &r->r_dir;
	enum gssf_status	 st;
	size_t			 toklen, avail = rd->rd_len - rd->rd_off;

	if (avail == 0)
		return (0);
	st = gssframe_parse(rd->rd_buf + rd->rd_off, avail, r->r_mtyp,
	    &toklen);
	if (st == GSSF_MORE) {
		/* Make room for the rest of the frame. */
		if (rd->rd_off > 0) {
			memmove(rd->rd_buf, rd->rd_buf + rd->rd_off, avail);
			rd->rd_off = 0;
			rd->rd_len = avail;
		}
		return (0);
	}
	if (st != GSSF_OK) {
		r->r_err = st;
		return (-1);
	}
	reader_token(r, rd->rd_buf + rd->rd_off + GSSF_HDRLEN, toklen);
	rd->rd_off += GSSF_HDRLEN + toklen;
	if (rd->rd_off == rd->rd_len)
		rd->rd_off = rd->rd_len = 0;
	return (1);
}

/* relay_read_client(), with a read of at most want bytes. */
static void
reader_read(struct reader *r, size_t want)
{
	struct relay_dir	*rd = &r->r_dir;
	size_t			 n;

	if (rd->rd_len >= RELAY_BUFSZ)
		return;
	n = RELAY_BUFSZ - rd->rd_len;
	if (n > want)
		n = want;
	if (n > r->r_slen - r->r_spos)
		n = r->r_slen - r->r_spos;
	memcpy(rd->rd_buf + rd->rd_len, r->r_stream + r->r_spos, n);
	r->r_spos += n;
	rd->rd_len += n;
}

/* Take up to max frames (0: all whole ones); the last answer. */
static int
reader_take(struct reader *r, unsigned int max)
{
	unsigned int	 n = 0;
	int		 rv;

	while ((rv = reader_next(r)) == 1)
		if (max != 0 && ++n == max)
			break;
	return (rv);
}

/*
 * relay_dir_idle(), which relay_events() runs between two reads: an
 * empty buffer goes back to the pool, and the next read starts a fresh
 * one at offset 0.
 */
static void
reader_idle(struct reader *r)
{
	struct relay_dir	*rd = &r->r_dir;

	if (rd->rd_off == rd->rd_len)
		rd->rd_off = rd->rd_len = 0;
}

static void
reader_run(struct reader *r, const uint8_t *steps, size_t nsteps)
{
	struct relay_dir	*rd = &r->r_dir;
	size_t			 i;

	for (i = 0; i < nsteps; i++, steps += 3) {
		reader_read(r, steps[0] << 8 | steps[1]);
		if (reader_take(r, steps[2]) == -1)
			return;
		reader_idle(r);
	}
	for (;;) {
		if (reader_take(r, 0) == -1)
			return;
		reader_idle(r);
		if (r->r_spos == r->r_slen)
			return;
		FUZZ_CHECK(rd->rd_len < RELAY_BUFSZ, "stall: %zu bytes "
		    "buffered from %zu, no whole frame", rd->rd_len,
		    rd->rd_off);
		reader_read(r, SIZE_MAX);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct reader		 r;
	struct frame		*want;
	enum gssf_status	 end;
	size_t			 nsteps, left;

	if (len < 2)
		return (0);
	memset(&r, 0, sizeof(r));
	r.r_mtyp = 1 + buf[0] % 3;
	nsteps = buf[1];
	if (nsteps > (len - 2) / 3)
		nsteps = (len - 2) / 3;
	r.r_stream = buf + 2 + nsteps * 3;
	r.r_slen = len - 2 - nsteps * 3;
	r.r_dir.rd_buf = rd_buf;
	r.r_err = GSSF_OK;

	/* Every frame takes at least its header. */
	if ((want = calloc(r.r_slen / GSSF_HDRLEN + 1, sizeof(*want))) ==
	    NULL)
		abort();
	r.r_want = want;
	r.r_nwant = whole(r.r_stream, r.r_slen, r.r_mtyp, want, &end, &left);

	reader_run(&r, buf + 2, nsteps);

	FUZZ_CHECK(r.r_nfound == r.r_nwant, "%zu frames, want %zu",
	    r.r_nfound, r.r_nwant);
	if (end == GSSF_MORE) {
		FUZZ_CHECK(r.r_err == GSSF_OK, "error %d", r.r_err);
		FUZZ_CHECK(r.r_dir.rd_off == 0 && r.r_dir.rd_len == left,
		    "tail of %zu at %zu, want %zu", r.r_dir.rd_len,
		    r.r_dir.rd_off, left);
		FUZZ_CHECK(memcmp(r.r_dir.rd_buf, r.r_stream + r.r_slen - left,
		    left) == 0, "tail differs");
	} else
		FUZZ_CHECK(r.r_err == end, "ended with %d, want %d", r.r_err,
		    end);
	free(want);
	return (0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Exactly the relay's size, so that ASan sees any overrun. */
	if ((rd_buf = malloc(RELAY_BUFSZ)) == NULL)
		abort();
	return (0);
}

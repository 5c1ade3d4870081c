/*
 * RFC 1961 framing: every GSS-API message after the method selection is
 * ver(1) mtyp(1) len(2) token, except the abort message, which is just
 * ver(1) 0xff.  Headers only; what the token means is the caller's
 * business.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "gssframe.h"

const uint8_t gssframe_abort[GSSF_ABORTLEN] = {
	GSSF_VERSION, GSSF_MTYP_ABORT
};

enum gssf_status
gssframe_parse(const uint8_t *buf, size_t len, uint8_t mtyp, size_t *toklen)
{
	size_t	n;

	if (len < 1)
		return (GSSF_MORE);
	if (buf[0] != GSSF_VERSION)
		return (GSSF_BADVER);
	if (len < 2)
		return (GSSF_MORE);
	/* The abort message may come instead of any frame. */
	if (buf[1] == GSSF_MTYP_ABORT)
		return (GSSF_ABORT);
	if (buf[1] != mtyp)
		return (GSSF_BADTYPE);
	if (len < GSSF_HDRLEN)
		return (GSSF_MORE);
	n = (buf[2] << 8) | buf[3];
	*toklen = n;
	if (len - GSSF_HDRLEN < n)
		return (GSSF_MORE);
	return (GSSF_OK);
}

void
gssframe_header(uint8_t *out, uint8_t mtyp, size_t toklen)
{
	out[0] = GSSF_VERSION;
	out[1] = mtyp;
	out[2] = (toklen >> 8) & 0xff;
	out[3] = toklen & 0xff;
}

const char *
gssframe_strerror(enum gssf_status st)
{
	switch (st) {
	case GSSF_OK:
		return ("complete frame");
	case GSSF_MORE:
		return ("incomplete frame");
	case GSSF_ABORT:
		return ("the peer aborted the GSS-API negotiation");
	case GSSF_BADVER:
		return ("GSS-API message version is not 1");
	case GSSF_BADTYPE:
		return ("unexpected GSS-API message type");
	default:
		return ("unknown GSS-API framing status");
	}
}

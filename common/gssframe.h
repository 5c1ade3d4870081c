/*
 * RFC 1961 framing: ver(1) mtyp(1) len(2) token, and the abort message
 * ver(1) 0xff.  Decoding and encoding of headers only; the token bytes are
 * the caller's.  Shared by the front end, the relays and the client.
 */

#ifndef SOCKD_GSSFRAME_H
#define SOCKD_GSSFRAME_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define GSSF_VERSION		0x01
#define GSSF_MTYP_AUTH		0x01	/* context establishment */
#define GSSF_MTYP_PROTECT	0x02	/* protection-level subnegotiation */
#define GSSF_MTYP_DATA		0x03	/* encapsulated data */
#define GSSF_MTYP_ABORT		0xff

#define GSSF_HDRLEN		4
#define GSSF_ABORTLEN		2
#define GSSF_MAXTOKEN		65535

enum gssf_status {
	GSSF_OK = 0,		/* a whole frame is there */
	GSSF_MORE,		/* need more bytes */
	GSSF_ABORT,		/* the peer sent the abort message */
	GSSF_BADVER,		/* ver is not 1 */
	GSSF_BADTYPE		/* mtyp is not the one expected */
};

/*
 * Look at the bytes read so far.  With GSSF_OK, *toklen is the token's
 * length and the frame takes GSSF_HDRLEN + *toklen bytes.  The abort
 * message is recognised whatever mtyp was expected.  With GSSF_MORE and
 * the four header bytes read, *toklen is set too, so that the caller knows
 * how much is missing; otherwise *toklen is left alone.
 */
enum gssf_status gssframe_parse(const uint8_t *, size_t, uint8_t, size_t *);
/* Write a header for a token of toklen (<= GSSF_MAXTOKEN) bytes. */
void		 gssframe_header(uint8_t *, uint8_t, size_t);
/* The two bytes of the abort message. */
extern const uint8_t gssframe_abort[GSSF_ABORTLEN];
const char	*gssframe_strerror(enum gssf_status);

#endif /* SOCKD_GSSFRAME_H */

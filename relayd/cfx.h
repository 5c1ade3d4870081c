/*
 * RFC 4121 per-message tokens (Wrap tokens, with and without
 * confidentiality) for the AES enctypes of RFC 3962 and RFC 8009, on
 * libcrypto.  The relay's fast path: the keys come from the GSS-API
 * library's lucid export of an established context (relay_gss.c); this
 * module knows nothing of GSS-API, allocates nothing per token and logs
 * nothing.  Output buffers are the caller's, sized with cfx_wrap_size()
 * and cfx_unwrap_size().
 */

#ifndef SOCKD_RELAYD_CFX_H
#define SOCKD_RELAYD_CFX_H

#include <stddef.h>
#include <stdint.h>

#define CFX_HDRLEN	16		/* the Wrap token header */

/* Enctype numbers (RFC 3962, RFC 8009). */
#define CFX_AES128_SHA1		17
#define CFX_AES256_SHA1		18
#define CFX_AES128_SHA256	19
#define CFX_AES256_SHA384	20

enum cfx_status {
	CFX_OK,
	CFX_DEFECTIVE,		/* not a Wrap token this context accepts */
	CFX_BADMIC,		/* checksum, decryption or inner header */
	CFX_DUPLICATE,		/* sequence number seen before */
	CFX_OLD,		/* before the expected one (or the window) */
	CFX_GAP,		/* after the expected one, on a stream */
	CFX_UNSYNCED,		/* receive sequence not known yet */
	CFX_SEQSPACE,		/* no sequence number left to send */
	CFX_SPACE,		/* output buffer too small */
	CFX_CRYPTO		/* libcrypto failed */
};

struct cfx_ctx;

int		 cfx_init(void);
int		 cfx_enctype_supported(int);
const char	*cfx_enctype_name(int);
struct cfx_ctx	*cfx_new(int, const void *, size_t, int, int, uint64_t);
void		 cfx_free(struct cfx_ctx *);
const char	*cfx_name(const struct cfx_ctx *);
size_t		 cfx_wrap_size(const struct cfx_ctx *, int, size_t);
size_t		 cfx_wrap_limit(const struct cfx_ctx *, int, size_t);
size_t		 cfx_unwrap_size(size_t);
enum cfx_status	 cfx_wrap(struct cfx_ctx *, int, const void *, size_t,
		    void *, size_t, size_t *);
enum cfx_status	 cfx_unwrap(struct cfx_ctx *, int, const void *, size_t,
		    void *, size_t, size_t *, int *);
int		 cfx_token_seq(const void *, size_t, uint64_t *);
void		 cfx_recv_start(struct cfx_ctx *, uint64_t);
int		 cfx_recv_started(const struct cfx_ctx *);
uint64_t	 cfx_recv_next(const struct cfx_ctx *);
const char	*cfx_strerror(enum cfx_status);
void		 cfx_nfold(const uint8_t *, size_t, uint8_t *, size_t);

#endif /* SOCKD_RELAYD_CFX_H */

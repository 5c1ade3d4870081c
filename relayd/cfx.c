/*
 * RFC 4121 section 4.2 Wrap tokens on libcrypto, for the relay's fast
 * path.
 *
 * A Wrap token is a 16-byte header (TOK_ID 05 04, Flags, Filler FF, EC,
 * RRC, SND_SEQ) and a body.  With confidentiality the body is
 *	E(Ke, confounder | data | filler | header) | H
 * (EC counts the filler; the encrypted header copy has RRC 0), without it
 *	data | checksum(Kc, data | header with EC and RRC 0)
 * (EC counts the checksum).  A sender may rotate the body right by RRC
 * bytes; a receiver rotates it back.  We send EC 0 and RRC 0, as MIT
 * does, and take any RRC, and any EC the token's length allows, as
 * Heimdal (which sends RRC 28 or 12) and MIT do.
 *
 * The two profiles:
 *	RFC 3961/3962 (17, 18): keys by DK (n-fold and AES); H is
 *	    HMAC-SHA1-96 with Ki over confounder | plaintext.
 *	RFC 8009 (19, 20): keys by KDF-HMAC-SHA2; H is HMAC-SHA256-128 or
 *	    HMAC-SHA384-192 with Ki over IV | ciphertext.
 * Both encrypt with AES-CBC and ciphertext stealing, the last two blocks
 * always swapped, from a zero IV.  Ke, Ki and Kc come from the token key
 * with the key usage of the sender's role (RFC 4121 section 2).
 *
 * Every key schedule is made once per context: the AES contexts keep
 * theirs, the HMAC keys are kept as their padded blocks.  Per token there
 * is no allocation, only an IV reset and the digest contexts' re-init.
 */

#include <sys/types.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "cfx.h"

#define CFX_TOK_WRAP0		0x05
#define CFX_TOK_WRAP1		0x04
#define CFX_FILLER		0xff
#define CFX_FL_ACCEPTOR		0x01	/* SentByAcceptor */
#define CFX_FL_SEALED		0x02
#define CFX_FL_SUBKEY		0x04	/* AcceptorSubkey */

#define CFX_KU_ACCEPTOR_SEAL	22
#define CFX_KU_INITIATOR_SEAL	24
#define CFX_KEY_E		0xaa
#define CFX_KEY_I		0x55
#define CFX_KEY_C		0x99

#define CFX_BLOCK		16	/* AES, and the confounder */
#define CFX_MAXKEY		32
#define CFX_MDBLOCK		128	/* the largest digest block (SHA-384) */
#define CFX_MAXLEN		(1 << 30)	/* int lengths for EVP */
#define CFX_WINDOW		64	/* datagrams: bits in cx_seen */
#define CFX_CONFPOOL		(16 * CFX_BLOCK)	/* confounders */
/* Heimdal takes only 32-bit sequence numbers; stop before them. */
#define CFX_SEQMAX		0xffffffffULL

struct cfx_etype {
	int		 et_type;
	const char	*et_name;
	const char	*et_short;
	int		 et_rfc8009;	/* else the RFC 3961 simplified profile */
	size_t		 et_keylen;	/* base key and Ke */
	size_t		 et_klen;	/* Ki and Kc */
	size_t		 et_hlen;	/* truncated HMAC, in the token */
	const char	*et_cbc;
	const char	*et_ecb;
	const char	*et_md;
};

static const struct cfx_etype cfx_etypes[] = {
	{ CFX_AES128_SHA1, "aes128-cts-hmac-sha1-96", "cfx-aes128-sha1",
	    0, 16, 16, 12, "AES-128-CBC", "AES-128-ECB", "SHA1" },
	{ CFX_AES256_SHA1, "aes256-cts-hmac-sha1-96", "cfx-aes256-sha1",
	    0, 32, 32, 12, "AES-256-CBC", "AES-256-ECB", "SHA1" },
	{ CFX_AES128_SHA256, "aes128-cts-hmac-sha256-128",
	    "cfx-aes128-sha256", 1, 16, 16, 16, "AES-128-CBC", "AES-128-ECB",
	    "SHA256" },
	{ CFX_AES256_SHA384, "aes256-cts-hmac-sha384-192",
	    "cfx-aes256-sha384", 1, 32, 24, 24, "AES-256-CBC", "AES-256-ECB",
	    "SHA384" }
};
#define CFX_NETYPES	(sizeof(cfx_etypes) / sizeof(cfx_etypes[0]))

/* The algorithms, looked up once (fetched, with OpenSSL 3). */
struct cfx_alg {
	const EVP_CIPHER	*ca_cbc;
	const EVP_CIPHER	*ca_ecb;
	const EVP_MD		*ca_md;
};

#if defined(LIBRESSL_VERSION_NUMBER) || OPENSSL_VERSION_NUMBER < 0x30000000L
#define CFX_CIPHER(n)	EVP_get_cipherbyname(n)
#define CFX_DIGEST(n)	EVP_get_digestbyname(n)
#else
/* A fetched digest keeps EVP_DigestInit_ex() from fetching per call. */
#define CFX_CIPHER(n)	EVP_CIPHER_fetch(NULL, n, NULL)
#define CFX_DIGEST(n)	EVP_MD_fetch(NULL, n, NULL)
#endif

static struct cfx_alg	 cfx_algs[CFX_NETYPES];
static int		 cfx_ready;
static const uint8_t	 cfx_zero[CFX_BLOCK];

/* An HMAC key as its two padded blocks. */
struct cfx_mac {
	const EVP_MD	*cm_md;
	size_t		 cm_bsize;
	uint8_t		 cm_ipad[CFX_MDBLOCK];
	uint8_t		 cm_opad[CFX_MDBLOCK];
};

/* The keys of one direction: the tokens we send, or those we receive. */
struct cfx_dir {
	EVP_CIPHER_CTX	*cd_cbc;	/* Ke, CBC */
	EVP_CIPHER_CTX	*cd_ecb;	/* Ke, ECB decryption (receiving) */
	struct cfx_mac	 cd_ki;
	struct cfx_mac	 cd_kc;
};

struct cfx_ctx {
	const struct cfx_etype	*cx_et;
	int			 cx_initiator;
	int			 cx_subkey;	/* acceptor subkey asserted */
	uint64_t		 cx_sendseq;
	int			 cx_recvready;
	uint64_t		 cx_recvnext;	/* one past the highest taken */
	uint64_t		 cx_seen;	/* bit i: recvnext - 1 - i */
	EVP_MD_CTX		*cx_md;
	struct cfx_dir		 cx_send;
	struct cfx_dir		 cx_recv;
	uint8_t			 cx_conf[CFX_CONFPOOL];
	size_t			 cx_confoff;	/* next unused */
};

/*
 * A received body before its rotation is undone: byte i of the body as
 * sent is byte (i + rot) % len of the one received.  Any range of it is
 * one or two pieces of the received bytes.
 */
struct cfx_body {
	const uint8_t	*cb_p;
	size_t		 cb_len;
	size_t		 cb_rot;
};

struct cfx_piece {
	const uint8_t	*cp_p[2];
	size_t		 cp_n[2];
};

static void
cfx_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static uint16_t
cfx_get16(const uint8_t *p)
{
	return ((uint16_t)p[0] << 8 | p[1]);
}

static void
cfx_put32(uint8_t *p, uint32_t v)
{
	cfx_put16(p, v >> 16);
	cfx_put16(p + 2, v);
}

static void
cfx_put64(uint8_t *p, uint64_t v)
{
	cfx_put32(p, v >> 32);
	cfx_put32(p + 4, v);
}

static uint64_t
cfx_get64(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (v);
}

static const struct cfx_etype *
cfx_etype(int type, const struct cfx_alg **alg)
{
	size_t	 i;

	for (i = 0; i < CFX_NETYPES; i++)
		if (cfx_etypes[i].et_type == type) {
			if (alg != NULL)
				*alg = &cfx_algs[i];
			return (&cfx_etypes[i]);
		}
	return (NULL);
}

/*
 * Looks the algorithms up and draws from the random generator once, so
 * that both are ready before a sandbox; -1 if libcrypto lacks any.
 */
int
cfx_init(void)
{
	uint8_t	 b[CFX_BLOCK];
	size_t	 i;

	if (cfx_ready)
		return (0);
	for (i = 0; i < CFX_NETYPES; i++) {
		if (cfx_algs[i].ca_cbc == NULL)
			cfx_algs[i].ca_cbc = CFX_CIPHER(cfx_etypes[i].et_cbc);
		if (cfx_algs[i].ca_ecb == NULL)
			cfx_algs[i].ca_ecb = CFX_CIPHER(cfx_etypes[i].et_ecb);
		if (cfx_algs[i].ca_md == NULL)
			cfx_algs[i].ca_md = CFX_DIGEST(cfx_etypes[i].et_md);
		if (cfx_algs[i].ca_cbc == NULL || cfx_algs[i].ca_ecb == NULL ||
		    cfx_algs[i].ca_md == NULL)
			return (-1);
	}
	if (RAND_bytes(b, sizeof(b)) != 1)
		return (-1);
	cfx_ready = 1;
	return (0);
}

int
cfx_enctype_supported(int type)
{
	return (cfx_etype(type, NULL) != NULL);
}

const char *
cfx_enctype_name(int type)
{
	const struct cfx_etype	*et;

	return ((et = cfx_etype(type, NULL)) != NULL ? et->et_name : NULL);
}

const char *
cfx_name(const struct cfx_ctx *cx)
{
	return (cx->cx_et->et_short);
}

/*
 * RFC 3961 section 5.1: the input repeated to lcm(inlen, outlen) bytes,
 * each repetition rotated right by 13 bits more than the one before,
 * added up outlen bytes at a time in ones'-complement arithmetic.
 */
void
cfx_nfold(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
	unsigned int	 acc[64], carry, v;
	size_t		 a, b, lcm, k, nbits, rot, bit, t;

	memset(out, 0, outlen);
	if (inlen == 0 || outlen == 0 || outlen > 64 || inlen > 64)
		return;
	/* Euclid's gcd, for the lcm. */
	for (a = inlen, b = outlen; b != 0; t = a % b, a = b, b = t)
		;
	lcm = inlen / a * outlen;
	nbits = inlen * 8;
	memset(acc, 0, sizeof(acc));
	for (k = 0; k < lcm; k++) {
		/* Byte k % inlen of the repetition, whose first bit is this. */
		rot = (13 * (k / inlen)) % nbits;
		bit = (8 * (k % inlen) + nbits - rot) % nbits;
		v = (unsigned int)in[bit / 8] << 8 | in[(bit / 8 + 1) % inlen];
		acc[k % outlen] += (v >> (8 - bit % 8)) & 0xff;
	}
	for (carry = 0;;) {
		for (k = outlen; k-- > 0;) {
			v = acc[k] + carry;
			acc[k] = v & 0xff;
			carry = v >> 8;
		}
		if (carry == 0)
			break;
	}
	for (k = 0; k < outlen; k++)
		out[k] = acc[k];
}

static void
cfx_mac_key(struct cfx_mac *k, const EVP_MD *md, const uint8_t *key,
    size_t len)
{
	size_t	 i;

	k->cm_md = md;
	k->cm_bsize = EVP_MD_block_size(md);
	for (i = 0; i < k->cm_bsize; i++) {
		k->cm_ipad[i] = (i < len ? key[i] : 0) ^ 0x36;
		k->cm_opad[i] = (i < len ? key[i] : 0) ^ 0x5c;
	}
}

static int
cfx_mac_begin(EVP_MD_CTX *md, const struct cfx_mac *k)
{
	if (EVP_DigestInit_ex(md, k->cm_md, NULL) != 1 ||
	    EVP_DigestUpdate(md, k->cm_ipad, k->cm_bsize) != 1)
		return (-1);
	return (0);
}

static int
cfx_mac_add(EVP_MD_CTX *md, const void *p, size_t n)
{
	if (n > 0 && EVP_DigestUpdate(md, p, n) != 1)
		return (-1);
	return (0);
}

/* Finishes the HMAC into out, EVP_MAX_MD_SIZE bytes. */
static int
cfx_mac_end(EVP_MD_CTX *md, const struct cfx_mac *k, uint8_t *out)
{
	uint8_t		 inner[EVP_MAX_MD_SIZE];
	unsigned int	 n;
	int		 rv = -1;

	if (EVP_DigestFinal_ex(md, inner, &n) == 1 &&
	    EVP_DigestInit_ex(md, k->cm_md, NULL) == 1 &&
	    EVP_DigestUpdate(md, k->cm_opad, k->cm_bsize) == 1 &&
	    EVP_DigestUpdate(md, inner, n) == 1 &&
	    EVP_DigestFinal_ex(md, out, &n) == 1)
		rv = 0;
	explicit_bzero(inner, sizeof(inner));
	return (rv);
}

/*
 * RFC 3961 DK for AES: the n-folded constant encrypted, repeatedly, by
 * c, an ECB context with the base key.
 */
/*
 * The n-folded derivation constants, kept: a session uses six (Ke, Ki
 * and Kc of two key usages), always of the same four RFC 4121 usages,
 * and folding them anew was a twentieth of a relay's time per session.
 * Not secret: usage numbers and the octets 0xaa, 0x55 and 0x99.
 */
#define CFX_NFOLDS	16

static struct {
	uint8_t	 nf_cst[5];
	uint8_t	 nf_blk[CFX_BLOCK];
} cfx_nfolds[CFX_NFOLDS];
static size_t	 cfx_nnfolds;

static void
cfx_nfold_cst(const uint8_t *cst, uint8_t *blk)
{
	size_t	 i;

	for (i = 0; i < cfx_nnfolds; i++)
		if (memcmp(cfx_nfolds[i].nf_cst, cst, 5) == 0) {
			memcpy(blk, cfx_nfolds[i].nf_blk, CFX_BLOCK);
			return;
		}
	cfx_nfold(cst, 5, blk, CFX_BLOCK);
	if (cfx_nnfolds < CFX_NFOLDS) {
		memcpy(cfx_nfolds[cfx_nnfolds].nf_cst, cst, 5);
		memcpy(cfx_nfolds[cfx_nnfolds].nf_blk, blk, CFX_BLOCK);
		cfx_nnfolds++;
	}
}

static int
cfx_dk(const struct cfx_etype *et, EVP_CIPHER_CTX *c, const uint8_t *cst,
    uint8_t *out)
{
	uint8_t		 blk[CFX_BLOCK];
	size_t		 off, n;
	int		 outl, rv = -1;

	cfx_nfold_cst(cst, blk);
	for (off = 0; off < et->et_keylen; off += n) {
		if (EVP_EncryptUpdate(c, blk, &outl, blk, sizeof(blk)) != 1 ||
		    outl != sizeof(blk))
			goto done;
		n = et->et_keylen - off < sizeof(blk) ?
		    et->et_keylen - off : sizeof(blk);
		memcpy(out + off, blk, n);
	}
	rv = 0;
 done:
	explicit_bzero(blk, sizeof(blk));
	return (rv);
}

/*
 * RFC 8009 KDF-HMAC-SHA2(key, label, k): the first k bits of
 * HMAC(key, 00000001 | label | 00 | k as 32 bits).
 */
static int
cfx_kdf_sha2(const struct cfx_etype *et, const struct cfx_alg *alg,
    EVP_MD_CTX *md, const uint8_t *base, const uint8_t *label, uint8_t *out,
    size_t outlen)
{
	struct cfx_mac	 k;
	uint8_t		 msg[4 + 5 + 1 + 4], h[EVP_MAX_MD_SIZE];
	int		 rv;

	cfx_mac_key(&k, alg->ca_md, base, et->et_keylen);
	cfx_put32(msg, 1);
	memcpy(msg + 4, label, 5);
	msg[9] = 0;
	cfx_put32(msg + 10, outlen * 8);
	rv = -1;
	if (outlen <= (size_t)EVP_MD_size(alg->ca_md) &&
	    cfx_mac_begin(md, &k) == 0 &&
	    cfx_mac_add(md, msg, sizeof(msg)) == 0 &&
	    cfx_mac_end(md, &k, h) == 0) {
		memcpy(out, h, outlen);
		rv = 0;
	}
	explicit_bzero(&k, sizeof(k));
	explicit_bzero(h, sizeof(h));
	return (rv);
}

/* The base key where derivation needs it: DK encrypts with it. */
struct cfx_base {
	const uint8_t	*bk_key;
	EVP_CIPHER_CTX	*bk_ecb;	/* RFC 3961 only */
};

static int
cfx_derive(struct cfx_ctx *cx, const struct cfx_alg *alg,
    const struct cfx_base *base, int usage, uint8_t which, uint8_t *out,
    size_t outlen)
{
	uint8_t	 cst[5];

	cfx_put32(cst, usage);
	cst[4] = which;
	if (cx->cx_et->et_rfc8009)
		return (cfx_kdf_sha2(cx->cx_et, alg, cx->cx_md, base->bk_key,
		    cst, out, outlen));
	return (cfx_dk(cx->cx_et, base->bk_ecb, cst, out));
}

/* Ke, Ki and Kc of one key usage, in their contexts. */
static int
cfx_dir_init(struct cfx_ctx *cx, const struct cfx_alg *alg,
    struct cfx_dir *d, const struct cfx_base *base, int usage, int enc)
{
	const struct cfx_etype	*et = cx->cx_et;
	uint8_t			 ke[CFX_MAXKEY], k[CFX_MAXKEY];
	int			 rv = -1;

	if ((d->cd_cbc = EVP_CIPHER_CTX_new()) == NULL ||
	    (!enc && (d->cd_ecb = EVP_CIPHER_CTX_new()) == NULL))
		return (-1);
	if (cfx_derive(cx, alg, base, usage, CFX_KEY_E, ke, et->et_keylen) ==
	    -1 || EVP_CipherInit_ex(d->cd_cbc, alg->ca_cbc, NULL, ke, cfx_zero,
	    enc) != 1 || EVP_CIPHER_CTX_set_padding(d->cd_cbc, 0) != 1)
		goto done;
	if (!enc && (EVP_DecryptInit_ex(d->cd_ecb, alg->ca_ecb, NULL, ke,
	    NULL) != 1 || EVP_CIPHER_CTX_set_padding(d->cd_ecb, 0) != 1))
		goto done;
	if (cfx_derive(cx, alg, base, usage, CFX_KEY_I, k, et->et_klen) == -1)
		goto done;
	cfx_mac_key(&d->cd_ki, alg->ca_md, k, et->et_klen);
	if (cfx_derive(cx, alg, base, usage, CFX_KEY_C, k, et->et_klen) == -1)
		goto done;
	cfx_mac_key(&d->cd_kc, alg->ca_md, k, et->et_klen);
	rv = 0;
 done:
	explicit_bzero(ke, sizeof(ke));
	explicit_bzero(k, sizeof(k));
	return (rv);
}

/*
 * A context for the token key key (RFC 4121: the acceptor's subkey if it
 * asserted one, else the initiator's subkey or the session key) of the
 * given enctype, for our role; sendseq is the next sequence number to
 * send.  The receiving side starts with cfx_recv_start().
 */
struct cfx_ctx *
cfx_new(int type, const void *key, size_t keylen, int initiator,
    int acceptor_subkey, uint64_t sendseq)
{
	const struct cfx_alg	*alg;
	const struct cfx_etype	*et;
	struct cfx_ctx		*cx;
	struct cfx_base		 base;
	int			 su, ru, ok;

	if (cfx_init() == -1 || (et = cfx_etype(type, &alg)) == NULL ||
	    keylen != et->et_keylen || sendseq > CFX_SEQMAX)
		return (NULL);
	if ((cx = calloc(1, sizeof(*cx))) == NULL)
		return (NULL);
	cx->cx_et = et;
	cx->cx_initiator = initiator != 0;
	cx->cx_subkey = acceptor_subkey != 0;
	cx->cx_sendseq = sendseq;
	cx->cx_confoff = sizeof(cx->cx_conf);
	su = initiator ? CFX_KU_INITIATOR_SEAL : CFX_KU_ACCEPTOR_SEAL;
	ru = initiator ? CFX_KU_ACCEPTOR_SEAL : CFX_KU_INITIATOR_SEAL;
	base.bk_key = key;
	base.bk_ecb = NULL;
	ok = (cx->cx_md = EVP_MD_CTX_new()) != NULL;
	if (ok && !et->et_rfc8009)
		ok = (base.bk_ecb = EVP_CIPHER_CTX_new()) != NULL &&
		    EVP_EncryptInit_ex(base.bk_ecb, alg->ca_ecb, NULL, key,
		    NULL) == 1 && EVP_CIPHER_CTX_set_padding(base.bk_ecb, 0) == 1;
	ok = ok && cfx_dir_init(cx, alg, &cx->cx_send, &base, su, 1) == 0 &&
	    cfx_dir_init(cx, alg, &cx->cx_recv, &base, ru, 0) == 0;
	EVP_CIPHER_CTX_free(base.bk_ecb);
	if (!ok) {
		cfx_free(cx);
		return (NULL);
	}
	return (cx);
}

static void
cfx_dir_free(struct cfx_dir *d)
{
	EVP_CIPHER_CTX_free(d->cd_cbc);
	EVP_CIPHER_CTX_free(d->cd_ecb);
}

void
cfx_free(struct cfx_ctx *cx)
{
	if (cx == NULL)
		return;
	cfx_dir_free(&cx->cx_send);
	cfx_dir_free(&cx->cx_recv);
	EVP_MD_CTX_free(cx->cx_md);
	freezero(cx, sizeof(*cx));
}

static size_t
cfx_overhead(const struct cfx_ctx *cx, int conf)
{
	if (conf)
		return (CFX_HDRLEN + CFX_BLOCK + CFX_HDRLEN +
		    cx->cx_et->et_hlen);
	return (CFX_HDRLEN + cx->cx_et->et_hlen);
}

/* The token cfx_wrap() makes of len bytes; 0 if too long for us. */
size_t
cfx_wrap_size(const struct cfx_ctx *cx, int conf, size_t len)
{
	if (len > CFX_MAXLEN)
		return (0);
	return (len + cfx_overhead(cx, conf));
}

/* The most plaintext whose token fits maxtok bytes. */
size_t
cfx_wrap_limit(const struct cfx_ctx *cx, int conf, size_t maxtok)
{
	size_t	 o = cfx_overhead(cx, conf);

	if (maxtok > CFX_MAXLEN)
		maxtok = CFX_MAXLEN;
	return (maxtok > o ? maxtok - o : 0);
}

/* The output buffer cfx_unwrap() needs for a token of toklen bytes. */
size_t
cfx_unwrap_size(size_t toklen)
{
	return (toklen);
}

static void
cfx_header(const struct cfx_ctx *cx, int conf, uint64_t seq, uint8_t *h)
{
	h[0] = CFX_TOK_WRAP0;
	h[1] = CFX_TOK_WRAP1;
	h[2] = (cx->cx_initiator ? 0 : CFX_FL_ACCEPTOR) |
	    (conf ? CFX_FL_SEALED : 0) | (cx->cx_subkey ? CFX_FL_SUBKEY : 0);
	h[3] = CFX_FILLER;
	cfx_put16(h + 4, 0);		/* EC */
	cfx_put16(h + 6, 0);		/* RRC */
	cfx_put64(h + 8, seq);
}

static int
cfx_cbc(EVP_CIPHER_CTX *c, uint8_t *out, const uint8_t *in, size_t n,
    size_t *done)
{
	int	 outl;

	if (n == 0)
		return (0);
	if (EVP_CipherUpdate(c, out, &outl, in, n) != 1 || outl < 0)
		return (-1);
	*done += outl;
	return (0);
}

static int
cfx_cbc_reset(EVP_CIPHER_CTX *c)
{
	return (EVP_CipherInit_ex(c, NULL, NULL, NULL, cfx_zero, -1) == 1 ?
	    0 : -1);
}

/*
 * CBC with ciphertext stealing, in place, n >= 32: the blocks up to the
 * last whole one in CBC, then the zero-padded last (partial) block, and
 * the last two ciphertext blocks swapped, the second truncated.
 */
static int
cfx_cts_encrypt(EVP_CIPHER_CTX *c, uint8_t *p, size_t n)
{
	uint8_t	 last[CFX_BLOCK], pad[CFX_BLOCK];
	size_t	 dl = n % CFX_BLOCK ? n % CFX_BLOCK : CFX_BLOCK;
	size_t	 head = n - dl, done = 0;

	if (cfx_cbc_reset(c) == -1 || cfx_cbc(c, p, p, head, &done) == -1 ||
	    done != head)
		return (-1);
	memcpy(last, p + head - CFX_BLOCK, CFX_BLOCK);
	memset(pad, 0, sizeof(pad));
	memcpy(pad, p + head, dl);
	if (cfx_cbc(c, p + head - CFX_BLOCK, pad, CFX_BLOCK, &done) == -1 ||
	    done != head + CFX_BLOCK)
		return (-1);
	memcpy(p + head, last, dl);
	return (0);
}

/*
 * The last two blocks of a CTS ciphertext, t (17 to 32 bytes), in place,
 * the CBC context holding the chain of what came before: the stolen
 * block decrypted alone gives the tail of the block before it.
 */
static int
cfx_cts_tail(struct cfx_dir *d, uint8_t *t, size_t tlen)
{
	uint8_t	 dd[CFX_BLOCK], e[CFX_BLOCK];
	size_t	 dl = tlen - CFX_BLOCK, i, done = 0;
	int	 outl;

	if (EVP_DecryptUpdate(d->cd_ecb, dd, &outl, t, CFX_BLOCK) != 1 ||
	    outl != CFX_BLOCK)
		return (-1);
	memcpy(e, t + CFX_BLOCK, dl);
	memcpy(e + dl, dd + dl, CFX_BLOCK - dl);
	for (i = 0; i < dl; i++)
		t[CFX_BLOCK + i] ^= dd[i];
	if (cfx_cbc(d->cd_cbc, t, e, CFX_BLOCK, &done) == -1 ||
	    done != CFX_BLOCK)
		return (-1);
	return (0);
}

/*
 * A fresh random confounder.  RAND_bytes() costs more than a small
 * token's encryption, so they are drawn sixteen at a time, per context
 * (never shared across a fork), and wiped as they are used.
 */
static int
cfx_confounder(struct cfx_ctx *cx, uint8_t *out)
{
	if (cx->cx_confoff == sizeof(cx->cx_conf)) {
		if (RAND_bytes(cx->cx_conf, sizeof(cx->cx_conf)) != 1)
			return (-1);
		cx->cx_confoff = 0;
	}
	memcpy(out, cx->cx_conf + cx->cx_confoff, CFX_BLOCK);
	explicit_bzero(cx->cx_conf + cx->cx_confoff, CFX_BLOCK);
	cx->cx_confoff += CFX_BLOCK;
	return (0);
}

/* Wrap with confidentiality: header | E(conf | data | header) | H. */
static enum cfx_status
cfx_seal(struct cfx_ctx *cx, const uint8_t *in, size_t len, uint8_t *out)
{
	const struct cfx_etype	*et = cx->cx_et;
	struct cfx_dir		*d = &cx->cx_send;
	uint8_t			*p = out + CFX_HDRLEN, h[EVP_MAX_MD_SIZE];
	size_t			 n = CFX_BLOCK + len + CFX_HDRLEN;

	cfx_header(cx, 1, cx->cx_sendseq, out);
	if (cfx_confounder(cx, p) == -1)
		return (CFX_CRYPTO);
	if (len > 0)
		memcpy(p + CFX_BLOCK, in, len);
	memcpy(p + CFX_BLOCK + len, out, CFX_HDRLEN);
	if (!et->et_rfc8009 && (cfx_mac_begin(cx->cx_md, &d->cd_ki) == -1 ||
	    cfx_mac_add(cx->cx_md, p, n) == -1 ||
	    cfx_mac_end(cx->cx_md, &d->cd_ki, h) == -1))
		return (CFX_CRYPTO);
	if (cfx_cts_encrypt(d->cd_cbc, p, n) == -1)
		return (CFX_CRYPTO);
	if (et->et_rfc8009 && (cfx_mac_begin(cx->cx_md, &d->cd_ki) == -1 ||
	    cfx_mac_add(cx->cx_md, cfx_zero, CFX_BLOCK) == -1 ||
	    cfx_mac_add(cx->cx_md, p, n) == -1 ||
	    cfx_mac_end(cx->cx_md, &d->cd_ki, h) == -1))
		return (CFX_CRYPTO);
	memcpy(p + n, h, et->et_hlen);
	return (CFX_OK);
}

/* Wrap without: header | data | checksum of data | header (EC, RRC 0). */
static enum cfx_status
cfx_sign(struct cfx_ctx *cx, const uint8_t *in, size_t len, uint8_t *out)
{
	const struct cfx_etype	*et = cx->cx_et;
	struct cfx_dir		*d = &cx->cx_send;
	uint8_t			 h[EVP_MAX_MD_SIZE];

	cfx_header(cx, 0, cx->cx_sendseq, out);
	if (cfx_mac_begin(cx->cx_md, &d->cd_kc) == -1 ||
	    cfx_mac_add(cx->cx_md, in, len) == -1 ||
	    cfx_mac_add(cx->cx_md, out, CFX_HDRLEN) == -1 ||
	    cfx_mac_end(cx->cx_md, &d->cd_kc, h) == -1)
		return (CFX_CRYPTO);
	if (len > 0)
		memcpy(out + CFX_HDRLEN, in, len);
	memcpy(out + CFX_HDRLEN + len, h, et->et_hlen);
	cfx_put16(out + 4, et->et_hlen);
	return (CFX_OK);
}

/*
 * One Wrap token of len bytes of in, with confidentiality if conf, into
 * out (cap bytes, not overlapping in); its length in *outlen.
 */
enum cfx_status
cfx_wrap(struct cfx_ctx *cx, int conf, const void *in, size_t len,
    void *out, size_t cap, size_t *outlen)
{
	enum cfx_status	 st;
	size_t		 need = cfx_wrap_size(cx, conf, len);

	*outlen = 0;
	if (need == 0 || need > cap)
		return (CFX_SPACE);
	if (cx->cx_sendseq > CFX_SEQMAX)
		return (CFX_SEQSPACE);
	st = conf ? cfx_seal(cx, in, len, out) : cfx_sign(cx, in, len, out);
	if (st != CFX_OK)
		return (st);
	cx->cx_sendseq++;
	*outlen = need;
	return (CFX_OK);
}

static void
cfx_body_range(const struct cfx_body *b, size_t off, size_t n,
    struct cfx_piece *pc)
{
	size_t	 start;

	memset(pc, 0, sizeof(*pc));
	if (n == 0)
		return;
	start = (off + b->cb_rot) % b->cb_len;
	pc->cp_p[0] = b->cb_p + start;
	pc->cp_n[0] = b->cb_len - start < n ? b->cb_len - start : n;
	pc->cp_p[1] = b->cb_p;
	pc->cp_n[1] = n - pc->cp_n[0];
}

static void
cfx_body_copy(const struct cfx_body *b, size_t off, size_t n, uint8_t *dst)
{
	struct cfx_piece	 pc;

	cfx_body_range(b, off, n, &pc);
	if (pc.cp_n[0] > 0)
		memcpy(dst, pc.cp_p[0], pc.cp_n[0]);
	if (pc.cp_n[1] > 0)
		memcpy(dst + pc.cp_n[0], pc.cp_p[1], pc.cp_n[1]);
}

static int
cfx_body_mac(EVP_MD_CTX *md, const struct cfx_body *b, size_t off,
    size_t n)
{
	struct cfx_piece	 pc;

	cfx_body_range(b, off, n, &pc);
	if (cfx_mac_add(md, pc.cp_p[0], pc.cp_n[0]) == -1 ||
	    cfx_mac_add(md, pc.cp_p[1], pc.cp_n[1]) == -1)
		return (-1);
	return (0);
}

/* CBC over a range of whole blocks, continuing the context's chain. */
static int
cfx_body_cbc(EVP_CIPHER_CTX *c, const struct cfx_body *b, size_t off,
    size_t n, uint8_t *dst)
{
	struct cfx_piece	 pc;
	size_t			 done = 0;

	cfx_body_range(b, off, n, &pc);
	if (cfx_cbc(c, dst, pc.cp_p[0], pc.cp_n[0], &done) == -1 ||
	    cfx_cbc(c, dst + done, pc.cp_p[1], pc.cp_n[1], &done) == -1 ||
	    done != n)
		return (-1);
	return (0);
}

static int
cfx_check_mac(const uint8_t *h, const uint8_t *want, size_t len)
{
	return (CRYPTO_memcmp(h, want, len) == 0 ? 0 : -1);
}

/*
 * With confidentiality.  The ciphertext C is body[0, n) and H follows;
 * C decrypts to confounder | data | filler | header.  The confounder
 * block and the last two blocks (ciphertext stealing) are decrypted on
 * the stack, everything between straight into out, so the data starts at
 * out[0] whatever the rotation.
 */
static enum cfx_status
cfx_open(struct cfx_ctx *cx, const uint8_t *hdr, const struct cfx_body *b,
    uint16_t ec, uint8_t *out, size_t *len)
{
	const struct cfx_etype	*et = cx->cx_et;
	struct cfx_dir		*d = &cx->cx_recv;
	uint8_t			 conf[CFX_BLOCK], tail[2 * CFX_BLOCK];
	uint8_t			 h[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
	uint8_t			 ihdr[CFX_HDRLEN];
	size_t			 n, dl, tlen, head, dlen;

	if (b->cb_len < 2 * CFX_BLOCK + et->et_hlen)
		return (CFX_DEFECTIVE);
	n = b->cb_len - et->et_hlen;
	if (ec > n - 2 * CFX_BLOCK)
		return (CFX_DEFECTIVE);
	dlen = n - 2 * CFX_BLOCK - ec;
	dl = n % CFX_BLOCK ? n % CFX_BLOCK : CFX_BLOCK;
	tlen = CFX_BLOCK + dl;
	head = n - tlen;
	cfx_body_copy(b, n, et->et_hlen, want);

	/* RFC 8009: encrypt then MAC, so check before decrypting. */
	if (et->et_rfc8009) {
		if (cfx_mac_begin(cx->cx_md, &d->cd_ki) == -1 ||
		    cfx_mac_add(cx->cx_md, cfx_zero, CFX_BLOCK) == -1 ||
		    cfx_body_mac(cx->cx_md, b, 0, n) == -1 ||
		    cfx_mac_end(cx->cx_md, &d->cd_ki, h) == -1)
			return (CFX_CRYPTO);
		if (cfx_check_mac(h, want, et->et_hlen) == -1)
			return (CFX_BADMIC);
	}

	if (cfx_cbc_reset(d->cd_cbc) == -1)
		return (CFX_CRYPTO);
	if (head > 0 && (cfx_body_cbc(d->cd_cbc, b, 0, CFX_BLOCK, conf) ==
	    -1 || cfx_body_cbc(d->cd_cbc, b, CFX_BLOCK, head - CFX_BLOCK,
	    out) == -1))
		return (CFX_CRYPTO);
	cfx_body_copy(b, head, tlen, tail);
	if (cfx_cts_tail(d, tail, tlen) == -1)
		return (CFX_CRYPTO);

	if (!et->et_rfc8009) {
		if (cfx_mac_begin(cx->cx_md, &d->cd_ki) == -1 ||
		    (head > 0 && (cfx_mac_add(cx->cx_md, conf, CFX_BLOCK) ==
		    -1 || cfx_mac_add(cx->cx_md, out, head - CFX_BLOCK) ==
		    -1)) || cfx_mac_add(cx->cx_md, tail, tlen) == -1 ||
		    cfx_mac_end(cx->cx_md, &d->cd_ki, h) == -1)
			return (CFX_CRYPTO);
		if (cfx_check_mac(h, want, et->et_hlen) == -1)
			return (CFX_BADMIC);
	}

	/* The header inside must be the one outside, but for its RRC. */
	memcpy(ihdr, hdr, CFX_HDRLEN);
	memcpy(ihdr + 6, tail + tlen - CFX_HDRLEN + 6, 2);
	if (CRYPTO_memcmp(ihdr, tail + tlen - CFX_HDRLEN, CFX_HDRLEN) != 0)
		return (CFX_BADMIC);
	/* The data that ended up in the tail. */
	if (head > 0 && CFX_BLOCK + dlen > head)
		memcpy(out + head - CFX_BLOCK, tail, CFX_BLOCK + dlen - head);
	*len = dlen;
	explicit_bzero(tail, sizeof(tail));
	return (CFX_OK);
}

/* Without: body is data | checksum, EC the checksum's length. */
static enum cfx_status
cfx_verify(struct cfx_ctx *cx, const uint8_t *hdr, const struct cfx_body *b,
    uint16_t ec, uint8_t *out, size_t *len)
{
	const struct cfx_etype	*et = cx->cx_et;
	struct cfx_dir		*d = &cx->cx_recv;
	uint8_t			 h[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
	uint8_t			 zhdr[CFX_HDRLEN];
	size_t			 dlen;

	if (ec != et->et_hlen || b->cb_len < et->et_hlen)
		return (CFX_DEFECTIVE);
	dlen = b->cb_len - et->et_hlen;
	cfx_body_copy(b, 0, dlen, out);
	cfx_body_copy(b, dlen, et->et_hlen, want);
	memcpy(zhdr, hdr, CFX_HDRLEN);
	memset(zhdr + 4, 0, 4);
	if (cfx_mac_begin(cx->cx_md, &d->cd_kc) == -1 ||
	    cfx_mac_add(cx->cx_md, out, dlen) == -1 ||
	    cfx_mac_add(cx->cx_md, zhdr, CFX_HDRLEN) == -1 ||
	    cfx_mac_end(cx->cx_md, &d->cd_kc, h) == -1)
		return (CFX_CRYPTO);
	if (cfx_check_mac(h, want, et->et_hlen) == -1)
		return (CFX_BADMIC);
	*len = dlen;
	return (CFX_OK);
}

/*
 * The sequence number of a token whose protection held.  On a stream
 * only the next one is taken (GSS_C_SEQUENCE_FLAG: anything else was
 * replayed, reordered or follows a lost one); datagrams may skip ahead
 * or come late within CFX_WINDOW, but each is taken once.
 */
static enum cfx_status
cfx_seq(struct cfx_ctx *cx, uint64_t seq, int dgram)
{
	uint64_t	 back, shift;

	if (seq == UINT64_MAX)
		return (CFX_DEFECTIVE);
	if (seq >= cx->cx_recvnext) {
		if (seq != cx->cx_recvnext && !dgram)
			return (CFX_GAP);
		shift = seq - cx->cx_recvnext + 1;
		cx->cx_seen = shift >= CFX_WINDOW ? 1 :
		    cx->cx_seen << shift | 1;
		cx->cx_recvnext = seq + 1;
		return (CFX_OK);
	}
	back = cx->cx_recvnext - 1 - seq;
	if (back >= CFX_WINDOW)
		return (CFX_OLD);
	if (cx->cx_seen & (1ULL << back))
		return (CFX_DUPLICATE);
	if (!dgram)
		return (CFX_OLD);
	cx->cx_seen |= 1ULL << back;
	return (CFX_OK);
}

/*
 * Checks one token of toklen bytes and puts its plaintext at out[0] (cap
 * bytes, at least cfx_unwrap_size(toklen), not overlapping tok): length
 * in *outlen, whether it was sealed in *conf.  dgram selects the datagram
 * rule for sequence numbers.  Nothing changes unless CFX_OK.
 */
enum cfx_status
cfx_unwrap(struct cfx_ctx *cx, int dgram, const void *tokv, size_t toklen,
    void *out, size_t cap, size_t *outlen, int *conf)
{
	const uint8_t	*tok = tokv;
	struct cfx_body	 b;
	enum cfx_status	 st;
	size_t		 len = 0;
	uint8_t		 fl;
	int		 sealed;

	*outlen = 0;
	*conf = 0;
	if (!cx->cx_recvready)
		return (CFX_UNSYNCED);
	if (toklen < CFX_HDRLEN || toklen > CFX_MAXLEN ||
	    tok[0] != CFX_TOK_WRAP0 || tok[1] != CFX_TOK_WRAP1 ||
	    tok[3] != CFX_FILLER)
		return (CFX_DEFECTIVE);
	/* From our peer, not reflected; with the key the context uses. */
	fl = tok[2];
	if (((fl & CFX_FL_ACCEPTOR) != 0) != cx->cx_initiator ||
	    ((fl & CFX_FL_SUBKEY) != 0) != cx->cx_subkey)
		return (CFX_DEFECTIVE);
	if (cap < cfx_unwrap_size(toklen))
		return (CFX_SPACE);
	sealed = (fl & CFX_FL_SEALED) != 0;
	b.cb_p = tok + CFX_HDRLEN;
	b.cb_len = toklen - CFX_HDRLEN;
	b.cb_rot = b.cb_len > 0 ? cfx_get16(tok + 6) % b.cb_len : 0;
	if (sealed)
		st = cfx_open(cx, tok, &b, cfx_get16(tok + 4), out, &len);
	else
		st = cfx_verify(cx, tok, &b, cfx_get16(tok + 4), out, &len);
	if (st != CFX_OK)
		return (st);
	if ((st = cfx_seq(cx, cfx_get64(tok + 8), dgram)) != CFX_OK)
		return (st);
	*outlen = len;
	*conf = sealed;
	return (CFX_OK);
}

/* The SND_SEQ of what looks like a Wrap token; -1 if it does not. */
int
cfx_token_seq(const void *tokv, size_t toklen, uint64_t *seq)
{
	const uint8_t	*tok = tokv;

	if (toklen < CFX_HDRLEN || tok[0] != CFX_TOK_WRAP0 ||
	    tok[1] != CFX_TOK_WRAP1)
		return (-1);
	*seq = cfx_get64(tok + 8);
	return (0);
}

/*
 * Receiving starts after the token with sequence number seq, which the
 * caller verified some other way (the GSS-API library's gss_unwrap).
 */
void
cfx_recv_start(struct cfx_ctx *cx, uint64_t seq)
{
	cx->cx_recvready = 1;
	cx->cx_recvnext = seq + 1;
	cx->cx_seen = 1;
}

int
cfx_recv_started(const struct cfx_ctx *cx)
{
	return (cx->cx_recvready);
}

uint64_t
cfx_recv_next(const struct cfx_ctx *cx)
{
	return (cx->cx_recvnext);
}

const char *
cfx_strerror(enum cfx_status st)
{
	switch (st) {
	case CFX_OK:
		return ("no error");
	case CFX_DEFECTIVE:
		return ("defective token");
	case CFX_BADMIC:
		return ("checksum or decryption failed");
	case CFX_DUPLICATE:
		return ("duplicate token (replayed)");
	case CFX_OLD:
		return ("token out of sequence (old or reordered)");
	case CFX_GAP:
		return ("token out of sequence (one before it missing)");
	case CFX_UNSYNCED:
		return ("receive sequence not started");
	case CFX_SEQSPACE:
		return ("sequence numbers exhausted");
	case CFX_SPACE:
		return ("token too large");
	case CFX_CRYPTO:
		return ("libcrypto failed");
	}
	return ("unknown error");
}

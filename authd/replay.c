/*
 * A replay cache for accepted context tokens.
 *
 * Heimdal keeps none for GSS-API acceptors: gsskrb5_acceptor_start() in
 * lib/gssapi/krb5/accept_sec_context.c calls krb5_rd_req_ctx() with a
 * keytab and no replay cache, and krb5_rd_req() checks only the
 * authenticator's time against the clock skew.  Without this cache an
 * AP-REQ seen on the wire could be played to us again for as long as its
 * authenticator is within the skew, and although the thief could not use
 * the session (no session key), we would log a successful authentication
 * of someone who did not connect.
 *
 * We keep a SHA-256 digest of each token gss_accept_sec_context() took,
 * salted per process so that the bucket a token lands in can't be chosen
 * from outside.  An authenticator stamped t is accepted while
 * |now - t| <= skew, so a token first seen at now0 (t >= now0 - skew) may
 * come back until t + skew <= now0 + 2 * skew: entries live that long.
 *
 * Memory is bounded: a fixed table of entries, allocated once, chained in
 * hash buckets for O(1) lookups and in a queue in insertion order, from
 * whose head expired entries are purged as new ones come.  When the
 * table is full of live entries we refuse new authentications (fail
 * closed) rather than forget an entry early and let its token be played
 * again.  If the clock steps back, the queue is no longer in expiry order
 * and some entries stay longer than needed, never shorter.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "config.h"
#include "auth.h"

#define RP_DIGESTLEN	32	/* SHA-256 */
#define RP_SALTLEN	16
#define RP_NIL		UINT32_MAX
#define RP_MAXENTRIES	(1U << 24)

struct rp_entry {
	uint8_t		 re_digest[RP_DIGESTLEN];
	time_t		 re_expire;
	uint32_t	 re_hnext;	/* bucket chain, or the free list */
	uint32_t	 re_qnext;	/* insertion order */
};

struct replay {
	struct rp_entry	*rp_entries;
	uint32_t	*rp_buckets;
	uint32_t	 rp_mask;
	uint32_t	 rp_max;
	uint32_t	 rp_count;
	uint32_t	 rp_free;
	uint32_t	 rp_qhead;
	uint32_t	 rp_qtail;
	time_t		 rp_keep;
	uint8_t		 rp_salt[RP_SALTLEN];
	EVP_MD_CTX	*rp_md;
};

static int	 rp_digest(struct replay *, const void *, size_t, uint8_t *);
static uint32_t	 rp_bucket(const struct replay *, const uint8_t *);
static void	 rp_purge(struct replay *, time_t);
static int	 rp_lookup(const struct replay *, const uint8_t *);

/*
 * Creates a cache of at most max entries for a clock skew of skew
 * seconds.  It also computes one digest: OpenSSL may read its
 * configuration on first use, which must happen before the sandbox.
 */
struct replay *
auth_replay_create(size_t max, time_t skew)
{
	struct replay	*rp;
	uint8_t		 d[RP_DIGESTLEN];
	uint32_t	 i, n;

	if (max == 0 || max > RP_MAXENTRIES || skew < 0) {
		errno = EINVAL;
		return (NULL);
	}
	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		return (NULL);
	rp->rp_max = (uint32_t)max;
	rp->rp_keep = 2 * skew;
	for (n = 1; n < rp->rp_max; n <<= 1)
		;
	rp->rp_mask = n - 1;
	rp->rp_entries = calloc(rp->rp_max, sizeof(*rp->rp_entries));
	rp->rp_buckets = calloc(n, sizeof(*rp->rp_buckets));
	rp->rp_md = EVP_MD_CTX_new();
	if (rp->rp_entries == NULL || rp->rp_buckets == NULL ||
	    rp->rp_md == NULL) {
		auth_replay_free(rp);
		errno = ENOMEM;
		return (NULL);
	}
	for (i = 0; i < n; i++)
		rp->rp_buckets[i] = RP_NIL;
	for (i = 0; i + 1 < rp->rp_max; i++)
		rp->rp_entries[i].re_hnext = i + 1;
	rp->rp_entries[rp->rp_max - 1].re_hnext = RP_NIL;
	rp->rp_free = 0;
	rp->rp_qhead = rp->rp_qtail = RP_NIL;
	arc4random_buf(rp->rp_salt, sizeof(rp->rp_salt));
	if (rp_digest(rp, "", 0, d) == -1) {
		auth_replay_free(rp);
		errno = EIO;
		return (NULL);
	}
	return (rp);
}

void
auth_replay_free(struct replay *rp)
{
	if (rp == NULL)
		return;
	EVP_MD_CTX_free(rp->rp_md);
	free(rp->rp_entries);
	free(rp->rp_buckets);
	freezero(rp, sizeof(*rp));
}

size_t
auth_replay_count(const struct replay *rp)
{
	return (rp->rp_count);
}

static int
rp_digest(struct replay *rp, const void *buf, size_t len, uint8_t *d)
{
	unsigned int	 dlen = 0;

	if (EVP_DigestInit_ex(rp->rp_md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(rp->rp_md, rp->rp_salt,
	    sizeof(rp->rp_salt)) != 1 ||
	    EVP_DigestUpdate(rp->rp_md, buf, len) != 1 ||
	    EVP_DigestFinal_ex(rp->rp_md, d, &dlen) != 1 ||
	    dlen != RP_DIGESTLEN)
		return (-1);
	return (0);
}

static uint32_t
rp_bucket(const struct replay *rp, const uint8_t *d)
{
	uint32_t	 h;

	h = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
	    (uint32_t)d[3] << 24;
	return (h & rp->rp_mask);
}

/* Drop expired entries from the head of the queue. */
static void
rp_purge(struct replay *rp, time_t now)
{
	struct rp_entry	*e;
	uint32_t	 i, *pp;

	while ((i = rp->rp_qhead) != RP_NIL) {
		e = &rp->rp_entries[i];
		if (e->re_expire > now)
			break;
		for (pp = &rp->rp_buckets[rp_bucket(rp, e->re_digest)];
		    *pp != i; pp = &rp->rp_entries[*pp].re_hnext)
			;
		*pp = e->re_hnext;
		rp->rp_qhead = e->re_qnext;
		if (rp->rp_qhead == RP_NIL)
			rp->rp_qtail = RP_NIL;
		explicit_bzero(e, sizeof(*e));
		e->re_hnext = rp->rp_free;
		rp->rp_free = i;
		rp->rp_count--;
	}
}

static int
rp_lookup(const struct replay *rp, const uint8_t *d)
{
	uint32_t	 i;

	for (i = rp->rp_buckets[rp_bucket(rp, d)]; i != RP_NIL;
	    i = rp->rp_entries[i].re_hnext)
		if (memcmp(rp->rp_entries[i].re_digest, d, RP_DIGESTLEN) == 0)
			return (1);
	return (0);
}

/*
 * Returns 0 and remembers the token if it is new; -1 with errno EEXIST
 * if it was seen, ENOSPC if the cache is full (refuse: fail closed), or
 * EIO if the digest could not be computed.
 */
int
auth_replay_check_and_add(struct replay *rp, const void *buf, size_t len,
    time_t now)
{
	struct rp_entry	*e;
	uint8_t		 d[RP_DIGESTLEN];
	uint32_t	 i, b;

	if (rp_digest(rp, buf, len, d) == -1) {
		errno = EIO;
		return (-1);
	}
	rp_purge(rp, now);
	if (rp_lookup(rp, d)) {
		errno = EEXIST;
		return (-1);
	}
	if ((i = rp->rp_free) == RP_NIL) {
		errno = ENOSPC;
		return (-1);
	}
	e = &rp->rp_entries[i];
	rp->rp_free = e->re_hnext;
	memcpy(e->re_digest, d, sizeof(e->re_digest));
	e->re_expire = now + rp->rp_keep;
	b = rp_bucket(rp, d);
	e->re_hnext = rp->rp_buckets[b];
	rp->rp_buckets[b] = i;
	e->re_qnext = RP_NIL;
	if (rp->rp_qtail == RP_NIL)
		rp->rp_qhead = i;
	else
		rp->rp_entries[rp->rp_qtail].re_qnext = i;
	rp->rp_qtail = i;
	rp->rp_count++;
	return (0);
}

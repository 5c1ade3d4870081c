/*
 * A deterministic byte stream for byte-exact transfer tests: the same
 * seed always gives the same bytes, so a sender and a checker in
 * different processes agree without sharing a file.  xorshift64* is
 * enough here; the point is that a dropped, repeated or reordered chunk
 * shows up at once, not cryptographic quality.
 */

#ifndef TOOLS_PATTERN_H
#define TOOLS_PATTERN_H

#include <stddef.h>
#include <stdint.h>

struct pattern {
	uint64_t	pt_state;
	uint64_t	pt_word;
	unsigned int	pt_left;	/* bytes of pt_word not yet used */
};

static inline void
pattern_init(struct pattern *pt, uint64_t seed)
{
	/* One splitmix64 step so that nearby seeds give unrelated streams. */
	seed += 0x9e3779b97f4a7c15ULL;
	seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ULL;
	seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebULL;
	seed ^= seed >> 31;
	pt->pt_state = seed != 0 ? seed : 1;
	pt->pt_word = 0;
	pt->pt_left = 0;
}

static inline unsigned char
pattern_byte(struct pattern *pt)
{
	unsigned char	 c;

	if (pt->pt_left == 0) {
		pt->pt_state ^= pt->pt_state >> 12;
		pt->pt_state ^= pt->pt_state << 25;
		pt->pt_state ^= pt->pt_state >> 27;
		pt->pt_word = pt->pt_state * 0x2545f4914f6cdd1dULL;
		pt->pt_left = 8;
	}
	c = pt->pt_word & 0xff;
	pt->pt_word >>= 8;
	pt->pt_left--;
	return (c);
}

static inline void
pattern_fill(struct pattern *pt, unsigned char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		buf[i] = pattern_byte(pt);
}

#endif /* TOOLS_PATTERN_H */

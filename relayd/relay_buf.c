/*
 * Relay buffers: blocks of RELAY_BUFSZ (a whole RFC 1961 frame with its
 * header), for a direction's bytes and for the fast path's tokens.  A
 * direction holds one only while it has data in it, so that a session
 * that carried a transfer and then sits idle holds none (two 64 KiB
 * buffers per session, once touched, stayed resident before).  Blocks
 * given back wait in a pool for the next use: a busy relay takes them
 * from there, not from malloc(), chunk after chunk.
 */

#include <sys/types.h>

#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>		/* mallopt() */
#endif

#include "log.h"
#include "relayd.h"

#define RELAY_POOLMAX	64		/* 4 MiB kept at most */

static void	*relay_pool[RELAY_POOLMAX];
static int	 relay_npool;
static size_t	 relay_nbufs;		/* taken and not given back */

/*
 * Blocks freed beyond the pool must go back to the system, or a burst's
 * buffers stay resident for good.  glibc keeps freed blocks of this size
 * in its heap unless they are at least M_MMAP_THRESHOLD, which are
 * mapped on their own and unmapped when freed; OpenBSD's malloc maps
 * large blocks anyway.  (malloc, not mmap, so that AddressSanitizer
 * still sees the buffers' bounds.)
 */
void
relay_buf_init(void)
{
#ifdef M_MMAP_THRESHOLD
	/* AddressSanitizer's malloc refuses it, and needs it not. */
	(void)mallopt(M_MMAP_THRESHOLD, RELAY_BUFSZ);
#endif
}

void *
relay_buf_get(void)
{
	void	*p;

	if (relay_npool > 0)
		p = relay_pool[--relay_npool];
	else if ((p = malloc(RELAY_BUFSZ)) == NULL) {
		log_warn("%s", __func__);
		return (NULL);
	}
	relay_nbufs++;
	return (p);
}

/* NULL is fine. */
void
relay_buf_put(void *p)
{
	if (p == NULL)
		return;
	relay_nbufs--;
	if (relay_npool < RELAY_POOLMAX)
		relay_pool[relay_npool++] = p;
	else
		free(p);
}

/* For the stats line: blocks in use, and blocks waiting in the pool. */
size_t
relay_buf_used(void)
{
	return (relay_nbufs);
}

size_t
relay_buf_pooled(void)
{
	return (relay_npool);
}

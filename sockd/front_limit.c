/*
 * The front end's resource bounds: how many descriptors it has open (its
 * own count: there is no getdtablecount() on Linux, and /proc is outside
 * the chroot), how many negotiations each client address has in flight,
 * and how many sessions each relay carries.
 *
 * The front end accepts only while all three have room; otherwise it
 * stops accepting and lets the kernel's listen queue hold the clients,
 * which is the refusal a flood gets.  A relay is never sent more clients
 * than its descriptor budget allows: a relay that ran out of descriptors
 * while receiving one would lose its channel to the front end.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sockd.h"

#define LIMIT_FD_RESERVE	32	/* channels, listeners, libevent */
#define LIMIT_RELAY_FDS		4	/* client, target, and for BIND/UDP */
#define LIMIT_PER_SOURCE	32	/* negotiations per client address */

struct limit_source {
	RB_ENTRY(limit_source)	 ls_node;
	int			 ls_family;
	uint8_t			 ls_addr[16];
	int			 ls_count;
};

RB_HEAD(limit_tree, limit_source);
RB_PROTOTYPE(limit_tree, limit_source, ls_node, limit_cmp);

static struct limit_tree limit_sources = RB_INITIALIZER(&limit_sources);
static int		 limit_fds;		/* open in this process */
static int		 limit_fdmax;
static int		 limit_relaycap;	/* sessions per relay */
static int		 limit_relayload[SOCKD_MAXRELAYS];
static int		 limit_relayup[SOCKD_MAXRELAYS];
static int		 limit_nrelays;
static int		 limit_next;

int
limit_cmp(struct limit_source *a, struct limit_source *b)
{
	if (a->ls_family != b->ls_family)
		return (a->ls_family < b->ls_family ? -1 : 1);
	return (memcmp(a->ls_addr, b->ls_addr, sizeof(a->ls_addr)));
}

RB_GENERATE(limit_tree, limit_source, ls_node, limit_cmp)

/*
 * Budgets from RLIMIT_NOFILE, which the relays share with us (the parent
 * set it before starting everyone).
 */
void
limit_init(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1 << 20)
		rl.rlim_cur = 1 << 20;
	limit_fdmax = (int)rl.rlim_cur - LIMIT_FD_RESERVE;
	limit_relaycap = ((int)rl.rlim_cur - LIMIT_FD_RESERVE) /
	    LIMIT_RELAY_FDS;
	if (limit_fdmax < 1 || limit_relaycap < 1)
		fatalx("descriptor limit %lld is too low",
		    (long long)rl.rlim_cur);
	log_debug("%s: %d descriptors for clients, %d sessions per relay",
	    __func__, limit_fdmax, limit_relaycap);
}

void
limit_fd(int delta)
{
	limit_fds += delta;
}

int
limit_fd_room(void)
{
	return (limit_fds < limit_fdmax);
}

static void
limit_key(struct limit_source *key, const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin = (const void *)sa;
	const struct sockaddr_in6	*sin6 = (const void *)sa;

	memset(key, 0, sizeof(*key));
	key->ls_family = sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(key->ls_addr, &sin->sin_addr, sizeof(sin->sin_addr));
	else if (sa->sa_family == AF_INET6)
		memcpy(key->ls_addr, &sin6->sin6_addr, sizeof(sin6->sin6_addr));
}

/* One more negotiation from sa; -1 when it already has its share. */
int
limit_source_add(const struct sockaddr *sa)
{
	struct limit_source	 key, *ls;

	limit_key(&key, sa);
	if ((ls = RB_FIND(limit_tree, &limit_sources, &key)) == NULL) {
		if ((ls = malloc(sizeof(*ls))) == NULL)
			return (-1);
		*ls = key;
		RB_INSERT(limit_tree, &limit_sources, ls);
	}
	if (ls->ls_count >= LIMIT_PER_SOURCE)
		return (-1);
	ls->ls_count++;
	return (0);
}

void
limit_source_del(const struct sockaddr *sa)
{
	struct limit_source	 key, *ls;

	limit_key(&key, sa);
	if ((ls = RB_FIND(limit_tree, &limit_sources, &key)) == NULL)
		return;
	if (--ls->ls_count <= 0) {
		RB_REMOVE(limit_tree, &limit_sources, ls);
		free(ls);
	}
}

void
limit_relay_up(int r, int up)
{
	if (r < 0 || r >= SOCKD_MAXRELAYS)
		return;
	limit_relayup[r] = up;
	/* A new relay starts empty; the old one's sessions died with it. */
	limit_relayload[r] = 0;
	if (up && r + 1 > limit_nrelays)
		limit_nrelays = r + 1;
}

int
limit_relay_isup(int r)
{
	return (r >= 0 && r < SOCKD_MAXRELAYS && limit_relayup[r]);
}

/* Round robin over the relays that are up and have room. */
int
limit_relay_pick(void)
{
	int	 i, r;

	for (i = 0; i < limit_nrelays; i++) {
		r = (limit_next + i) % limit_nrelays;
		if (limit_relayup[r] && limit_relayload[r] < limit_relaycap) {
			limit_next = (r + 1) % limit_nrelays;
			limit_relayload[r]++;
			return (r);
		}
	}
	return (-1);
}

void
limit_relay_release(int r)
{
	if (r >= 0 && r < SOCKD_MAXRELAYS && limit_relayload[r] > 0)
		limit_relayload[r]--;
}

/* Could one more client be taken all the way to a relay now? */
int
limit_relay_room(void)
{
	int	 r;

	for (r = 0; r < limit_nrelays; r++)
		if (limit_relayup[r] && limit_relayload[r] < limit_relaycap)
			return (1);
	return (0);
}

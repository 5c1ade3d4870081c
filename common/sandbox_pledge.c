/*
 * OpenBSD: pledge(2) and unveil(2), the promises of the process table in
 * DESIGN.md.  unveil hides the whole file system first, so that even a
 * promise that reads files by itself ("dns": resolv.conf, hosts) finds
 * nothing beyond what the resolver loaded before the chroot.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "sandbox.h"

static int		 sb_entered;
static char		 sb_desc[32];

static const char *
sb_promises(enum sandbox_role role)
{
	switch (role) {
	case SANDBOX_FRONT:
		/*
		 * stdio: I/O on the clients and the imsg channels, time,
		 * memory.
		 * inet: accept(2) and getsockname(2) on the listeners the
		 * parent opened and passed.
		 * recvfd: descriptors from the parent on its channel.
		 * sendfd: each client's descriptor, handed to its relay.
		 */
		return ("stdio inet recvfd sendfd");
	case SANDBOX_AUTH:
		/* stdio: imsg with the parent, the front end, the relays. */
		return ("stdio");
	case SANDBOX_RELAY:
		/*
		 * stdio: I/O on clients, targets and imsg channels.
		 * inet: sockets to targets: connect, bind, listen, accept.
		 * dns: asr's queries for names in SOCKS requests.
		 * recvfd: the clients' descriptors from the front end.
		 */
		return ("stdio inet dns recvfd");
	}
	return (NULL);
}

int
sandbox_enter(enum sandbox_role role, int debug_log)
{
	const char	*promises;
	char		 buf[64];

	if (sb_entered) {
		errno = EALREADY;
		return (-1);
	}
	sandbox_leakcheck();
	if ((promises = sb_promises(role)) == NULL) {
		errno = EINVAL;
		return (-1);
	}
	/*
	 * "error": a call outside the promises fails with ENOSYS and is
	 * logged by the kernel instead of killing the process.
	 */
	if (debug_log) {
		(void)snprintf(buf, sizeof(buf), "%s error", promises);
		promises = buf;
	}
	/* Nothing of the file system stays visible, and that is final. */
	if (unveil("/", "") == -1 || unveil(NULL, NULL) == -1)
		return (-1);
	if (pledge(promises, NULL) == -1)
		return (-1);
	sb_entered = 1;
	(void)snprintf(sb_desc, sizeof(sb_desc), "pledge%s+unveil",
	    debug_log ? "(error)" : "");
	return (0);
}

const char *
sandbox_name(void)
{
	if (!sb_entered)
		return ("none");
	return (sb_desc);
}

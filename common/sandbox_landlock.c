/*
 * Landlock: the kernel's own denial of file system access, under the
 * seccomp filter of sandbox_seccomp.c.  seccomp answers the file calls
 * it knows with EACCES; Landlock also covers the ones a filter cannot
 * see through (a path inside an argument it cannot read, a call added
 * to the kernel after the filter was written).
 *
 * No rule is ever added: every access right the kernel knows is handled
 * and none is granted, so the process can open, create or execute
 * nothing.  From ABI 4 the front end and authd may not bind or connect
 * TCP sockets either (they have no business with the network beyond the
 * descriptors they were given), and from ABI 6 no sandboxed process may
 * reach an abstract unix socket or signal a process outside its domain.
 *
 * The header of an older system may lack the newer flags and fields, so
 * they are spelled out here; which ones the kernel takes is decided by
 * the ABI it reports, never by what this file was compiled with.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/landlock.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

/* Newer than some headers: ABI 3, 5, 4, 4, 6 and 6. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE		(1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV		(1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP		(1ULL << 0)
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP		(1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET	(1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL			(1ULL << 1)
#endif

/* ABI 1: from executing to making symbolic links, bits 0 to 12. */
#define LL_FS_ABI1	((1ULL << 13) - 1)

/*
 * struct landlock_ruleset_attr as the kernel of ABI 6 knows it.  The
 * kernel takes a shorter prefix from older callers, and refuses a longer
 * one with fields it does not know, so the size passed follows the ABI.
 */
struct ll_attr {
	uint64_t	 la_fs;
	uint64_t	 la_net;	/* ABI 4 */
	uint64_t	 la_scoped;	/* ABI 6 */
};

#define LL_ATTR_V1	(offsetof(struct ll_attr, la_net))
#define LL_ATTR_V4	(offsetof(struct ll_attr, la_scoped))
#define LL_ATTR_V6	(sizeof(struct ll_attr))

static int
ll_create_ruleset(const struct ll_attr *attr, size_t size, uint32_t flags)
{
	return (syscall(SYS_landlock_create_ruleset, attr, size, flags));
}

static int
ll_restrict_self(int fd)
{
	return (syscall(SYS_landlock_restrict_self, fd, 0));
}

/*
 * ENOSYS: a kernel built without Landlock; EOPNOTSUPP: built with it
 * but not enabled at boot.  Both mean seccomp alone.
 */
int
sandbox_landlock_abi(void)
{
	int	 abi;

	abi = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi == -1)
		return (0);
	return (abi);
}

static uint64_t
ll_fs_rights(int abi)
{
	uint64_t	 fs = LL_FS_ABI1;

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return (fs);
}

/* Fill attr for the role; returns the size of attr the kernel takes. */
static size_t
ll_attr_for(enum sandbox_role role, int abi, struct ll_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->la_fs = ll_fs_rights(abi);
	if (abi < 4)
		return (LL_ATTR_V1);
	/*
	 * Handled and never granted: the front end only accepts on the
	 * listeners the parent opened, authd has no network at all.  The
	 * relays connect and bind for their clients.
	 */
	if (role == SANDBOX_FRONT || role == SANDBOX_AUTH)
		attr->la_net = LANDLOCK_ACCESS_NET_BIND_TCP |
		    LANDLOCK_ACCESS_NET_CONNECT_TCP;
	if (abi < 6)
		return (LL_ATTR_V4);
	attr->la_scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET |
	    LANDLOCK_SCOPE_SIGNAL;
	return (LL_ATTR_V6);
}

int
sandbox_landlock_enter(enum sandbox_role role)
{
	struct ll_attr	 attr;
	size_t		 size;
	int		 abi, fd, saved;

	if ((abi = sandbox_landlock_abi()) == 0)
		return (0);
	if (role != SANDBOX_FRONT && role != SANDBOX_AUTH &&
	    role != SANDBOX_RELAY) {
		errno = EINVAL;
		return (-1);
	}
	/* Landlock wants it of an unprivileged caller; set it for all. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return (-1);
	size = ll_attr_for(role, abi, &attr);
	if ((fd = ll_create_ruleset(&attr, size, 0)) == -1)
		return (-1);
	if (ll_restrict_self(fd) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return (-1);
	}
	(void)close(fd);
	return (0);
}

/*
 * Sandboxes: the last step of every child's start (after chroot, the
 * privilege drop and the library warm-up), so that a bug in code that
 * reads the network cannot reach a key, the file system or a new kind of
 * socket.  One file per mechanism: sandbox_seccomp.c and
 * sandbox_landlock.c on Linux, sandbox_pledge.c on OpenBSD; the
 * Makefile picks them (SANDBOX_OBJS in mk/<system>.mk), never an #ifdef.
 *
 * The parent is not sandboxed: it forks and execs its children.
 */

#ifndef SOCKD_SANDBOX_H
#define SOCKD_SANDBOX_H

enum sandbox_role {
	SANDBOX_FRONT,		/* sockd -P front: accept, I/O, imsg */
	SANDBOX_AUTH,		/* authd: imsg only */
	SANDBOX_RELAY		/* relayd: also sockets to targets, DNS */
};

/*
 * Enter the role's sandbox for good.  Returns 0, or -1 with errno set;
 * the caller must then fatal(): a process never goes on without its
 * sandbox.  A second call fails with EALREADY and leaves the first
 * sandbox in place.  debug_log is a development switch, never a
 * default: a call outside the profile is then written to standard error
 * (number and name) and fails with ENOSYS instead of killing the
 * process.
 */
int		 sandbox_enter(enum sandbox_role, int);

/* What sandbox_enter() applied, e.g. "seccomp+landlock(abi 4)". */
const char	*sandbox_name(void);

/*
 * Linux only, for sandbox_seccomp.c and the tests: Landlock on its own.
 * sandbox_landlock_abi() is the kernel's Landlock ABI, 0 without
 * Landlock; only to be called before the seccomp filter is in place.
 * sandbox_landlock_enter() takes away all file system access (and, from
 * ABI 4, TCP bind and connect for the front end and authd); it returns
 * 0, also when the kernel has no Landlock, or -1 with errno set.
 */
int		 sandbox_landlock_abi(void);
int		 sandbox_landlock_enter(enum sandbox_role);

/*
 * LeakSanitizer's check needs /proc and ptrace, which neither a chroot
 * nor any sandbox profile leaves; a sandboxed process that runs it at
 * exit is killed.  So a sanitizer build runs the check once, now, before
 * the chroot (proc_privdrop) or the sandbox, and the runtime skips the
 * check at exit: leaks up to here are reported and fail the process.  A
 * no-op in every other build.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define SANDBOX_LSAN	1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_LSAN	1
#endif
#if defined(SANDBOX_LSAN) && defined(__linux__)
#include <sanitizer/lsan_interface.h>
static inline void
sandbox_leakcheck(void)
{
	__lsan_do_leak_check();
}
#else
static inline void
sandbox_leakcheck(void)
{
}
#endif

#endif /* SOCKD_SANDBOX_H */

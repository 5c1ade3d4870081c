/*
 * seccomp: an allowlist of system calls per process role, with libseccomp,
 * on top of Landlock (sandbox_landlock.c).  In the way of OpenSSH's
 * sandbox-seccomp-filter.c:
 *
 *  - anything not listed kills the whole process (SCMP_ACT_KILL_PROCESS),
 *    so a compromised front end or relay dies at its first step outside
 *    the profile, and the parent logs the SIGSYS;
 *  - calls with which libraries probe for files (glibc's stdio,
 *    Heimdal's krb5.conf, plugin directory and random seed files) are
 *    answered EACCES, which they already handle as a missing file;
 *  - no mapping may become executable, no process may be started or
 *    traced, and only a relay may make sockets, and only TCP and UDP
 *    ones.
 *
 * The lists come from strace(1) of the three daemons during real
 * sessions (GSS-API at every level, method none, names resolved over UDP
 * and, after truncation, TCP, a refused target, a restarted syslogd, a
 * SIGHUP key rotation), each group with the reason it is there.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "sandbox.h"

#define SB_FRONT	(1U << SANDBOX_FRONT)
#define SB_AUTH		(1U << SANDBOX_AUTH)
#define SB_RELAY	(1U << SANDBOX_RELAY)
#define SB_ALL		(SB_FRONT | SB_AUTH | SB_RELAY)

/* int arguments: compare the low 32 bits, as the kernel reads them. */
#define SB_INT		0xffffffffULL
#define SB_SOCKTYPE	(SB_INT & ~(uint64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC))

#define SB_MAXNR	1024	/* syscall numbers named in debug mode */

struct sb_call {
	int		 sc_nr;
	unsigned int	 sc_roles;
};

/* Allowed whatever the arguments: none widens what the process reaches. */
static const struct sb_call sb_allowed[] = {
	/* I/O on descriptors the process already holds. */
	{ SCMP_SYS(read),		SB_ALL },
	{ SCMP_SYS(readv),		SB_ALL },
	{ SCMP_SYS(write),		SB_ALL },
	{ SCMP_SYS(writev),		SB_ALL },
	{ SCMP_SYS(close),		SB_ALL },
	/*
	 * stdio on a descriptor (dprintf, fdopen) asks where it is; on
	 * sockets and pipes that is ESPIPE, and harmless.
	 */
	{ SCMP_SYS(lseek),		SB_ALL },
	/* imsg: messages and passed descriptors on the socketpairs. */
	{ SCMP_SYS(sendmsg),		SB_ALL },
	{ SCMP_SYS(recvmsg),		SB_ALL },
	/* libevent's loop, on the epoll descriptor made by event_init(). */
	{ SCMP_SYS(epoll_wait),		SB_ALL },
	{ SCMP_SYS(epoll_pwait),	SB_ALL },
	{ SCMP_SYS(epoll_ctl),		SB_ALL },
	{ SCMP_SYS(poll),		SB_ALL },
	{ SCMP_SYS(ppoll),		SB_ALL },
	/*
	 * Time: timers, log stamps, the replay cache, ticket checks.  The
	 * vDSO answers most of these without entering the kernel.
	 */
	{ SCMP_SYS(clock_gettime),	SB_ALL },
	{ SCMP_SYS(clock_getres),	SB_ALL },
	{ SCMP_SYS(gettimeofday),	SB_ALL },
	{ SCMP_SYS(time),		SB_ALL },
	{ SCMP_SYS(nanosleep),		SB_ALL },
	{ SCMP_SYS(clock_nanosleep),	SB_ALL },
	{ SCMP_SYS(restart_syscall),	SB_ALL },
	/*
	 * Randomness: session ids (arc4random), Heimdal's confounders and
	 * its generator's seed (which falls back to arc4random when it
	 * cannot open /dev/urandom), c-ares query ids.
	 */
	{ SCMP_SYS(getrandom),		SB_ALL },
	/* malloc(3); mmap and mprotect are checked for PROT_EXEC below. */
	{ SCMP_SYS(brk),		SB_ALL },
	{ SCMP_SYS(munmap),		SB_ALL },
	{ SCMP_SYS(mremap),		SB_ALL },
	{ SCMP_SYS(madvise),		SB_ALL },
	/* glibc's locks and Heimdal's pthread_once(). */
	{ SCMP_SYS(futex),		SB_ALL },
	/* Identities: syslog's LOG_PID, Heimdal's set-id checks. */
	{ SCMP_SYS(getpid),		SB_ALL },
	{ SCMP_SYS(gettid),		SB_ALL },
	{ SCMP_SYS(getuid),		SB_ALL },
	{ SCMP_SYS(geteuid),		SB_ALL },
	{ SCMP_SYS(getgid),		SB_ALL },
	{ SCMP_SYS(getegid),		SB_ALL },
	/* Signal handlers and masks: abort(3), the debug trap below. */
	{ SCMP_SYS(rt_sigaction),	SB_ALL },
	{ SCMP_SYS(rt_sigprocmask),	SB_ALL },
	{ SCMP_SYS(rt_sigreturn),	SB_ALL },
	/* The sanitizers (make SAN=...) ask for the signal stack. */
	{ SCMP_SYS(sigaltstack),	SB_ALL },
	/*
	 * glibc's qsort(3) asks for the memory size at its first large
	 * sort; c-ares sorts the addresses of an answer with it.
	 */
	{ SCMP_SYS(sysinfo),		SB_ALL },
	{ SCMP_SYS(exit),		SB_ALL },
	{ SCMP_SYS(exit_group),		SB_ALL },
	/* The front end accepts clients; the relay, for BIND, too. */
	{ SCMP_SYS(accept4),		SB_FRONT | SB_RELAY },
	{ SCMP_SYS(accept),		SB_RELAY },
	{ SCMP_SYS(getsockname),	SB_FRONT | SB_RELAY },
	/*
	 * The relay's targets and c-ares' resolver sockets: non-blocking
	 * connect and its SO_ERROR, the external address, half-close,
	 * TCP_NODELAY, UDP queries.
	 */
	{ SCMP_SYS(connect),		SB_RELAY },
	{ SCMP_SYS(bind),		SB_RELAY },
	{ SCMP_SYS(listen),		SB_RELAY },
	{ SCMP_SYS(getpeername),	SB_RELAY },
	{ SCMP_SYS(getsockopt),		SB_RELAY },
	{ SCMP_SYS(setsockopt),		SB_RELAY },
	{ SCMP_SYS(shutdown),		SB_RELAY },
	{ SCMP_SYS(sendto),		SB_RELAY },
	{ SCMP_SYS(recvfrom),		SB_RELAY },
};

/*
 * Answered EACCES in every role.  Libraries look for files on their own
 * schedule: Heimdal reads krb5.conf for each new krb5 context (authd's
 * gss_krb5_import_cred() makes one per negotiation) and, if its
 * mechanism was not warmed up before the chroot, probes its plugin
 * directory and random seed files; glibc's stdio asks fstat(2)
 * (newfstatat) about descriptors.  Each takes EACCES as "no such file"
 * and goes on with its defaults.  uname(2) is here too: gethostname(3)
 * for Kerberos name guessing may fail cleanly.
 */
static const int sb_fileprobes[] = {
	SCMP_SYS(open),
	SCMP_SYS(openat),
	SCMP_SYS(openat2),
	SCMP_SYS(creat),
	SCMP_SYS(stat),
	SCMP_SYS(lstat),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(statx),
	SCMP_SYS(statfs),
	SCMP_SYS(access),
	SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2),
	SCMP_SYS(readlink),
	SCMP_SYS(readlinkat),
	SCMP_SYS(uname),
};

/* The hot path of a relay: checked first. */
static const int sb_hot[] = {
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(writev),
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(recvmsg),
	SCMP_SYS(sendmsg),
};

static int		 sb_entered;
static char		 sb_desc[64];
static char		*sb_names[SB_MAXNR];

/*
 * libseccomp returns -errno.  A call this system does not have (a
 * pseudo number below zero) is no hole to close, and is skipped.
 */
static int
sb_rule(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned int argc,
    const struct scmp_arg_cmp *argv)
{
	int	 rc;

	if (nr < 0)
		return (0);
	if ((rc = seccomp_rule_add_array(ctx, action, nr, argc, argv)) < 0) {
		errno = -rc;
		return (-1);
	}
	return (0);
}

static int
sb_add_lists(scmp_filter_ctx ctx, unsigned int role)
{
	size_t	 i;

	for (i = 0; i < sizeof(sb_allowed) / sizeof(sb_allowed[0]); i++)
		if ((sb_allowed[i].sc_roles & role) &&
		    sb_rule(ctx, SCMP_ACT_ALLOW, sb_allowed[i].sc_nr, 0,
		    NULL) == -1)
			return (-1);
	for (i = 0; i < sizeof(sb_fileprobes) / sizeof(sb_fileprobes[0]); i++)
		if (sb_rule(ctx, SCMP_ACT_ERRNO(EACCES), sb_fileprobes[i], 0,
		    NULL) == -1)
			return (-1);
	for (i = 0; i < sizeof(sb_hot) / sizeof(sb_hot[0]); i++)
		(void)seccomp_syscall_priority(ctx, sb_hot[i], 255);
	return (0);
}

/* Memory, but never executable: no code can be brought in or made. */
static int
sb_add_memory(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp	 noexec[] = {
		SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)
	};

	if (sb_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, noexec) == -1 ||
	    sb_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    noexec) == -1)
		return (-1);
	return (0);
}

/* Signals to this process only: abort(3) raises SIGABRT with tgkill. */
static int
sb_add_signals(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp	 self[] = {
		SCMP_A0(SCMP_CMP_MASKED_EQ, SB_INT, (uint32_t)getpid())
	};

	if (sb_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, self) == -1 ||
	    sb_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, self) == -1)
		return (-1);
	return (0);
}

/* Descriptor flags (non-blocking sockets, close-on-exec), nothing more. */
static int
sb_add_fcntl(scmp_filter_ctx ctx)
{
	static const int	 cmds[] = {
		F_GETFD, F_SETFD, F_GETFL, F_SETFL
	};
	struct scmp_arg_cmp	 cmd[1];
	size_t			 i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		cmd[0] = SCMP_A1(SCMP_CMP_MASKED_EQ, SB_INT, cmds[i]);
		if (sb_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
		    cmd) == -1)
			return (-1);
	}
	return (0);
}

static int
sb_socket(scmp_filter_ctx ctx, uint32_t action, int domain, int type)
{
	struct scmp_arg_cmp	 args[] = {
		SCMP_A0(SCMP_CMP_MASKED_EQ, SB_INT, domain),
		SCMP_A1(SCMP_CMP_MASKED_EQ, SB_SOCKTYPE, type)
	};

	return (sb_rule(ctx, action, SCMP_SYS(socket), 2, args));
}

/*
 * Sockets.  glibc's syslog(3) makes a new AF_UNIX datagram socket when
 * a send to the old one fails (syslogd restarted); inside the chroot it
 * could not reach /dev/log anyway, so that one is refused with EACCES
 * rather than killing the process for a log line.  Only a relay makes
 * other sockets: TCP and UDP over IPv4 and IPv6.  The front end and
 * authd send only on sockets that are already connected (sendto with
 * no address: syslog).
 */
static int
sb_add_sockets(scmp_filter_ctx ctx, unsigned int role)
{
	struct scmp_arg_cmp	 noaddr[] = { SCMP_A4(SCMP_CMP_EQ, 0) };

	if (sb_socket(ctx, SCMP_ACT_ERRNO(EACCES), AF_UNIX,
	    SOCK_DGRAM) == -1)
		return (-1);
	if (role != SB_RELAY)
		return (sb_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendto), 1,
		    noaddr));
	if (sb_socket(ctx, SCMP_ACT_ALLOW, AF_INET, SOCK_STREAM) == -1 ||
	    sb_socket(ctx, SCMP_ACT_ALLOW, AF_INET, SOCK_DGRAM) == -1 ||
	    sb_socket(ctx, SCMP_ACT_ALLOW, AF_INET6, SOCK_STREAM) == -1 ||
	    sb_socket(ctx, SCMP_ACT_ALLOW, AF_INET6, SOCK_DGRAM) == -1)
		return (-1);
	return (0);
}

static scmp_filter_ctx
sb_filter(enum sandbox_role role, uint32_t defaction)
{
	scmp_filter_ctx	 ctx;
	unsigned int	 bit = 1U << role;
	int		 rc, saved;

	if ((ctx = seccomp_init(defaction)) == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	/* A call through another ABI (i386, x32) is never in the profile. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) < 0) {
		errno = -rc;
		goto fail;
	}
	if (sb_add_lists(ctx, bit) == -1 || sb_add_memory(ctx) == -1 ||
	    sb_add_signals(ctx) == -1 || sb_add_fcntl(ctx) == -1 ||
	    sb_add_sockets(ctx, bit) == -1)
		goto fail;
	return (ctx);
 fail:
	saved = errno;
	seccomp_release(ctx);
	errno = saved;
	return (NULL);
}

/* Async-signal-safe: a decimal number into buf, without a NUL. */
static size_t
sb_itoa(char *buf, size_t len, long n)
{
	char	 tmp[24];
	size_t	 i = 0, j;

	if (n < 0) {
		if (len > 0)
			buf[0] = '-';
		return (len > 0 ? 1 + sb_itoa(buf + 1, len - 1, -n) : 0);
	}
	do {
		tmp[i++] = '0' + n % 10;
		n /= 10;
	} while (n > 0 && i < sizeof(tmp));
	for (j = 0; j < i && j < len; j++)
		buf[j] = tmp[i - 1 - j];
	return (j);
}

static void
sb_append(char *buf, size_t len, size_t *off, const char *s)
{
	while (*s != '\0' && *off < len)
		buf[(*off)++] = *s++;
}

/*
 * Debug mode only: say which call left the profile, and make it fail
 * with ENOSYS so that the developer sees the next one too.
 */
static void
sb_sigsys(int sig, siginfo_t *si, void *arg)
{
	ucontext_t	*uc = arg;
	char		 msg[128];
	size_t		 off = 0;
	int		 nr = si->si_syscall, saved = errno;

	(void)sig;
	sb_append(msg, sizeof(msg), &off, "sandbox: syscall ");
	off += sb_itoa(msg + off, sizeof(msg) - off, nr);
	sb_append(msg, sizeof(msg), &off, " (");
	sb_append(msg, sizeof(msg), &off, nr >= 0 && nr < SB_MAXNR &&
	    sb_names[nr] != NULL ? sb_names[nr] : "?");
	sb_append(msg, sizeof(msg), &off, ") not allowed, failing it\n");
	(void)write(STDERR_FILENO, msg, off);
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#elif defined(__i386__)
	uc->uc_mcontext.gregs[REG_EAX] = -ENOSYS;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = -ENOSYS;
#else
	(void)uc;
#endif
	errno = saved;
}

/* The names are looked up now: the handler may not allocate. */
static int
sb_debug_setup(void)
{
	struct sigaction	 sa;
	int			 nr;

	for (nr = 0; nr < SB_MAXNR; nr++)
		if (sb_names[nr] == NULL)
			sb_names[nr] = seccomp_syscall_resolve_num_arch(
			    SCMP_ARCH_NATIVE, nr);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sb_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return (sigaction(SIGSYS, &sa, NULL));
}

/*
 * The trap needs a register to write the error into; elsewhere debug
 * mode falls back to the kernel's audit log and lets the call through.
 */
static uint32_t
sb_debug_action(void)
{
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
	return (SCMP_ACT_TRAP);
#else
	return (SCMP_ACT_LOG);
#endif
}

static void
sb_describe(int abi, int debug)
{
	if (abi > 0)
		(void)snprintf(sb_desc, sizeof(sb_desc),
		    "seccomp%s+landlock(abi %d)", debug ? "(debug)" : "", abi);
	else
		(void)snprintf(sb_desc, sizeof(sb_desc),
		    "seccomp%s (no landlock in this kernel)",
		    debug ? "(debug)" : "");
}

/*
 * Order: no_new_privs, the filter built (it allocates), Landlock, then
 * the filter loaded last, so that nothing after it needs a call that is
 * not in the profile.
 */
int
sandbox_enter(enum sandbox_role role, int debug_log)
{
	scmp_filter_ctx	 ctx;
	int		 abi, rc, saved;

	if (sb_entered) {
		errno = EALREADY;
		return (-1);
	}
	if (role != SANDBOX_FRONT && role != SANDBOX_AUTH &&
	    role != SANDBOX_RELAY) {
		errno = EINVAL;
		return (-1);
	}
	sandbox_leakcheck();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return (-1);
	if ((ctx = sb_filter(role, debug_log ? sb_debug_action() :
	    SCMP_ACT_KILL_PROCESS)) == NULL)
		return (-1);
	abi = sandbox_landlock_abi();
	if (sandbox_landlock_enter(role) == -1 ||
	    (debug_log && sb_debug_setup() == -1))
		goto fail;
	if ((rc = seccomp_load(ctx)) < 0) {
		errno = -rc;
		goto fail;
	}
	seccomp_release(ctx);
	sb_entered = 1;
	sb_describe(abi, debug_log);
	return (0);
 fail:
	saved = errno;
	seccomp_release(ctx);
	errno = saved;
	return (-1);
}

const char *
sandbox_name(void)
{
	if (!sb_entered)
		return ("none");
	return (sb_desc);
}

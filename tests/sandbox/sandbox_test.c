/*
 * The sandboxes of common/sandbox_*.c (on Linux: seccomp and Landlock),
 * tested the only way that proves anything: a forked child enters a
 * role's profile and makes a call; the parent sees it die of SIGSYS, or
 * reads from its exit status that the call failed with the errno the
 * profile promises.  Every forbidden call is also made once without a
 * sandbox (the "control" case), so that a test which cannot see a
 * success is caught.
 *
 * Descriptors the children need (pipes, socketpairs, a TCP listener on
 * 127.0.0.1) are made before the fork, as the daemons make theirs
 * before they enter the sandbox.
 */

#include <sys/types.h>

#include <atf-c.h>

#include "sandbox.h"

#ifdef __linux__
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What a child reports in its exit status. */
#define RES_OK		0	/* as the profile says */
#define RES_SUCCEEDED	1	/* a forbidden call worked */
#define RES_ERRNO	2	/* failed, with another errno */
#define RES_BROKEN	3	/* an allowed call failed */
#define RES_NOENTER	90	/* sandbox_enter() failed */

#define NOSANDBOX	(-1)	/* role for the control runs */

/* Made before the fork, inherited by the child. */
struct fixture {
	int			 pipe[2];
	int			 stream[2];	/* AF_UNIX, as imsg */
	int			 dgram[2];	/* AF_UNIX, as syslog */
	int			 lfd;		/* TCP listener */
	int			 tcp;		/* not connected */
	struct sockaddr_in	 laddr;
};

typedef int	(*child_fn)(struct fixture *);

static const char *
role_str(int role)
{
	switch (role) {
	case SANDBOX_FRONT:
		return ("front");
	case SANDBOX_AUTH:
		return ("authd");
	case SANDBOX_RELAY:
		return ("relay");
	}
	return ("no sandbox");
}

static void
fixture_make(struct fixture *fx)
{
	socklen_t	 len = sizeof(fx->laddr);

	memset(fx, 0, sizeof(*fx));
	ATF_REQUIRE(pipe(fx->pipe) == 0);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fx->stream) == 0);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM, 0, fx->dgram) == 0);
	ATF_REQUIRE((fx->lfd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	fx->laddr.sin_family = AF_INET;
	fx->laddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ATF_REQUIRE(bind(fx->lfd, (struct sockaddr *)&fx->laddr,
	    sizeof(fx->laddr)) == 0);
	ATF_REQUIRE(listen(fx->lfd, 8) == 0);
	ATF_REQUIRE(getsockname(fx->lfd, (struct sockaddr *)&fx->laddr,
	    &len) == 0);
	ATF_REQUIRE((fx->tcp = socket(AF_INET, SOCK_STREAM, 0)) != -1);
}

static void
fixture_free(struct fixture *fx)
{
	close(fx->pipe[0]);
	close(fx->pipe[1]);
	close(fx->stream[0]);
	close(fx->stream[1]);
	close(fx->dgram[0]);
	close(fx->dgram[1]);
	close(fx->lfd);
	close(fx->tcp);
}

/* Fork, enter the role's sandbox (unless NOSANDBOX), run fn. */
static int
run(int role, int debug, child_fn fn, struct fixture *fx)
{
	pid_t	 pid;
	int	 status;

	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		if (role != NOSANDBOX && sandbox_enter(role, debug) == -1)
			_exit(RES_NOENTER);
		_exit(fn(fx));
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	return (status);
}

static const char *
status_str(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		(void)snprintf(buf, len, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) == RES_SUCCEEDED)
		(void)snprintf(buf, len, "the call succeeded");
	else if (WEXITSTATUS(status) == RES_ERRNO)
		(void)snprintf(buf, len, "the call failed with another errno");
	else if (WEXITSTATUS(status) == RES_BROKEN)
		(void)snprintf(buf, len, "an allowed call failed");
	else if (WEXITSTATUS(status) == RES_NOENTER)
		(void)snprintf(buf, len, "sandbox_enter() failed");
	else
		(void)snprintf(buf, len, "exit status %d",
		    WEXITSTATUS(status));
	return (buf);
}

/* The child must die of sig. */
#define KILLED(role, fn, fx, sig) do {					\
	char	 _b[128];						\
	int	 _st = run((role), 0, (fn), (fx));			\
	ATF_CHECK_MSG(WIFSIGNALED(_st) && WTERMSIG(_st) == (sig),	\
	    "%s, %s: expected signal %d, got: %s",			\
	    role_str(role), #fn, (sig),					\
	    status_str(_st, _b, sizeof(_b)));				\
} while (0)

/* The child must exit with code. */
#define EXITED(role, fn, fx, code) do {					\
	char	 _b[128];						\
	int	 _st = run((role), 0, (fn), (fx));			\
	ATF_CHECK_MSG(WIFEXITED(_st) && WEXITSTATUS(_st) == (code),	\
	    "%s, %s: expected exit %d, got: %s",			\
	    role_str(role), #fn, (code),				\
	    status_str(_st, _b, sizeof(_b)));				\
} while (0)

/*
 * A line on stderr from a sandboxed child: snprintf and one write(2).
 * stdio's dprintf() would lseek(2) the descriptor, which no profile
 * allows.
 */
static void
say(const char *what, int error)
{
	char	 line[256];
	int	 n;

	n = snprintf(line, sizeof(line), "child: %s: %s\n", what,
	    strerror(error));
	if (n > 0 && (size_t)n < sizeof(line))
		(void)write(STDERR_FILENO, line, n);
}

static int
outcome(long ret, int want)
{
	if (ret != -1)
		return (RES_SUCCEEDED);
	if (errno != want) {
		say("unexpected errno", errno);
		return (RES_ERRNO);
	}
	return (RES_OK);
}

/* Forbidden calls: each returns RES_SUCCEEDED if the call worked. */

static int
c_open(struct fixture *fx)
{
	(void)fx;
	return (outcome(open("/etc/passwd", O_RDONLY), EACCES));
}

static int
c_stat(struct fixture *fx)
{
	struct stat	 st;

	(void)fx;
	return (outcome(stat("/etc/passwd", &st), EACCES));
}

static int
c_access(struct fixture *fx)
{
	(void)fx;
	return (outcome(access("/etc/passwd", R_OK), EACCES));
}

static int
c_readlink(struct fixture *fx)
{
	char	 buf[64];

	(void)fx;
	return (outcome(readlink("/proc/self/exe", buf, sizeof(buf)),
	    EACCES));
}

static int
c_fstat(struct fixture *fx)
{
	struct stat	 st;

	return (outcome(fstat(fx->pipe[0], &st), EACCES));
}

static int
c_uname(struct fixture *fx)
{
	struct utsname	 u;

	(void)fx;
	return (outcome(uname(&u), EACCES));
}

static int
c_socket_inet(struct fixture *fx)
{
	(void)fx;
	return (outcome(socket(AF_INET, SOCK_STREAM, 0), 0));
}

static int
c_socket_inet6(struct fixture *fx)
{
	(void)fx;
	return (outcome(socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0),
	    0));
}

static int
c_socket_udp(struct fixture *fx)
{
	(void)fx;
	return (outcome(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 0));
}

static int
c_socket_unix_stream(struct fixture *fx)
{
	(void)fx;
	return (outcome(socket(AF_UNIX, SOCK_STREAM, 0), 0));
}

/* glibc's syslog(3) reconnecting: refused, but not fatal. */
static int
c_socket_unix_dgram(struct fixture *fx)
{
	(void)fx;
	return (outcome(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	    EACCES));
}

static int
c_socket_raw(struct fixture *fx)
{
	(void)fx;
	return (outcome(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPERM));
}

static int
c_socket_netlink(struct fixture *fx)
{
	(void)fx;
	return (outcome(socket(AF_NETLINK, SOCK_DGRAM, 0), 0));
}

static int
c_socketpair(struct fixture *fx)
{
	int	 sv[2];

	(void)fx;
	return (outcome(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0));
}

static int
c_connect(struct fixture *fx)
{
	return (outcome(connect(fx->tcp, (struct sockaddr *)&fx->laddr,
	    sizeof(fx->laddr)), 0));
}

static int
c_bind(struct fixture *fx)
{
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return (outcome(bind(fx->tcp, (struct sockaddr *)&sin, sizeof(sin)),
	    0));
}

static int
c_accept(struct fixture *fx)
{
	/* Nobody connects: allowed, it would fail with EAGAIN. */
	return (outcome(accept4(fx->lfd, NULL, NULL, SOCK_NONBLOCK), 0));
}

static int
c_sendto_addr(struct fixture *fx)
{
	struct sockaddr_un	 sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, "/dev/log", sizeof(sun.sun_path));
	return (outcome(sendto(fx->dgram[0], "x", 1, 0,
	    (struct sockaddr *)&sun, sizeof(sun)), 0));
}

static int
c_execve(struct fixture *fx)
{
	char	*argv[] = { "true", NULL }, *envp[] = { NULL };

	(void)fx;
	return (outcome(execve("/bin/true", argv, envp), 0));
}

static int
c_ptrace(struct fixture *fx)
{
	(void)fx;
	return (outcome(ptrace(PTRACE_TRACEME, 0, NULL, NULL), 0));
}

static int
c_fork(struct fixture *fx)
{
	pid_t	 pid;

	(void)fx;
	if ((pid = fork()) == 0)
		_exit(0);
	if (pid != -1)
		(void)waitpid(pid, NULL, 0);
	return (outcome(pid, 0));
}

static int
c_mmap_exec(struct fixture *fx)
{
	void	*p;

	(void)fx;
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	return (outcome(p == MAP_FAILED ? -1 : 0, 0));
}

static int
c_mprotect_exec(struct fixture *fx)
{
	void	*p;

	(void)fx;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (RES_BROKEN);
	return (outcome(mprotect(p, 4096, PROT_READ | PROT_EXEC), 0));
}

static int
c_kill_parent(struct fixture *fx)
{
	(void)fx;
	return (outcome(kill(getppid(), 0), 0));
}

static int
c_ioctl(struct fixture *fx)
{
	int	 n;

	return (outcome(ioctl(fx->stream[0], FIONREAD, &n), 0));
}

static int
c_fcntl_dup(struct fixture *fx)
{
	return (outcome(fcntl(fx->pipe[0], F_DUPFD, 0), 0));
}

static int
c_dup(struct fixture *fx)
{
	return (outcome(dup(fx->pipe[0]), 0));
}

static int
c_mkdir(struct fixture *fx)
{
	(void)fx;
	return (outcome(mkdir("sandbox-made-this", 0700), EACCES));
}

/* Allowed paths: each returns RES_OK, or RES_BROKEN naming what failed. */

static int
broken(const char *what)
{
	say(what, errno);
	return (RES_BROKEN);
}

static int
a_memory_time_random(struct fixture *fx)
{
	struct timespec	 ts;
	uint8_t		 rnd[32], c = 0;
	char		*p, *q;

	if (write(fx->pipe[1], "ok", 2) != 2 ||
	    read(fx->pipe[0], rnd, 2) != 2 || memcmp(rnd, "ok", 2) != 0)
		return (broken("pipe"));
	/* The system call itself, not the vDSO. */
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) == -1 ||
	    clock_gettime(CLOCK_REALTIME, &ts) == -1 || time(NULL) == -1)
		return (broken("clock_gettime"));
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return (broken("getrandom"));
	(void)arc4random();
	/* Large enough for mmap, then mremap, then munmap. */
	if ((p = malloc(1024 * 1024)) == NULL)
		return (broken("malloc"));
	memset(p, 'x', 1024 * 1024);
	if ((q = realloc(p, 8 * 1024 * 1024)) == NULL)
		return (broken("realloc"));
	q[8 * 1024 * 1024 - 1] = c;
	free(q);
	if (getpid() == -1 || getuid() == (uid_t)-1)
		return (broken("ids"));
	if (fcntl(fx->pipe[0], F_SETFL, fcntl(fx->pipe[0], F_GETFL) |
	    O_NONBLOCK) == -1 || fcntl(fx->pipe[0], F_SETFD, FD_CLOEXEC) == -1)
		return (broken("fcntl"));
	if (kill(getpid(), 0) == -1)
		return (broken("kill self"));
	/* A log line through stdio, which seeks and stats its descriptor. */
	if (dprintf(fx->pipe[1], "%s", "log") != 3 ||
	    read(fx->pipe[0], rnd, 3) != 3)
		return (broken("dprintf"));
	return (RES_OK);
}

/* imsg's way: a message with a descriptor on a unix socketpair. */
static int
a_fdpass(struct fixture *fx)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}		 cmsgbuf;
	char		 c = 'm';
	int		 fd;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = &c;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(cm), &fx->pipe[1], sizeof(int));
	if (sendmsg(fx->stream[0], &msg, 0) != 1)
		return (broken("sendmsg"));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	if (recvmsg(fx->stream[1], &msg, 0) != 1 ||
	    (cm = CMSG_FIRSTHDR(&msg)) == NULL ||
	    cm->cmsg_type != SCM_RIGHTS)
		return (broken("recvmsg"));
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (write(fd, "p", 1) != 1 || close(fd) == -1)
		return (broken("passed descriptor"));
	/* syslog's send(2) on its connected socket. */
	if (send(fx->dgram[0], "<13>x", 5, MSG_NOSIGNAL) != 5 ||
	    read(fx->dgram[1], &c, 1) != 1)
		return (broken("send on a connected socket"));
	return (RES_OK);
}

/* The front end: a client arrives on a listener it was given. */
static int
a_front(struct fixture *fx)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 fd;

	/* connect(2) was made by the parent; accept4 it here. */
	if ((fd = accept4(fx->lfd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
		return (broken("accept4"));
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return (broken("getsockname"));
	if (write(fd, "hi", 2) != 2 || close(fd) == -1)
		return (broken("write to the client"));
	return (RES_OK);
}

/* A relay: a TCP connection and a UDP exchange, all on loopback. */
static int
a_relay_tcp(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 l, c, a, on = 1, err;
	char			 buf[2];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(l, 1) == -1 ||
	    getsockname(l, (struct sockaddr *)&sin, &len) == -1)
		return (broken("listener"));
	if ((c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1 ||
	    (connect(c, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS))
		return (broken("connect"));
	if ((a = accept(l, NULL, NULL)) == -1)
		return (broken("accept"));
	len = sizeof(err);
	if (getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err != 0)
		return (broken("SO_ERROR"));
	len = sizeof(sin);
	if (getpeername(a, (struct sockaddr *)&sin, &len) == -1)
		return (broken("getpeername"));
	if (write(a, "ok", 2) != 2 || shutdown(a, SHUT_WR) == -1)
		return (broken("write, shutdown"));
	if (fcntl(c, F_SETFL, 0) == -1 || read(c, buf, 2) != 2 ||
	    read(c, buf, 2) != 0)
		return (broken("read to EOF"));
	close(a);
	close(c);
	close(l);
	return (RES_OK);
}

static int
a_relay(struct fixture *fx)
{
	struct sockaddr_in	 sin, from;
	socklen_t		 len = sizeof(sin);
	int			 u, v;
	char			 buf[4];

	(void)fx;
	if (a_relay_tcp() != RES_OK)
		return (RES_BROKEN);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((u = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(u, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(u, (struct sockaddr *)&sin, &len) == -1 ||
	    (v = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)) == -1)
		return (broken("udp sockets"));
	if (sendto(v, "dns", 3, 0, (struct sockaddr *)&sin,
	    sizeof(sin)) != 3)
		return (broken("sendto"));
	len = sizeof(from);
	if (recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	    &len) != 3)
		return (broken("recvfrom"));
	if (socket(AF_INET6, SOCK_DGRAM, 0) == -1 &&
	    errno != EAFNOSUPPORT)
		return (broken("socket AF_INET6"));
	return (RES_OK);
}

/*
 * exit(3), as fatal() ends a daemon: atexit handlers and stdio flushes
 * run inside the sandbox.  (LeakSanitizer's check at exit traces the
 * process, which no profile allows: in a sanitizer build
 * sandbox_enter() runs it before the filter and the runtime skips it
 * at exit.)
 */
static int
a_exit(struct fixture *fx)
{
	(void)fx;
	exit(RES_OK);
}

static int
a_abort(struct fixture *fx)
{
	(void)fx;
	abort();
}

static int
a_twice(struct fixture *fx)
{
	(void)fx;
	if (sandbox_enter(SANDBOX_RELAY, 0) != -1 || errno != EALREADY)
		return (RES_BROKEN);
	if (strncmp(sandbox_name(), "seccomp", 7) != 0)
		return (RES_BROKEN);
	/* Still the front end's profile: this kills. */
	(void)socket(AF_INET, SOCK_STREAM, 0);
	return (RES_SUCCEEDED);
}

/* The checks every role shares. */
static void
common_checks(int role, struct fixture *fx)
{
	EXITED(role, c_open, fx, RES_OK);
	EXITED(role, c_stat, fx, RES_OK);
	EXITED(role, c_access, fx, RES_OK);
	EXITED(role, c_readlink, fx, RES_OK);
	EXITED(role, c_fstat, fx, RES_OK);
	EXITED(role, c_uname, fx, RES_OK);
	EXITED(role, c_socket_unix_dgram, fx, RES_OK);
	EXITED(role, a_memory_time_random, fx, RES_OK);
	EXITED(role, a_fdpass, fx, RES_OK);
	EXITED(role, a_exit, fx, RES_OK);
	KILLED(role, c_socket_unix_stream, fx, SIGSYS);
	KILLED(role, c_socket_netlink, fx, SIGSYS);
	KILLED(role, c_socketpair, fx, SIGSYS);
	KILLED(role, c_execve, fx, SIGSYS);
	KILLED(role, c_ptrace, fx, SIGSYS);
	KILLED(role, c_fork, fx, SIGSYS);
	KILLED(role, c_mmap_exec, fx, SIGSYS);
	KILLED(role, c_mprotect_exec, fx, SIGSYS);
	KILLED(role, c_kill_parent, fx, SIGSYS);
	KILLED(role, c_ioctl, fx, SIGSYS);
	KILLED(role, c_fcntl_dup, fx, SIGSYS);
	KILLED(role, c_dup, fx, SIGSYS);
	KILLED(role, c_mkdir, fx, SIGSYS);
	/* abort(3) still works, and says SIGABRT, not SIGSYS. */
	KILLED(role, a_abort, fx, SIGABRT);
}

ATF_TC(front);
ATF_TC_HEAD(front, tc)
{
	atf_tc_set_md_var(tc, "descr", "The front end's profile: accept, "
	    "I/O and imsg; no files, no new sockets, no connect, no exec");
}
ATF_TC_BODY(front, tc)
{
	struct fixture	 fx;
	int		 c;

	(void)tc;
	fixture_make(&fx);
	common_checks(SANDBOX_FRONT, &fx);
	KILLED(SANDBOX_FRONT, c_socket_inet, &fx, SIGSYS);
	KILLED(SANDBOX_FRONT, c_socket_inet6, &fx, SIGSYS);
	KILLED(SANDBOX_FRONT, c_socket_udp, &fx, SIGSYS);
	KILLED(SANDBOX_FRONT, c_socket_raw, &fx, SIGSYS);
	KILLED(SANDBOX_FRONT, c_connect, &fx, SIGSYS);
	KILLED(SANDBOX_FRONT, c_bind, &fx, SIGSYS);
	KILLED(SANDBOX_FRONT, c_sendto_addr, &fx, SIGSYS);
	/* A client waiting in the listen queue for the child. */
	ATF_REQUIRE((c = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	ATF_REQUIRE(connect(c, (struct sockaddr *)&fx.laddr,
	    sizeof(fx.laddr)) == 0);
	EXITED(SANDBOX_FRONT, a_front, &fx, RES_OK);
	close(c);
	fixture_free(&fx);
}

ATF_TC(auth);
ATF_TC_HEAD(auth, tc)
{
	atf_tc_set_md_var(tc, "descr", "authd's profile: imsg only; no "
	    "network at all, no files, no exec");
}
ATF_TC_BODY(auth, tc)
{
	struct fixture	 fx;

	(void)tc;
	fixture_make(&fx);
	common_checks(SANDBOX_AUTH, &fx);
	KILLED(SANDBOX_AUTH, c_socket_inet, &fx, SIGSYS);
	KILLED(SANDBOX_AUTH, c_socket_inet6, &fx, SIGSYS);
	KILLED(SANDBOX_AUTH, c_socket_udp, &fx, SIGSYS);
	KILLED(SANDBOX_AUTH, c_connect, &fx, SIGSYS);
	KILLED(SANDBOX_AUTH, c_bind, &fx, SIGSYS);
	KILLED(SANDBOX_AUTH, c_accept, &fx, SIGSYS);
	KILLED(SANDBOX_AUTH, c_sendto_addr, &fx, SIGSYS);
	fixture_free(&fx);
}

ATF_TC(relay);
ATF_TC_HEAD(relay, tc)
{
	atf_tc_set_md_var(tc, "descr", "A relay's profile: TCP and UDP "
	    "sockets over IPv4 and IPv6 only; no files, no exec");
}
ATF_TC_BODY(relay, tc)
{
	struct fixture	 fx;

	(void)tc;
	fixture_make(&fx);
	common_checks(SANDBOX_RELAY, &fx);
	EXITED(SANDBOX_RELAY, a_relay, &fx, RES_OK);
	KILLED(SANDBOX_RELAY, c_socket_raw, &fx, SIGSYS);
	fixture_free(&fx);
}

ATF_TC(control);
ATF_TC_HEAD(control, tc)
{
	atf_tc_set_md_var(tc, "descr", "Without a sandbox the forbidden "
	    "calls work, so the other cases can see a success");
}
ATF_TC_BODY(control, tc)
{
	struct fixture	 fx;

	(void)tc;
	fixture_make(&fx);
	EXITED(NOSANDBOX, c_open, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_stat, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_fstat, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_uname, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_socket_inet, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_socket_unix_stream, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_socket_unix_dgram, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_socketpair, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_fork, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_mmap_exec, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_mprotect_exec, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_kill_parent, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_ioctl, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_dup, &fx, RES_SUCCEEDED);
	EXITED(NOSANDBOX, c_bind, &fx, RES_SUCCEEDED);
	/* execve of /bin/true: exit 0, which reads as RES_OK. */
	EXITED(NOSANDBOX, c_execve, &fx, 0);
	KILLED(NOSANDBOX, a_abort, &fx, SIGABRT);
	fixture_free(&fx);
}

ATF_TC(twice);
ATF_TC_HEAD(twice, tc)
{
	atf_tc_set_md_var(tc, "descr", "A second sandbox_enter() fails "
	    "with EALREADY and leaves the first profile in place");
}
ATF_TC_BODY(twice, tc)
{
	struct fixture	 fx;

	(void)tc;
	fixture_make(&fx);
	KILLED(SANDBOX_FRONT, a_twice, &fx, SIGSYS);
	fixture_free(&fx);
}

static int
c_bad_role(struct fixture *fx)
{
	(void)fx;
	if (sandbox_enter((enum sandbox_role)42, 0) != -1 || errno != EINVAL)
		return (RES_BROKEN);
	if (strcmp(sandbox_name(), "none") != 0)
		return (RES_BROKEN);
	/* Nothing was entered: a socket is fine. */
	return (outcome(socket(AF_INET, SOCK_STREAM, 0), 0));
}

ATF_TC(bad_role);
ATF_TC_HEAD(bad_role, tc)
{
	atf_tc_set_md_var(tc, "descr", "An unknown role is refused with "
	    "EINVAL before anything is applied");
}
ATF_TC_BODY(bad_role, tc)
{
	struct fixture	 fx;

	(void)tc;
	fixture_make(&fx);
	EXITED(NOSANDBOX, c_bad_role, &fx, RES_SUCCEEDED);
	fixture_free(&fx);
}

/* Read /proc/PID/status while the child waits in its sandbox. */
static void
check_status(pid_t pid)
{
	char	 path[64], line[256];
	FILE	*fp;
	int	 nnp = 0, seccomp = 0;

	(void)snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	ATF_REQUIRE((fp = fopen(path, "r")) != NULL);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strcmp(line, "NoNewPrivs:\t1\n") == 0)
			nnp = 1;
		if (strcmp(line, "Seccomp:\t2\n") == 0)
			seccomp = 1;
	}
	fclose(fp);
	ATF_CHECK_MSG(nnp, "%s has no NoNewPrivs: 1", path);
	ATF_CHECK_MSG(seccomp, "%s has no Seccomp: 2 (filter mode)", path);
}

ATF_TC(proc_status);
ATF_TC_HEAD(proc_status, tc)
{
	atf_tc_set_md_var(tc, "descr", "The kernel shows a sandboxed "
	    "process with no_new_privs and a seccomp filter");
}
ATF_TC_BODY(proc_status, tc)
{
	int	 ready[2], go[2], status, role;
	pid_t	 pid;
	char	 c;

	(void)tc;
	for (role = SANDBOX_FRONT; role <= SANDBOX_RELAY; role++) {
		ATF_REQUIRE(pipe(ready) == 0 && pipe(go) == 0);
		ATF_REQUIRE((pid = fork()) != -1);
		if (pid == 0) {
			if (sandbox_enter(role, 0) == -1)
				_exit(RES_NOENTER);
			if (write(ready[1], "r", 1) != 1 ||
			    read(go[0], &c, 1) != 1)
				_exit(RES_BROKEN);
			_exit(RES_OK);
		}
		ATF_REQUIRE(read(ready[0], &c, 1) == 1);
		check_status(pid);
		ATF_REQUIRE(write(go[1], "g", 1) == 1);
		ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
		ATF_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == RES_OK);
		close(ready[0]);
		close(ready[1]);
		close(go[0]);
		close(go[1]);
	}
}

/* Landlock alone, without the seccomp filter over it. */
static int
landlock_run(int role, child_fn fn, struct fixture *fx)
{
	pid_t	 pid;
	int	 status;

	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		if (sandbox_landlock_enter(role) == -1)
			_exit(RES_NOENTER);
		_exit(fn(fx));
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	return (status);
}

#define LL_EXITED(role, fn, fx, code) do {				\
	char	 _b[128];						\
	int	 _st = landlock_run((role), (fn), (fx));		\
	ATF_CHECK_MSG(WIFEXITED(_st) && WEXITSTATUS(_st) == (code),	\
	    "landlock %s, %s: expected exit %d, got: %s",		\
	    role_str(role), #fn, (code), status_str(_st, _b,		\
	    sizeof(_b)));						\
} while (0)

static int
l_connect(struct fixture *fx)
{
	return (outcome(connect(fx->tcp, (struct sockaddr *)&fx->laddr,
	    sizeof(fx->laddr)), EACCES));
}

static int
l_execve(struct fixture *fx)
{
	char	*argv[] = { "true", NULL }, *envp[] = { NULL };

	(void)fx;
	return (outcome(execve("/bin/true", argv, envp), EACCES));
}

static struct sockaddr_un	 l_abstract;

static int
l_abstract_connect(struct fixture *fx)
{
	int	 s;

	(void)fx;
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return (RES_BROKEN);
	return (outcome(connect(s, (struct sockaddr *)&l_abstract,
	    offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(l_abstract.sun_path + 1)), EPERM));
}

static int
l_signal_parent(struct fixture *fx)
{
	(void)fx;
	return (outcome(kill(getppid(), 0), EPERM));
}

ATF_TC(landlock);
ATF_TC_HEAD(landlock, tc)
{
	atf_tc_set_md_var(tc, "descr", "Landlock on its own denies the "
	    "file system, TCP for the front end and authd (ABI 4), abstract "
	    "sockets and signals out of the domain (ABI 6)");
}
ATF_TC_BODY(landlock, tc)
{
	struct fixture	 fx;
	socklen_t	 len;
	int		 abi, role, as;

	(void)tc;
	if ((abi = sandbox_landlock_abi()) == 0)
		atf_tc_skip("this kernel has no Landlock");
	fixture_make(&fx);
	for (role = SANDBOX_FRONT; role <= SANDBOX_RELAY; role++) {
		LL_EXITED(role, c_open, &fx, RES_OK);
		LL_EXITED(role, c_mkdir, &fx, RES_OK);
		LL_EXITED(role, l_execve, &fx, RES_OK);
	}
	if (abi >= 4) {
		LL_EXITED(SANDBOX_FRONT, l_connect, &fx, RES_OK);
		LL_EXITED(SANDBOX_AUTH, l_connect, &fx, RES_OK);
		/* The relays must reach their targets. */
		LL_EXITED(SANDBOX_RELAY, l_connect, &fx, RES_SUCCEEDED);
	}
	if (abi >= 6) {
		memset(&l_abstract, 0, sizeof(l_abstract));
		l_abstract.sun_family = AF_UNIX;
		(void)snprintf(l_abstract.sun_path + 1,
		    sizeof(l_abstract.sun_path) - 1, "sockd-sandbox-test-%ld",
		    (long)getpid());
		len = offsetof(struct sockaddr_un, sun_path) + 1 +
		    strlen(l_abstract.sun_path + 1);
		ATF_REQUIRE((as = socket(AF_UNIX, SOCK_STREAM, 0)) != -1);
		ATF_REQUIRE(bind(as, (struct sockaddr *)&l_abstract,
		    len) == 0);
		ATF_REQUIRE(listen(as, 8) == 0);
		for (role = SANDBOX_FRONT; role <= SANDBOX_RELAY; role++) {
			LL_EXITED(role, l_abstract_connect, &fx, RES_OK);
			LL_EXITED(role, l_signal_parent, &fx, RES_OK);
		}
		close(as);
	}
	fixture_free(&fx);
}

static int
d_trapped(struct fixture *fx)
{
	char	*argv[] = { "true", NULL }, *envp[] = { NULL };

	(void)fx;
	if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != ENOSYS)
		return (RES_BROKEN);
	if (execve("/bin/true", argv, envp) != -1 || errno != ENOSYS)
		return (RES_BROKEN);
	/* File probes keep their EACCES. */
	return (outcome(open("/etc/passwd", O_RDONLY), EACCES));
}

ATF_TC(debug_log);
ATF_TC_HEAD(debug_log, tc)
{
	atf_tc_set_md_var(tc, "descr", "With debug_log a call outside the "
	    "profile is named on stderr and fails with ENOSYS");
}
ATF_TC_BODY(debug_log, tc)
{
	char	 out[4096];
	ssize_t	 n;
	size_t	 len = 0;
	pid_t	 pid;
	int	 p[2], status;

	(void)tc;
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		if (dup2(p[1], STDERR_FILENO) == -1)
			_exit(RES_BROKEN);
		if (sandbox_enter(SANDBOX_FRONT, 1) == -1)
			_exit(RES_NOENTER);
		if (strstr(sandbox_name(), "debug") == NULL)
			_exit(RES_BROKEN);
		_exit(d_trapped(NULL));
	}
	close(p[1]);
	while (len < sizeof(out) - 1 &&
	    (n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(p[0]);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == RES_OK,
	    "child: %d/%d, stderr: %s", WIFEXITED(status) ?
	    WEXITSTATUS(status) : -1, WIFSIGNALED(status) ?
	    WTERMSIG(status) : 0, out);
	ATF_CHECK_MSG(strstr(out, "(socket) not allowed") != NULL,
	    "no socket in: %s", out);
	ATF_CHECK_MSG(strstr(out, "(execve) not allowed") != NULL,
	    "no execve in: %s", out);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, front);
	ATF_TP_ADD_TC(tp, auth);
	ATF_TP_ADD_TC(tp, relay);
	ATF_TP_ADD_TC(tp, control);
	ATF_TP_ADD_TC(tp, twice);
	ATF_TP_ADD_TC(tp, bad_role);
	ATF_TP_ADD_TC(tp, proc_status);
	ATF_TP_ADD_TC(tp, landlock);
	ATF_TP_ADD_TC(tp, debug_log);
	return (atf_no_error());
}
#else /* !__linux__ */

/*
 * pledge(2) kills with SIGABRT and lets the front end and relays make
 * some sockets; its expectations are not written yet.
 */
ATF_TC_WITHOUT_HEAD(pledge);
ATF_TC_BODY(pledge, tc)
{
	(void)tc;
	atf_tc_skip("the pledge profiles have no test yet; %s is tested "
	    "on Linux", "common/sandbox_*.c");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, pledge);
	return (atf_no_error());
}
#endif /* __linux__ */

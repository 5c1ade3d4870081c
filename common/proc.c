/*
 * imsg channels on libevent, in the way of OpenBSD's imsg_event_add():
 * wait for writability only while something is queued, and dispatch each
 * complete message to the owner of the channel.
 *
 * A message is written as soon as it is composed, and the write event
 * is added only if the socket would not take it all.  Both events are
 * persistent and change only when the need to write does: re-adding the
 * channel's event after every message was two epoll_ctl() calls a time,
 * up to thirty per session in the front end.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <event.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "proc.h"
#include "proto.h"
#include "sandbox.h"
#include "util.h"

static void	 proc_chan_handler(int, short, void *);

#ifdef __linux__
#include <sys/prctl.h>

/*
 * Not dumpable: no core, and no ptrace by another process of the same
 * uid (authd may share a user with the front end).
 */
static int
proc_nodump(void)
{
	return (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
}
#else
/* OpenBSD: set-id and pledged processes are not traced by peers. */
static int
proc_nodump(void)
{
	return (0);
}
#endif

void
proc_chan_init(struct proc_chan *pc, int fd, const char *name, int fdpass,
    void (*dispatch)(struct proc_chan *, struct imsg *),
    void (*closed)(struct proc_chan *), void *arg)
{
	memset(pc, 0, sizeof(*pc));
	/* A message is written when composed: that must never block. */
	if (fd_nonblock(fd) == -1)
		fatal("%s: fd_nonblock", __func__);
	if (imsgbuf_init(&pc->pc_ibuf, fd) == -1)
		fatal("%s: imsgbuf_init", __func__);
	if (fdpass)
		imsgbuf_allow_fdpass(&pc->pc_ibuf);
	if (imsgbuf_set_maxsize(&pc->pc_ibuf, PROC_MAX_IMSGSIZE) == -1)
		fatal("%s: imsgbuf_set_maxsize", __func__);
	pc->pc_fd = fd;
	pc->pc_name = name;
	pc->pc_dispatch = dispatch;
	pc->pc_closed = closed;
	pc->pc_arg = arg;
	event_set(&pc->pc_ev, fd, EV_READ | EV_PERSIST, proc_chan_handler,
	    pc);
	event_set(&pc->pc_wev, fd, EV_WRITE | EV_PERSIST, proc_chan_handler,
	    pc);
	event_add(&pc->pc_ev, NULL);
}

void
proc_chan_close(struct proc_chan *pc)
{
	if (pc->pc_dead)
		return;
	pc->pc_dead = 1;
	event_del(&pc->pc_ev);
	if (pc->pc_wpending)
		event_del(&pc->pc_wev);
	pc->pc_wpending = 0;
	imsgbuf_clear(&pc->pc_ibuf);
	close(pc->pc_fd);
	pc->pc_fd = -1;
}

/* Wait for writability exactly while something is queued. */
void
proc_chan_event_add(struct proc_chan *pc)
{
	int	 want;

	if (pc->pc_dead)
		return;
	want = imsgbuf_queuelen(&pc->pc_ibuf) > 0;
	if (want == pc->pc_wpending)
		return;
	if (want)
		event_add(&pc->pc_wev, NULL);
	else
		event_del(&pc->pc_wev);
	pc->pc_wpending = want;
}

static void
proc_chan_lost(struct proc_chan *pc)
{
	proc_chan_close(pc);
	if (pc->pc_closed != NULL)
		pc->pc_closed(pc);
	else
		fatalx("%s: lost channel to %s", __func__, pc->pc_name);
}

static void
proc_chan_handler(int fd, short event, void *arg)
{
	struct proc_chan	*pc = arg;
	struct imsg		 imsg;
	ssize_t			 n;

	(void)fd;
	if (event & EV_READ) {
		if ((n = imsgbuf_read(&pc->pc_ibuf)) == -1 && errno != EAGAIN) {
			log_warn("%s: read from %s", __func__, pc->pc_name);
			proc_chan_lost(pc);
			return;
		}
		if (n == 0) {
			proc_chan_lost(pc);
			return;
		}
	}
	if (event & EV_WRITE) {
		if (imsgbuf_write(&pc->pc_ibuf) == -1 && errno != EAGAIN) {
			log_warn("%s: write to %s", __func__, pc->pc_name);
			proc_chan_lost(pc);
			return;
		}
	}
	for (;;) {
		if ((n = imsg_get(&pc->pc_ibuf, &imsg)) == -1) {
			log_warn("%s: bad message from %s", __func__,
			    pc->pc_name);
			proc_chan_lost(pc);
			return;
		}
		if (n == 0)
			break;
		pc->pc_dispatch(pc, &imsg);
		imsg_free(&imsg);
		if (pc->pc_dead)
			return;
	}
	proc_chan_event_add(pc);
}

/*
 * A descriptor's persistent event, changed only when what it waits for
 * changes (want: EV_READ, EV_WRITE, both, or 0 for nothing); *watch
 * holds what it waits for now.  Re-adding one-shot events after every
 * callback cost two epoll_ctl() calls a time.  A descriptor that leaves
 * the process (passed to another) must be unwatched first, or the epoll
 * set keeps watching a connection the process no longer holds.
 */
void
proc_watch(struct event *ev, short *watch, int fd, short want,
    void (*cb)(int, short, void *), void *arg)
{
	if (want == *watch)
		return;
	if (*watch != 0)
		event_del(ev);
	*watch = want;
	if (want == 0)
		return;
	event_set(ev, fd, want | EV_PERSIST, cb, arg);
	event_add(ev, NULL);
}

void
proc_unwatch(struct event *ev, short *watch)
{
	proc_watch(ev, watch, -1, 0, NULL, NULL);
}

/*
 * A message just queued goes out now if the socket takes it.  An error
 * is left for the write event: the handler then loses the channel the
 * one way it always does, outside the caller's code.
 */
static void
proc_chan_queued(struct proc_chan *pc)
{
	(void)imsgbuf_write(&pc->pc_ibuf);
	proc_chan_event_add(pc);
}

int
proc_compose(struct proc_chan *pc, uint32_t type, int fd, const void *data,
    size_t len)
{
	int	 ret;

	if (pc->pc_dead) {
		if (fd != -1)
			close(fd);
		errno = EPIPE;
		return (-1);
	}
	if ((ret = imsg_compose(&pc->pc_ibuf, type, 0, 0, fd, data,
	    len)) == -1)
		log_warn("%s: imsg_compose to %s", __func__, pc->pc_name);
	else
		proc_chan_queued(pc);
	return (ret);
}

int
proc_composev(struct proc_chan *pc, uint32_t type, int fd,
    const struct iovec *iov, int iovcnt)
{
	int	 ret;

	if (pc->pc_dead) {
		if (fd != -1)
			close(fd);
		errno = EPIPE;
		return (-1);
	}
	if ((ret = imsg_composev(&pc->pc_ibuf, type, 0, 0, fd, iov,
	    iovcnt)) == -1)
		log_warn("%s: imsg_composev to %s", __func__, pc->pc_name);
	else
		proc_chan_queued(pc);
	return (ret);
}

/* Blocking flush, for the parent's start-up and for exiting children. */
int
proc_flush(struct proc_chan *pc)
{
	if (pc->pc_dead)
		return (-1);
	return (imsgbuf_flush(&pc->pc_ibuf));
}

/*
 * Every child: the same descent, in the order OpenBSD's daemons use.
 * chroot to an empty directory, give up groups, gid and uid for good.
 */
void
proc_privdrop(const char *user, const char *root)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("%s: unknown user %s", __func__, user);
	sandbox_leakcheck();
	if (chroot(root) == -1)
		fatal("%s: chroot %s", __func__, root);
	if (chdir("/") == -1)
		fatal("%s: chdir /", __func__);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("%s: cannot drop privileges to %s", __func__, user);
	if (getuid() == 0 || geteuid() == 0)
		fatalx("%s: still root after dropping to %s", __func__, user);
}

/*
 * Common start of every child after exec: name the process for log lines,
 * ignore the signals the parent handles, and never dump core (a core of
 * authd or a relay would hold keys).
 */
void
proc_setup_child(const char *name, int debug)
{
	struct rlimit	 rl;

	log_init(debug, LOG_DAEMON);
	log_procinit(name);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, debug ? SIG_IGN : SIG_DFL);
	memset(&rl, 0, sizeof(rl));
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("%s: setrlimit RLIMIT_CORE", __func__);
	if (proc_nodump() == -1)
		fatal("%s: cannot make the process undumpable", __func__);
	if (fcntl(PROC_PARENT_FD, F_GETFD) == -1)
		fatalx("%s: no channel to the parent on fd %d", __func__,
		    PROC_PARENT_FD);
}

/*
 * The last step of every child's start: from here on it can only do what
 * its role's profile allows.  Failing to get there is fatal, never
 * "continue without".
 */
void
proc_sandbox(enum sandbox_role role, int debug)
{
	if (sandbox_enter(role, debug) == -1)
		fatal("cannot enter the sandbox");
	if (debug)
		log_warnx("SANDBOX DEBUG MODE: violations are logged, not "
		    "stopped; never run this in production");
	log_debug("sandbox: %s", sandbox_name());
}

static struct event	 proc_evterm, proc_evstats;
static void		(*proc_term_cb)(void);
static void		(*proc_stats_cb)(void);

static void
proc_signal(int sig, short event, void *arg)
{
	(void)event;
	(void)arg;
	if (sig == SIGTERM && proc_term_cb != NULL) {
		proc_term_cb();
		exit(0);
	}
	if (sig == SIGUSR1 && proc_stats_cb != NULL)
		proc_stats_cb();
}

/*
 * SIGTERM ends a child cleanly (its sessions get their audit lines) and
 * SIGUSR1 makes it log its counters; both through the event loop, so
 * the handlers run between events, never inside one.
 */
void
proc_signals(void (*term)(void), void (*stats)(void))
{
	proc_term_cb = term;
	proc_stats_cb = stats;
	signal_set(&proc_evterm, SIGTERM, proc_signal, NULL);
	signal_set(&proc_evstats, SIGUSR1, proc_signal, NULL);
	signal_add(&proc_evterm, NULL);
	signal_add(&proc_evstats, NULL);
}

/* Once the configuration is in, log where logoutput says. */
void
proc_log_config(const struct sockd_conf *c, int logfile)
{
	log_setverbose(c->sc_debug);
	log_settargets((c->sc_logto & LOGTO_STDERR) || c->sc_debug > 0,
	    (c->sc_logto & LOGTO_SYSLOG) != 0);
	if (logfile)
		log_setfile(PROC_PARENT_FD + 1);
}

/*
 * The parent's children: fork+exec, the channels between them, their
 * configuration, and supervision.
 *
 * Every child is connected to every peer it talks to by a socketpair the
 * parent makes.  A child that dies is logged with how it died and started
 * again after a backoff; its peers get a channel to the new one only once
 * it reports ready, so nobody talks to a half-started process.  A child
 * that keeps dying stops the daemon: fail closed, never a restart loop.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "sockd.h"
#include "util.h"

#define CHILD_DEATHS_MAX	5	/* deaths within CHILD_DEATHS_WINDOW */
#define CHILD_DEATHS_WINDOW	60	/* seconds */
#define CHILD_BACKOFF_MAX	16	/* seconds */

static struct sockd_child	 child_front, child_auth;
static struct sockd_child	 child_relays[SOCKD_MAXRELAYS];
static int			 child_nrelays;
static int			 child_accepting;

/* A reload waiting for authd's word. */
static struct sockd_conf	*child_reload_conf;
static struct rule		*child_reload_rules;
static int			 child_reload_nrules;

static void	 child_dispatch(struct proc_chan *, struct imsg *);
static void	 child_lost(struct proc_chan *);
static void	 child_restart(int, short, void *);
static void	 child_reload_result(struct imsg *);

static void
child_name(struct sockd_child *ch)
{
	switch (ch->ch_proc) {
	case PROC_FRONT:
		strlcpy(ch->ch_name, "front", sizeof(ch->ch_name));
		break;
	case PROC_AUTH:
		strlcpy(ch->ch_name, "authd", sizeof(ch->ch_name));
		break;
	default:
		(void)snprintf(ch->ch_name, sizeof(ch->ch_name), "relay %d",
		    ch->ch_instance);
		break;
	}
}

static void
child_exec(struct sockd_child *ch, int fd)
{
	char	 dbg[8], inst[8], *argv[12];
	int	 argc = 0, chan, logf = -1;

	/*
	 * Both descriptors go above the fixed slots first: the log file
	 * may itself be descriptor 3 or 4.  dup2() onto the slot then also
	 * clears close-on-exec, which dup2(n, n) would not.
	 */
	if ((chan = fcntl(fd, F_DUPFD_CLOEXEC, PROC_PARENT_FD + 8)) == -1 ||
	    (parent_logfd != -1 && (logf = fcntl(parent_logfd,
	    F_DUPFD_CLOEXEC, PROC_PARENT_FD + 8)) == -1))
		fatal("fcntl F_DUPFD");
	if (dup2(chan, PROC_PARENT_FD) == -1 ||
	    (logf != -1 && dup2(logf, PROC_PARENT_FD + 1) == -1))
		fatal("dup2");
	(void)snprintf(dbg, sizeof(dbg), "%d", sockd_conf.sc_debug);
	(void)snprintf(inst, sizeof(inst), "%d", ch->ch_instance);
	switch (ch->ch_proc) {
	case PROC_FRONT:
		argv[argc++] = "sockd";
		argv[argc++] = "-P";
		argv[argc++] = "front";
		break;
	case PROC_AUTH:
		argv[argc++] = "sockd-auth";
		break;
	default:
		argv[argc++] = "sockd-relay";
		argv[argc++] = "-I";
		argv[argc++] = inst;
		break;
	}
	argv[argc++] = "-d";
	argv[argc++] = dbg;
	if (parent_logfd != -1)
		argv[argc++] = "-L";	/* fd 4 is the logoutput file */
	if (parent_sbdebug)
		argv[argc++] = "-S";	/* sandbox debug: development only */
	if (parent_gsslib && ch->ch_proc == PROC_RELAY)
		argv[argc++] = "-G";	/* no RFC 4121 fast path */
	argv[argc] = NULL;
	execv(ch->ch_proc == PROC_FRONT ? parent_self :
	    ch->ch_proc == PROC_AUTH ? parent_authpath : parent_relaypath,
	    argv);
	fatal("execv %s", argv[0]);
}

/* fork+exec: every child starts from a fresh address space. */
static void
child_spawn(struct sockd_child *ch)
{
	int	 sp[2];

	ch->ch_ready = 0;
	ch->ch_npending = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	switch (ch->ch_pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		close(sp[0]);
		child_exec(ch, sp[1]);
		/* NOTREACHED */
	}
	close(sp[1]);
	if (fd_nonblock(sp[0]) == -1)
		fatal("fd_nonblock");
	proc_chan_init(&ch->ch_chan, sp[0], ch->ch_name, 1, child_dispatch,
	    child_lost, ch);
}

static void
child_peer_send(struct sockd_child *to, int fd, struct sockd_child *about)
{
	struct ctl_peer	 cp;

	memset(&cp, 0, sizeof(cp));
	cp.cp_proc = about->ch_proc;
	cp.cp_instance = about->ch_instance;
	if (proc_compose(&to->ch_chan, IMSG_CTL_PEER, fd, &cp,
	    sizeof(cp)) == -1)
		log_warnx("cannot connect %s to %s", to->ch_name,
		    about->ch_name);
}

/*
 * A channel between a and b.  b's end goes now; a's end too, unless
 * a_later: then it waits until b is ready (b was restarted and a must not
 * talk to it before it has its configuration).
 */
static void
child_connect(struct sockd_child *a, struct sockd_child *b, int a_later)
{
	struct child_pending	*p;
	int			 sp[2];

	if (a->ch_pid == 0 || b->ch_pid == 0)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sp) == -1)
		fatal("socketpair");
	child_peer_send(b, sp[1], a);
	if (!a_later) {
		child_peer_send(a, sp[0], b);
		return;
	}
	if (b->ch_npending >= (int)(sizeof(b->ch_pending) /
	    sizeof(b->ch_pending[0])))
		fatalx("%s: too many pending peers", __func__);
	p = &b->ch_pending[b->ch_npending++];
	p->cp_to = a;
	p->cp_fd = sp[0];
}

/* A whole configuration: settings, rules, keytabs for authd, done. */
static void
child_send_config(struct sockd_child *ch, const struct sockd_conf *sc,
    const struct rule *rules, int nrules)
{
	struct proc_chan	*pc = &ch->ch_chan;
	int			 i;

	if (proc_compose(pc, IMSG_CFG_GLOBAL, -1, sc, sizeof(*sc)) == -1)
		fatalx("%s: config to %s", __func__, ch->ch_name);
	for (i = 0; i < nrules; i++)
		if (proc_compose(pc, IMSG_CFG_RULE, -1, &rules[i],
		    sizeof(rules[i])) == -1)
			fatalx("%s: rules to %s", __func__, ch->ch_name);
	if (ch->ch_proc == PROC_AUTH)
		parent_send_keytabs(pc, sc);
}

static void
child_configure(struct sockd_child *ch)
{
	struct proc_chan	*pc = &ch->ch_chan;
	int			 i, fd;

	child_send_config(ch, &sockd_conf, sockd_rules, sockd_nrules);
	for (i = 0; ch->ch_proc == PROC_FRONT && i < sockd_conf.sc_nlisten;
	    i++) {
		if ((fd = dup(parent_listenfd[i])) == -1)
			fatal("dup");
		if (proc_compose(pc, IMSG_CFG_LISTEN, fd,
		    &sockd_conf.sc_listen[i],
		    sizeof(sockd_conf.sc_listen[i])) == -1)
			fatalx("%s: listener to %s", __func__, ch->ch_name);
	}
	if (proc_compose(pc, IMSG_CFG_DONE, -1, NULL, 0) == -1)
		fatalx("%s: config to %s", __func__, ch->ch_name);
}

/* The first start: everyone, every channel, every configuration. */
void
children_start(int nrelays)
{
	int	 i;

	child_nrelays = nrelays;
	child_front.ch_proc = PROC_FRONT;
	child_auth.ch_proc = PROC_AUTH;
	for (i = 0; i < child_nrelays; i++) {
		child_relays[i].ch_proc = PROC_RELAY;
		child_relays[i].ch_instance = i;
	}
	child_name(&child_front);
	child_name(&child_auth);
	child_spawn(&child_front);
	child_spawn(&child_auth);
	for (i = 0; i < child_nrelays; i++) {
		child_name(&child_relays[i]);
		child_spawn(&child_relays[i]);
	}
	child_connect(&child_front, &child_auth, 0);
	for (i = 0; i < child_nrelays; i++) {
		child_connect(&child_front, &child_relays[i], 0);
		child_connect(&child_auth, &child_relays[i], 0);
	}
	child_configure(&child_front);
	child_configure(&child_auth);
	for (i = 0; i < child_nrelays; i++)
		child_configure(&child_relays[i]);
	if (proc_flush(&child_front.ch_chan) == -1 ||
	    proc_flush(&child_auth.ch_chan) == -1)
		fatalx("%s: cannot configure the children", __func__);
}

/*
 * authd and the relays report when they are ready.  At start-up the front
 * end starts accepting once all of them did, so no client meets a
 * half-started authd.  A restarted child gets its peers' channels now.
 */
static void
child_ready(struct sockd_child *ch)
{
	int	 i;

	if (ch->ch_ready)
		return;
	ch->ch_ready = 1;
	for (i = 0; i < ch->ch_npending; i++)
		child_peer_send(ch->ch_pending[i].cp_to,
		    ch->ch_pending[i].cp_fd, ch);
	ch->ch_npending = 0;
	if (ch->ch_proc == PROC_FRONT || child_accepting)
		return;
	if (!child_auth.ch_ready)
		return;
	for (i = 0; i < child_nrelays; i++)
		if (!child_relays[i].ch_ready)
			return;
	if (proc_compose(&child_front.ch_chan, IMSG_CTL_START, -1, NULL,
	    0) == -1)
		fatalx("%s: cannot start the front end", __func__);
	child_accepting = 1;
	log_info("ready");
}

static void
child_dispatch(struct proc_chan *pc, struct imsg *imsg)
{
	struct sockd_child	*ch = pc->pc_arg;

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_START:
		child_ready(ch);
		break;
	case IMSG_CTL_RELOAD:
		if (ch->ch_proc != PROC_AUTH)
			fatalx("%s: IMSG_CTL_RELOAD from %s", __func__,
			    ch->ch_name);
		child_reload_result(imsg);
		break;
	default:
		log_warnx("%s: unexpected message %u from %s", __func__,
		    imsg_get_type(imsg), ch->ch_name);
		break;
	}
}

static void
child_lost(struct proc_chan *pc)
{
	struct sockd_child	*ch = pc->pc_arg;

	if (!parent_stopping)
		log_debug("%s: channel to %s closed", __func__, ch->ch_name);
}

static struct sockd_child *
child_bypid(pid_t pid)
{
	int	 i;

	if (child_front.ch_pid == pid)
		return (&child_front);
	if (child_auth.ch_pid == pid)
		return (&child_auth);
	for (i = 0; i < child_nrelays; i++)
		if (child_relays[i].ch_pid == pid)
			return (&child_relays[i]);
	return (NULL);
}

/* Deaths within the window; too many stop the daemon. */
static int
child_death_count(struct sockd_child *ch)
{
	time_t	 now = time(NULL);
	int	 i, n = 0;

	memmove(ch->ch_deaths + 1, ch->ch_deaths,
	    sizeof(ch->ch_deaths) - sizeof(ch->ch_deaths[0]));
	ch->ch_deaths[0] = now;
	for (i = 0; i < CHILD_DEATHS_MAX + 1; i++)
		if (ch->ch_deaths[i] != 0 &&
		    now - ch->ch_deaths[i] < CHILD_DEATHS_WINDOW)
			n++;
	return (n);
}

static void
child_died(struct sockd_child *ch, int status)
{
	struct timeval	 tv;
	char		 how[80];
	int		 n, i;

	if (WIFSIGNALED(status))
		(void)snprintf(how, sizeof(how), "killed by signal %d (%s)",
		    WTERMSIG(status), WTERMSIG(status) == SIGSYS ?
		    "sandbox violation" : strsignal(WTERMSIG(status)));
	else
		(void)snprintf(how, sizeof(how), "exited with status %d",
		    WEXITSTATUS(status));
	log_warnx("%s (pid %ld) %s", ch->ch_name, (long)ch->ch_pid, how);
	ch->ch_pid = 0;
	ch->ch_ready = 0;
	if (ch->ch_proc == PROC_AUTH && child_reload_conf != NULL) {
		log_warnx("SIGHUP: authd died during the reload; keeping the "
		    "running configuration");
		free(child_reload_conf);
		free(child_reload_rules);
		child_reload_conf = NULL;
	}
	for (i = 0; i < ch->ch_npending; i++)
		close(ch->ch_pending[i].cp_fd);
	ch->ch_npending = 0;
	proc_chan_close(&ch->ch_chan);
	if (!child_accepting) {
		log_warnx("%s died during start-up", ch->ch_name);
		parent_shutdown(1);
	}
	if ((n = child_death_count(ch)) > CHILD_DEATHS_MAX) {
		log_warnx("%s died %d times within %d seconds; stopping",
		    ch->ch_name, n, CHILD_DEATHS_WINDOW);
		parent_shutdown(1);
	}
	timerclear(&tv);
	tv.tv_sec = 1 << (n - 1);
	if (tv.tv_sec > CHILD_BACKOFF_MAX)
		tv.tv_sec = CHILD_BACKOFF_MAX;
	log_info("restarting %s in %lld s", ch->ch_name,
	    (long long)tv.tv_sec);
	evtimer_set(&ch->ch_restart, child_restart, ch);
	evtimer_add(&ch->ch_restart, &tv);
}

/*
 * A new child in the place of a dead one: its own channels now, its
 * peers' ends once it is ready.  The front end is told to accept at once
 * (everyone it talks to is up); authd needs the keytab bytes again.
 */
static void
child_restart(int fd, short event, void *arg)
{
	struct sockd_child	*ch = arg;
	int			 i;

	(void)fd;
	(void)event;
	if (parent_stopping)
		return;
	if (ch->ch_proc == PROC_AUTH && parent_keytabs_reread() == -1) {
		log_warnx("cannot read the keytabs for a new authd; stopping");
		parent_shutdown(1);
	}
	child_spawn(ch);
	switch (ch->ch_proc) {
	case PROC_FRONT:
		child_connect(&child_auth, ch, 1);
		for (i = 0; i < child_nrelays; i++)
			child_connect(&child_relays[i], ch, 1);
		break;
	case PROC_AUTH:
		child_connect(&child_front, ch, 1);
		for (i = 0; i < child_nrelays; i++)
			child_connect(&child_relays[i], ch, 1);
		break;
	default:
		child_connect(&child_front, ch, 1);
		child_connect(&child_auth, ch, 1);
		break;
	}
	child_configure(ch);
	if (ch->ch_proc == PROC_FRONT)
		(void)proc_compose(&ch->ch_chan, IMSG_CTL_START, -1, NULL, 0);
}

void
children_reap(void)
{
	struct sockd_child	*ch;
	pid_t			 pid;
	int			 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((ch = child_bypid(pid)) == NULL)
			continue;
		if (parent_stopping) {
			ch->ch_pid = 0;
			continue;
		}
		child_died(ch, status);
	}
}

int
children_reload_pending(void)
{
	return (child_reload_conf != NULL);
}

/* A new configuration goes to authd first; the others wait for its word. */
int
children_reload(struct sockd_conf *sc, struct rule *rules, int nrules)
{
	if (child_auth.ch_pid == 0 || !child_auth.ch_ready)
		return (-1);
	child_reload_conf = sc;
	child_reload_rules = rules;
	child_reload_nrules = nrules;
	child_send_config(&child_auth, sc, rules, nrules);
	if (proc_compose(&child_auth.ch_chan, IMSG_CFG_DONE, -1, NULL,
	    0) == -1)
		fatalx("%s: config to authd", __func__);
	return (0);
}

static void
child_reload_result(struct imsg *imsg)
{
	struct ctl_reload	 cr;
	int			 i;

	if (imsg_get_data(imsg, &cr, sizeof(cr)) == -1 ||
	    child_reload_conf == NULL)
		fatalx("%s: bad IMSG_CTL_RELOAD", __func__);
	cr.cr_reason[sizeof(cr.cr_reason) - 1] = '\0';
	if (!cr.cr_ok) {
		log_warnx("SIGHUP: authd refused the new configuration: %s; "
		    "keeping the running one", cr.cr_reason);
		free(child_reload_conf);
		free(child_reload_rules);
		child_reload_conf = NULL;
		return;
	}
	parent_reload_done(child_reload_conf, child_reload_rules,
	    child_reload_nrules);
	child_reload_conf = NULL;
	for (i = -1; i < child_nrelays; i++) {
		struct sockd_child *ch = i == -1 ? &child_front :
		    &child_relays[i];

		if (ch->ch_pid == 0)
			continue;
		child_send_config(ch, &sockd_conf, sockd_rules, sockd_nrules);
		(void)proc_compose(&ch->ch_chan, IMSG_CFG_DONE, -1, NULL, 0);
	}
}

void
children_signal(int sig)
{
	int	 i;

	if (child_front.ch_pid > 0)
		kill(child_front.ch_pid, sig);
	if (child_auth.ch_pid > 0)
		kill(child_auth.ch_pid, sig);
	for (i = 0; i < child_nrelays; i++)
		if (child_relays[i].ch_pid > 0)
			kill(child_relays[i].ch_pid, sig);
}

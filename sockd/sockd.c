/*
 * sockd: the parent process.
 *
 * Runs as root and never reads a byte from a client.  It parses the
 * configuration, opens the listening sockets and reads the keytab bytes,
 * then fork+execs the front end, authd and the relays, connects them with
 * socketpairs and hands each its configuration.  Afterwards it only
 * watches its children and handles signals.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "proc.h"
#include "sockd.h"
#include "util.h"

#define PARENT_MAXRELAYS	SOCKD_MAXRELAYS

struct sockd_conf	 sockd_conf;
struct rule		*sockd_rules;
int			 sockd_nrules;

/* What children.c needs of the parent's state. */
int				 parent_listenfd[SOCKD_MAXLISTEN];
char				 parent_self[PATH_MAX];
char				 parent_authpath[PATH_MAX];
char				 parent_relaypath[PATH_MAX];
int				 parent_logfd = -1;
int				 parent_stopping;
int				 parent_sbdebug;
int				 parent_gsslib;
static const char		*parent_conffile;

static int			 parent_nrelays;
static struct sockd_keytab	 parent_keytabs[SOCKD_MAXKEYTABS];
static int			 parent_debug;
static int			 parent_started;
static struct event		 parent_evsig[5];

static void	 parent_paths(const char *);
static void	 parent_logging(int);
static void	 parent_listen(void);
static void	 parent_keytabs_read(void);
static void	 parent_reload(void);
static int	 parent_keytab_read(int, const char *);
static void	 parent_sig(int, short, void *);
static void	 parent_rlimit(void);

__attribute__((__noreturn__)) static void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-DGSVv] [-d level] [-f file] [-N relays] "
	    "[-p pidfile]\n", __progname);
	exit(1);
}

static void
version(void)
{
	printf("sockd %s\n", SOCKD_VERSION);
	printf("features: gssapi (RFC 1961, Heimdal, in authd and relays), "
	    "socksmethod none gssapi, command connect bind udpassociate, "
	    "ipv4 ipv6, clientcompatibility necgssapi\n");
}

int
main(int argc, char *argv[])
{
	const char	*conffile = SOCKD_CONF, *pidfile = NULL, *errstr;
	const char	*role = NULL;
	int		 ch, verify = 0, detach = 0, nrelays = 0, logfile = 0, i;
	FILE		*fp;

	while ((ch = getopt(argc, argv, "Dd:f:GLN:P:p:SVv")) != -1) {
		switch (ch) {
		case 'D':
			detach = 1;
			break;
		case 'd':
			parent_debug = strtonum(optarg, 0, 10, &errstr);
			if (errstr != NULL)
				errx(1, "debug level %s: %s", optarg, errstr);
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'G':
			/* Benchmarks: relays protect with the library only. */
			parent_gsslib = 1;
			break;
		case 'L':
			logfile = 1;
			break;
		case 'N':
			nrelays = strtonum(optarg, 1, PARENT_MAXRELAYS,
			    &errstr);
			if (errstr != NULL)
				errx(1, "relays %s: %s", optarg, errstr);
			break;
		case 'P':
			role = optarg;
			break;
		case 'S':
			/* Development only: sandbox violations are logged. */
			parent_sbdebug = 1;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'V':
			verify = 1;
			break;
		case 'v':
			version();
			exit(0);
		default:
			usage();
		}
	}
	argc -= optind;
	if (argc != 0)
		usage();

	if (role != NULL) {
		if (strcmp(role, "front") != 0)
			errx(1, "unknown process role %s", role);
		frontend_main(parent_debug, logfile, parent_sbdebug);
	}

	/* Until the configuration says otherwise, errors go to stderr. */
	log_init(1, LOG_DAEMON);
	parent_conffile = conffile;
	if (parse_config(conffile, &sockd_conf, &sockd_rules,
	    &sockd_nrules) == -1)
		exit(1);
	if (verify) {
		fprintf(stderr, "configuration OK\n");
		exit(0);
	}
	if (geteuid() != 0)
		errx(1, "need root privileges");
	if (parent_debug > sockd_conf.sc_debug)
		sockd_conf.sc_debug = parent_debug;
	if (nrelays != 0)
		sockd_conf.sc_nrelays = nrelays;
	if (sockd_conf.sc_nrelays == 0)
		sockd_conf.sc_nrelays = sysconf(_SC_NPROCESSORS_ONLN);
	if (sockd_conf.sc_nrelays < 1)
		sockd_conf.sc_nrelays = 1;
	if (sockd_conf.sc_nrelays > PARENT_MAXRELAYS)
		sockd_conf.sc_nrelays = PARENT_MAXRELAYS;
	parent_nrelays = sockd_conf.sc_nrelays;

	parent_paths(argv[0]);
	parent_logging(detach);
	/*
	 * A SIGHUP or SIGUSR1 before the event loop handles them must not
	 * end the daemon with their default action: ignored until then.
	 */
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	parent_listen();
	parent_keytabs_read();
	if (mkdir(SOCKD_CHROOT, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", SOCKD_CHROOT);

	if (detach && daemon(0, 0) == -1)
		fatal("daemon");
	if (pidfile != NULL) {
		if ((fp = fopen(pidfile, "w")) == NULL)
			fatal("%s", pidfile);
		fprintf(fp, "%ld\n", (long)getpid());
		fclose(fp);
	}
	signal(SIGPIPE, SIG_IGN);
	parent_rlimit();
	event_init();

	/*
	 * The listening sockets stay open here (the parent never accepts
	 * on them) so that a restarted front end gets them again.
	 */
	children_start(parent_nrelays);
	parent_started = 1;

	signal_set(&parent_evsig[0], SIGCHLD, parent_sig, NULL);
	signal_set(&parent_evsig[1], SIGTERM, parent_sig, NULL);
	signal_set(&parent_evsig[2], SIGINT, parent_sig, NULL);
	signal_set(&parent_evsig[3], SIGHUP, parent_sig, NULL);
	signal_set(&parent_evsig[4], SIGUSR1, parent_sig, NULL);
	for (i = 0; i < 5; i++)
		signal_add(&parent_evsig[i], NULL);

	log_info("startup: %d listener%s, %d relay%s, %d rule%s",
	    sockd_conf.sc_nlisten, sockd_conf.sc_nlisten == 1 ? "" : "s",
	    parent_nrelays, parent_nrelays == 1 ? "" : "s",
	    sockd_nrules, sockd_nrules == 1 ? "" : "s");
	event_dispatch();
	parent_shutdown(0);
	return (0);
}

/*
 * Every child inherits this: the soft descriptor limit raised to the
 * hard one, since relays hold two or more descriptors per session.
 */
static void
parent_rlimit(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit RLIMIT_NOFILE");
}

/*
 * Run from the build tree, sockd uses the authd and relayd built beside
 * it, so that tests and users can try it before "make install"; an
 * installed sockd uses the compiled-in libexec directory.
 */
static void
parent_paths(const char *argv0)
{
	char	 dir[PATH_MAX], tmp[PATH_MAX];
	ssize_t	 n;

	n = readlink("/proc/self/exe", parent_self, sizeof(parent_self) - 1);
	if (n > 0)
		parent_self[n] = '\0';
	else if (realpath(argv0, parent_self) == NULL)
		fatal("cannot find my own executable %s", argv0);
	if (strlcpy(tmp, parent_self, sizeof(tmp)) >= sizeof(tmp))
		fatalx("path too long");
	if (strlcpy(dir, dirname(tmp), sizeof(dir)) >= sizeof(dir))
		fatalx("path too long");
	if (snprintf(parent_authpath, sizeof(parent_authpath),
	    "%s/../authd/sockd-auth", dir) >= (int)sizeof(parent_authpath) ||
	    snprintf(parent_relaypath, sizeof(parent_relaypath),
	    "%s/../relayd/sockd-relay", dir) >= (int)sizeof(parent_relaypath))
		fatalx("path too long");
	if (access(parent_authpath, X_OK) == 0 &&
	    access(parent_relaypath, X_OK) == 0)
		return;
	(void)snprintf(parent_authpath, sizeof(parent_authpath),
	    "%s/sockd-auth", SOCKD_LIBEXECDIR);
	(void)snprintf(parent_relaypath, sizeof(parent_relaypath),
	    "%s/sockd-relay", SOCKD_LIBEXECDIR);
}

/* logoutput: stderr, syslog and a file, in any combination. */
static void
parent_logging(int detach)
{
	struct sockd_conf	*c = &sockd_conf;
	int			 tostderr, tosyslog;

	tostderr = (c->sc_logto & LOGTO_STDERR) || parent_debug > 0;
	if (detach)
		tostderr = 0;
	tosyslog = (c->sc_logto & LOGTO_SYSLOG) != 0;
	if (c->sc_logto & LOGTO_FILE) {
		parent_logfd = open(c->sc_logfile,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (parent_logfd == -1)
			fatal("logoutput %s", c->sc_logfile);
	}
	log_init(c->sc_debug > 0 ? c->sc_debug : 1, c->sc_syslog_facility);
	log_settargets(tostderr, tosyslog);
	log_setfile(parent_logfd);
	log_procinit("parent");
}

static int
parent_listen_one(const struct listenaddr *la)
{
	char	 buf[ADDRSTRLEN];
	int	 fd, on = 1;

	addr_str((const struct sockaddr *)&la->la_ss, buf, sizeof(buf));
	/* Close-on-exec: only the front end gets them, through imsg. */
	if ((fd = socket(la->la_ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		fatal("socket for %s", buf);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		fatal("SO_REUSEADDR on %s", buf);
	if (la->la_ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		fatal("IPV6_V6ONLY on %s", buf);
	if (bind(fd, (const struct sockaddr *)&la->la_ss, la->la_sslen) == -1)
		fatal("internal address %s", buf);
	if (listen(fd, 512) == -1)
		fatal("listen on %s", buf);
	log_info("listening on %s", buf);
	return (fd);
}

static void
parent_listen(void)
{
	int	 i;

	for (i = 0; i < sockd_conf.sc_nlisten; i++)
		parent_listenfd[i] = parent_listen_one(&sockd_conf.sc_listen[i]);
}

/*
 * The keytab's bytes are read here and handed to authd unparsed: this
 * binary links no Kerberos library and authd never opens a file.  A
 * keytab others can read is refused, as sshd refuses an open host key.
 */
static int
parent_keytab_fail(int fd, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[PATH_MAX + 128];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fd != -1)
		close(fd);
	if (!parent_started)
		fatalx("%s", msg);
	log_warnx("%s; keeping the old keys", msg);
	return (-1);
}

static int
parent_keytab_read(int id, const char *path)
{
	struct sockd_keytab	*kt = &parent_keytabs[id];
	struct stat		 st;
	ssize_t			 n;
	size_t			 off = 0;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		return (parent_keytab_fail(fd, "gssapi.keytab %s: %s", path,
		    strerror(errno)));
	if (!S_ISREG(st.st_mode))
		return (parent_keytab_fail(fd, "gssapi.keytab %s: not a "
		    "regular file", path));
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return (parent_keytab_fail(fd, "gssapi.keytab %s: readable "
		    "by group or others (mode %04o); chmod 600 it", path,
		    (unsigned int)(st.st_mode & 07777)));
	if (st.st_uid != 0)
		return (parent_keytab_fail(fd, "gssapi.keytab %s: not owned "
		    "by root", path));
	if (st.st_size <= 0 || st.st_size > SOCKD_KEYTAB_MAX)
		return (parent_keytab_fail(fd, "gssapi.keytab %s: size %lld "
		    "out of range (1 to %d)", path, (long long)st.st_size,
		    SOCKD_KEYTAB_MAX));
	if (kt->kt_data != NULL)
		freezero(kt->kt_data, kt->kt_len);
	kt->kt_len = st.st_size;
	if ((kt->kt_data = malloc(kt->kt_len)) == NULL)
		fatal(NULL);
	while (off < kt->kt_len) {
		if ((n = read(fd, kt->kt_data + off, kt->kt_len - off)) <= 0) {
			freezero(kt->kt_data, kt->kt_len);
			kt->kt_data = NULL;
			return (parent_keytab_fail(fd, "gssapi.keytab %s: %s",
			    path, n == 0 ? "changed while read" :
			    strerror(errno)));
		}
		off += n;
	}
	close(fd);
	return (0);
}

/* Again, for a restarted authd (its keytab bytes were wiped). */
int
parent_keytabs_reread(void)
{
	int	 i;

	for (i = 0; i < sockd_conf.sc_nkeytabs; i++)
		if (parent_keytab_read(i, sockd_conf.sc_keytabs[i]) == -1)
			return (-1);
	return (0);
}

static void
parent_keytabs_read(void)
{
	int	 i, gss = 0;

	if (sockd_conf.sc_socksmethods.ml_n == 0)
		gss = 1;
	for (i = 0; i < sockd_conf.sc_socksmethods.ml_n; i++)
		if (sockd_conf.sc_socksmethods.ml_m[i] == METHOD_GSSAPI)
			gss = 1;
	if (!gss)
		return;
	for (i = 0; i < sockd_conf.sc_nkeytabs; i++)
		parent_keytab_read(i, sockd_conf.sc_keytabs[i]);
}

/* The keytab bytes go to authd and are wiped here once queued. */
void
parent_send_keytabs(struct proc_chan *pc, const struct sockd_conf *sc)
{
	struct sockd_keytab	*kt;
	struct cfg_keytab	 ck;
	struct iovec		 iov[2];
	int			 i;

	for (i = 0; i < sc->sc_nkeytabs; i++) {
		kt = &parent_keytabs[i];
		if (kt->kt_data == NULL)
			continue;
		memset(&ck, 0, sizeof(ck));
		ck.ck_id = i;
		strlcpy(ck.ck_name, sc->sc_keytabs[i],
		    sizeof(ck.ck_name));
		iov[0].iov_base = &ck;
		iov[0].iov_len = sizeof(ck);
		iov[1].iov_base = kt->kt_data;
		iov[1].iov_len = kt->kt_len;
		if (proc_composev(pc, IMSG_CFG_KEYTAB, -1, iov, 2) == -1)
			log_warnx("%s: keytab %s not sent to authd", __func__,
			    ck.ck_name);
		freezero(kt->kt_data, kt->kt_len);
		kt->kt_data = NULL;
	}
}

/*
 * Settings a running sockd cannot take over: they shaped the processes
 * (users, chroot, log descriptors) or the sockets the front end holds.
 */
static const char *
parent_reload_fixed(const struct sockd_conf *o, const struct sockd_conf *n)
{
	if (o->sc_nlisten != n->sc_nlisten ||
	    memcmp(o->sc_listen, n->sc_listen, sizeof(o->sc_listen)) != 0)
		return ("internal");
	if (o->sc_nexternal != n->sc_nexternal ||
	    memcmp(o->sc_external, n->sc_external,
	    sizeof(o->sc_external)) != 0)
		return ("external");
	if (strcmp(o->sc_user_unpriv, n->sc_user_unpriv) != 0 ||
	    strcmp(o->sc_user_priv, n->sc_user_priv) != 0 ||
	    strcmp(o->sc_user_auth, n->sc_user_auth) != 0)
		return ("user.*");
	if (o->sc_logto != n->sc_logto ||
	    strcmp(o->sc_logfile, n->sc_logfile) != 0 ||
	    o->sc_syslog_facility != n->sc_syslog_facility)
		return ("logoutput");
	return (NULL);
}

/*
 * SIGHUP: the configuration file and the keytabs are read again.  authd
 * gets them first and checks that every service has its key; only when
 * it took them do the front end and the relays get the new rules, for
 * the clients that come from then on.  Established sessions never
 * notice.  Anything wrong keeps the running configuration, with a log
 * line that says why.
 */
static void
parent_reload(void)
{
	struct sockd_conf	*nc;
	struct rule		*nr;
	const char		*what;
	int			 nn, i;

	if (children_reload_pending()) {
		log_warnx("SIGHUP: a reload is already under way");
		return;
	}
	if ((nc = calloc(1, sizeof(*nc))) == NULL) {
		log_warn("SIGHUP");
		return;
	}
	if (parse_config(parent_conffile, nc, &nr, &nn) == -1) {
		log_warnx("SIGHUP: %s has errors; keeping the running "
		    "configuration", parent_conffile);
		free(nc);
		return;
	}
	nc->sc_nrelays = sockd_conf.sc_nrelays;
	nc->sc_debug = sockd_conf.sc_debug;
	if ((what = parent_reload_fixed(&sockd_conf, nc)) != NULL) {
		log_warnx("SIGHUP: %s changed, which needs a restart of sockd; "
		    "keeping the running configuration", what);
		free(nc);
		free(nr);
		return;
	}
	for (i = 0; i < nc->sc_nkeytabs; i++)
		if (parent_keytab_read(i, nc->sc_keytabs[i]) == -1) {
			free(nc);
			free(nr);
			return;
		}
	if (children_reload(nc, nr, nn) == -1) {
		log_warnx("SIGHUP: authd is not running; try again");
		free(nc);
		free(nr);
	}
}

/* authd took the new configuration: it is the parent's now too. */
void
parent_reload_done(struct sockd_conf *nc, struct rule *nr, int nn)
{
	sockd_conf = *nc;
	free(nc);
	free(sockd_rules);
	sockd_rules = nr;
	sockd_nrules = nn;
	log_info("SIGHUP: configuration reloaded: %d rule%s", nn,
	    nn == 1 ? "" : "s");
}

static void
parent_sig(int sig, short event, void *arg)
{
	(void)event;
	(void)arg;
	switch (sig) {
	case SIGCHLD:
		children_reap();
		break;
	case SIGTERM:
	case SIGINT:
		log_info("%s, shutting down", strsignal(sig));
		parent_shutdown(0);
		break;
	case SIGHUP:
		parent_reload();
		break;
	case SIGUSR1:
		/* Every process logs its own counters. */
		log_info("stats: rules=%d", sockd_nrules);
		children_signal(SIGUSR1);
		break;
	}
}

void
parent_shutdown(int status)
{
	int	 n;
	pid_t	 pid;

	parent_stopping = 1;
	children_signal(SIGTERM);
	/* Bounded wait: 5 seconds, then the children are killed. */
	for (n = 0; n < 50; n++) {
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (pid == -1 && errno == ECHILD)
			break;
		usleep(100000);
	}
	if (n == 50) {
		log_warnx("children did not stop in time, killing them");
		children_signal(SIGKILL);
	}
	log_info("terminating");
	exit(status);
}

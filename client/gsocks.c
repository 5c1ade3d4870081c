/*
 * gsocks: reach a host through a SOCKS 5 proxy that authenticates with
 * Kerberos (GSS-API, RFC 1961).
 *
 *	gsocks connect ... target-host:port
 *
 * relays standard input and output to the target, for ssh's
 * ProxyCommand;
 *
 *	gsocks bridge ... [-b listen-host:port]
 *
 * is a plain SOCKS 5 server on 127.0.0.1:1081 whose requests go on
 * through the proxy, for programs that speak SOCKS without GSS-API; and
 *
 *	gsocks forward ... -L listen-host:port target-host:port
 *
 * sends each connection it accepts to one target, as ssh -L does.  The
 * modes share the engine in engine.c; each one plugs its local side in
 * with a struct gs_local (bridge.c for the listening modes).
 *
 * Exit statuses (GS_EXIT_* in gsocks.h): 0 success, 1 usage or local
 * error, 2 authentication refused or failed, 3 protection level refused,
 * 4 SOCKS request refused, 5 connection, I/O or protocol error.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "gsocks.h"

/* What the command line says, before it is checked. */
struct gs_opts {
	struct gs_conf	 o_conf;
	const char	*o_proxy;
	const char	*o_listen;	/* -b, -L */
	const char	*o_routefile;	/* -f */
	struct gs_route	*o_routes;	/* parsed from o_routefile */
	int		 o_maxconn;	/* -c */
	int		 o_family;
	int		 o_mflag;	/* -m given */
	int		 o_gssopt;	/* an option that needs GSS-API */
};

__attribute__((__noreturn__)) static void usage(void);
static int	parse_target(const char *, struct socks_addr *);
static int	parse_level(const char *, const char *);
static int	resolve_proxy(struct gs_conf *, const char *, int);
static void	opt_init(struct gs_opts *);
static int	opt_common(struct gs_opts *, int, char *);
static void	opt_check(struct gs_opts *, int);
static int	connect_run(struct gs_conf *, const struct socks_addr *);
static int	connect_main(int, char **);
static int	server_setup(struct gs_opts *, struct gs_server *, int);
static void	server_free(struct gs_opts *);
static int	bridge_main(int, char **);
static int	forward_main(int, char **);
static void	stdio_nonblock(void);
static void	stdio_restore(void);
static int	stdio_ready(struct gs_session *, const struct socks_addr *);
static void	stdio_done(struct gs_session *, int);

static int	stdio_flags[2] = { -1, -1 };
static int	exit_status = GS_EXIT_IO;

static const struct gs_local stdio_local = {
	"standard input",
	"standard output",
	1,		/* the proxy's EOF ends it: ssh expects no more */
	stdio_ready,
	stdio_done,
	NULL		/* CONNECT only: no BIND here */
};

static void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr,
"usage: %s connect [-46nNv] [-l level] [-m min-level] [-s service]\n"
"\t    [-t timeout] -p proxy-host:port target-host:port\n"
"       %s bridge [-46nNv] [-b listen-host:port] [-c max-connections]\n"
"\t    [-l level] [-m min-level] [-s service] [-t timeout]\n"
"\t    -p proxy-host:port | -f socks.conf\n"
"       %s forward [-46nNv] [-c max-connections] [-l level]\n"
"\t    [-m min-level] [-s service] [-t timeout] -L listen-host:port\n"
"\t    -p proxy-host:port | -f socks.conf target-host:port\n"
"\n"
"Reach hosts through the SOCKS 5 proxy at proxy-host:port, authenticating\n"
"with your Kerberos credentials (GSS-API, RFC 1961).  connect relays\n"
"standard input and output to the target, as ssh's ProxyCommand wants;\n"
"bridge is a plain SOCKS 5 server (no authentication) for the programs\n"
"of this machine, by default on 127.0.0.1:1081, whose CONNECT, BIND and\n"
"UDP ASSOCIATE requests go on through the proxy; forward sends each\n"
"connection to listen-host:port on to the target, as ssh -L does.\n"
"\n"
"  -4, -6        reach the proxy over IPv4 or IPv6 only\n"
"  -b            where the bridge listens (default %s); an address\n"
"                that is not loopback lets anyone who reaches it use your\n"
"                Kerberos identity\n"
"  -c            connections served at once (default %d)\n"
"  -f socks.conf Dante's client configuration: its routes choose the proxy\n"
"                per destination; a destination no route matches is refused\n"
"  -L            where forward listens: host:port, or a port on 127.0.0.1\n"
"  -l level      protection to ask for: clear, integrity or confidentiality\n"
"                (default confidentiality)\n"
"  -m min-level  lowest protection to accept from the proxy (default: -l)\n"
"  -s service    the proxy's service name, service@proxy-host (default\n"
"                rcmd); with a '/' or '@' in it, a whole Kerberos principal\n"
"  -N            NEC's variant: the protection level goes unprotected\n"
"  -n            method none: plain SOCKS 5 without authentication\n"
"  -t timeout    seconds to connect and negotiate, 0 for ever (default %d)\n"
"  -p            the proxy, as host:port or [IPv6-address]:port\n"
"  -v            report each step on standard error\n"
"\n"
"target-host is a name, an IPv4 address or an [IPv6-address]; names are\n"
"resolved by the proxy, not here.\n"
"\n"
"Exit status of connect: 0 success, 1 usage or local error, 2\n"
"authentication refused or failed, 3 protection level refused, 4 the proxy\n"
"refused the request, 5 connection, I/O or protocol error.  bridge and\n"
"forward report each session's errors on standard error and go on.\n",
	    __progname, __progname, __progname, GS_DEFAULT_BRIDGE,
	    GS_DEFAULT_MAXCONN, GS_DEFAULT_TIMEOUT);
	exit(GS_EXIT_LOCAL);
}

/* "host:port" or "[v6]:port"; a bare IPv6 address is ambiguous. */
int
hostport_parse(const char *arg, struct gs_hostport *hp, const char **err)
{
	const char	*host, *end, *port;
	size_t		 len;

	memset(hp, 0, sizeof(*hp));
	if (arg[0] == '[') {
		host = arg + 1;
		if ((end = strchr(host, ']')) == NULL || end[1] != ':') {
			*err = "expected [address]:port";
			return (-1);
		}
		port = end + 2;
		hp->hp_bracketed = 1;
	} else {
		host = arg;
		if ((end = strrchr(arg, ':')) == NULL) {
			*err = "expected host:port";
			return (-1);
		}
		port = end + 1;
		if (memchr(host, ':', end - host) != NULL) {
			*err = "an IPv6 address goes in brackets: [addr]:port";
			return (-1);
		}
	}
	len = end - host;
	if (len == 0 || len >= sizeof(hp->hp_host)) {
		*err = len == 0 ? "empty host" : "host name too long";
		return (-1);
	}
	memcpy(hp->hp_host, host, len);
	hp->hp_host[len] = '\0';
	hp->hp_portnum = strtonum(port, 1, 65535, err);
	if (*err != NULL) {
		*err = "the port is a number from 1 to 65535";
		return (-1);
	}
	(void)snprintf(hp->hp_port, sizeof(hp->hp_port), "%u",
	    hp->hp_portnum);
	return (0);
}

static int
parse_target(const char *arg, struct socks_addr *dst)
{
	struct gs_hostport	 hp;
	const char		*err = NULL;

	if (hostport_parse(arg, &hp, &err) == -1) {
		log_warnx("target %s: %s", arg, err);
		return (-1);
	}
	memset(dst, 0, sizeof(*dst));
	dst->sa_port = hp.hp_portnum;
	if (hp.hp_bracketed) {
		if (inet_pton(AF_INET6, hp.hp_host, &dst->sa_ip.v6) != 1) {
			log_warnx("target %s: not an IPv6 address", arg);
			return (-1);
		}
		dst->sa_atyp = SOCKS_ATYP_IPV6;
	} else if (inet_pton(AF_INET, hp.hp_host, &dst->sa_ip.v4) == 1)
		dst->sa_atyp = SOCKS_ATYP_IPV4;
	else {
		/* Sent as a name: the proxy resolves it, we never do. */
		if (strlcpy(dst->sa_domain, hp.hp_host,
		    sizeof(dst->sa_domain)) >= sizeof(dst->sa_domain)) {
			log_warnx("target %s: name longer than 255 bytes",
			    arg);
			return (-1);
		}
		dst->sa_atyp = SOCKS_ATYP_DOMAIN;
	}
	return (0);
}

static int
parse_level(const char *opt, const char *arg)
{
	int	level;

	if ((level = sec_levelbyname(arg)) == -1) {
		log_warnx("%s %s: the level is clear, integrity or "
		    "confidentiality", opt, arg);
		usage();
	}
	return (level);
}

/* The proxy is resolved once, here, before any session starts. */
static int
resolve_proxy(struct gs_conf *conf, const char *arg, int family)
{
	struct gs_hostport	 hp;
	const char		*err = NULL;

	if (hostport_parse(arg, &hp, &err) == -1) {
		log_warnx("proxy %s: %s", arg, err);
		return (GS_EXIT_LOCAL);
	}
	return (conf_resolve(conf, &hp, family));
}

/* Resolve a proxy into conf, which names it in messages from now on. */
int
conf_resolve(struct gs_conf *conf, const struct gs_hostport *hp, int family)
{
	struct addrinfo		 hints;
	int			 error;

	(void)strlcpy(conf->gc_proxyhost, hp->hp_host,
	    sizeof(conf->gc_proxyhost));
	(void)snprintf(conf->gc_proxystr, sizeof(conf->gc_proxystr),
	    hp->hp_bracketed ? "[%s]:%s" : "%s:%s", hp->hp_host,
	    hp->hp_port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = hp->hp_bracketed ? AI_NUMERICHOST : 0;
	hints.ai_flags |= AI_NUMERICSERV;
	error = getaddrinfo(hp->hp_host, hp->hp_port, &hints,
	    &conf->gc_proxyai);
	if (error != 0) {
		log_warnx("proxy %s: %s", conf->gc_proxystr,
		    gai_strerror(error));
		return (GS_EXIT_IO);
	}
	return (0);
}

/*
 * The relay needs non-blocking descriptors.  Their flags belong to a file
 * description that the shell may share, so they are put back at exit.
 */
static void
stdio_nonblock(void)
{
	int	fd, fl;

	for (fd = 0; fd < 2; fd++) {
		if ((fl = fcntl(fd, F_GETFL)) == -1)
			fatal("standard %s", fd == 0 ? "input" : "output");
		stdio_flags[fd] = fl;
		if (!(fl & O_NONBLOCK) &&
		    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
			fatal("standard %s", fd == 0 ? "input" : "output");
	}
	if (atexit(stdio_restore) != 0)
		fatalx("atexit");
}

static void
stdio_restore(void)
{
	int	fd;

	for (fd = 0; fd < 2; fd++)
		if (stdio_flags[fd] != -1)
			(void)fcntl(fd, F_SETFL, stdio_flags[fd]);
}

static int
stdio_ready(struct gs_session *s, const struct socks_addr *bnd)
{
	(void)s;
	(void)bnd;
	log_debug("relaying standard input and output");
	return (0);
}

static void
stdio_done(struct gs_session *s, int status)
{
	(void)s;
	exit_status = status;
	(void)event_loopexit(NULL);
}

static void
opt_init(struct gs_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->o_conf.gc_service = GS_DEFAULT_SERVICE;
	o->o_conf.gc_level = GS_LEVEL_CONF;
	o->o_conf.gc_timeout = GS_DEFAULT_TIMEOUT;
	o->o_family = AF_UNSPEC;
	o->o_maxconn = GS_DEFAULT_MAXCONN;
}

/* The options every mode takes; -1 for one it does not know. */
static int
opt_common(struct gs_opts *o, int ch, char *arg)
{
	const char	*errstr;

	switch (ch) {
	case '4':
		o->o_family = AF_INET;
		break;
	case '6':
		o->o_family = AF_INET6;
		break;
	case 'l':
		o->o_conf.gc_level = parse_level("-l", arg);
		o->o_gssopt = 1;
		break;
	case 'm':
		o->o_conf.gc_minlevel = parse_level("-m", arg);
		o->o_mflag = o->o_gssopt = 1;
		break;
	case 'N':
		o->o_conf.gc_nec = o->o_gssopt = 1;
		break;
	case 'n':
		o->o_conf.gc_nomethod = 1;
		break;
	case 'p':
		o->o_proxy = arg;
		break;
	case 's':
		if (*arg == '\0')
			usage();
		o->o_conf.gc_service = arg;
		o->o_gssopt = 1;
		break;
	case 't':
		o->o_conf.gc_timeout = strtonum(arg, 0, 86400, &errstr);
		if (errstr != NULL) {
			log_warnx("-t %s: %s", arg, errstr);
			usage();
		}
		break;
	case 'v':
		log_setverbose(2);
		break;
	case 'b':
	case 'L':
		o->o_listen = arg;
		break;
	case 'c':
		o->o_maxconn = strtonum(arg, 1, 100000, &errstr);
		if (errstr != NULL) {
			log_warnx("-c %s: %s", arg, errstr);
			usage();
		}
		break;
	case 'f':
		o->o_routefile = arg;
		break;
	default:
		return (-1);
	}
	return (0);
}

/*
 * Options that contradict each other are a usage error.  With routes,
 * socks.conf names the proxies and -p goes.
 */
static void
opt_check(struct gs_opts *o, int routes)
{
	struct gs_conf	*conf = &o->o_conf;

	if (o->o_routefile != NULL && !routes)
		usage();
	if ((o->o_proxy == NULL) == (o->o_routefile == NULL)) {
		if (routes && o->o_proxy != NULL)
			log_warnx("-p and -f exclude each other: the routes "
			    "of %s name the proxies", o->o_routefile);
		usage();
	}
	if (conf->gc_nomethod && o->o_gssopt) {
		log_warnx("-n (no authentication) takes none of -l, -m, -N "
		    "and -s");
		usage();
	}
	if (!o->o_mflag)
		conf->gc_minlevel = conf->gc_level;
	if (conf->gc_minlevel > conf->gc_level) {
		log_warnx("the minimum level %s is above the level asked for, "
		    "%s", sec_levelname(conf->gc_minlevel),
		    sec_levelname(conf->gc_level));
		usage();
	}
	if (conf->gc_nec)
		log_warnx("warning: -N: the protection level is exchanged "
		    "without protection (NEC's variant); someone on the path "
		    "can lower it");
}

/* One session between standard input and output and the target. */
static int
connect_run(struct gs_conf *conf, const struct socks_addr *dst)
{
	struct gs_session	*s;

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	stdio_nonblock();
	/*
	 * Three descriptors need no epoll, and epoll refuses regular files
	 * and /dev/null, which standard input may well be.
	 */
	if (setenv("EVENT_NOEPOLL", "1", 1) == -1 ||
	    setenv("EVENT_NOKQUEUE", "1", 1) == -1)
		fatal("setenv");
	if (event_init() == NULL)
		fatalx("event_init failed");

	if ((s = engine_session_new(conf, &stdio_local, NULL, STDIN_FILENO,
	    STDOUT_FILENO, dst)) == NULL)
		fatal("session");
	engine_session_start(s);
	(void)event_dispatch();
	return (exit_status);
}

static int
connect_main(int argc, char *argv[])
{
	struct gs_opts		o;
	struct socks_addr	dst;
	int			ch, r;

	opt_init(&o);
	while ((ch = getopt(argc, argv, "46l:m:Nnp:s:t:v")) != -1)
		if (opt_common(&o, ch, optarg) == -1)
			usage();
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	opt_check(&o, 0);
	if (parse_target(argv[0], &dst) == -1)
		return (GS_EXIT_LOCAL);
	if ((r = resolve_proxy(&o.o_conf, o.o_proxy, o.o_family)) != 0)
		return (r);
	r = connect_run(&o.o_conf, &dst);
	freeaddrinfo(o.o_conf.gc_proxyai);
	return (r);
}

/*
 * What bridge and forward share: the proxy or the routes, the event base
 * and the listening sockets, all before the first session.
 */
static int
server_setup(struct gs_opts *o, struct gs_server *sv, int mode)
{
	int	r;

	memset(sv, 0, sizeof(*sv));
	sv->sv_mode = mode;
	sv->sv_conf = &o->o_conf;
	sv->sv_maxconn = o->o_maxconn;
	if (o->o_routefile != NULL) {
		sv->sv_routefile = o->o_routefile;
		o->o_routes = parse_config(o->o_routefile, &o->o_conf,
		    o->o_family);
		if (o->o_routes == NULL)
			return (GS_EXIT_LOCAL);
		sv->sv_routes = o->o_routes;
	} else if ((r = resolve_proxy(&o->o_conf, o->o_proxy,
	    o->o_family)) != 0)
		return (r);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if (event_init() == NULL)
		fatalx("event_init failed");
	if (bridge_listen(sv, o->o_listen, AF_UNSPEC) == -1)
		return (GS_EXIT_LOCAL);
	return (0);
}

/*
 * What server_setup() allocated.  The process exits next, but a leak
 * check at exit (a sanitizer build) must see only real leaks.
 */
static void
server_free(struct gs_opts *o)
{
	config_free(o->o_routes);
	o->o_routes = NULL;
	if (o->o_conf.gc_proxyai != NULL) {
		freeaddrinfo(o->o_conf.gc_proxyai);
		o->o_conf.gc_proxyai = NULL;
	}
}

static int
bridge_main(int argc, char *argv[])
{
	struct gs_opts		o;
	struct gs_server	sv;
	int			ch, r;

	opt_init(&o);
	o.o_listen = GS_DEFAULT_BRIDGE;
	while ((ch = getopt(argc, argv, "46b:c:f:l:m:Nnp:s:t:v")) != -1)
		if (opt_common(&o, ch, optarg) == -1)
			usage();
	argc -= optind;
	if (argc != 0)
		usage();
	opt_check(&o, 1);
	if ((r = server_setup(&o, &sv, GS_MODE_BRIDGE)) == 0)
		r = bridge_run(&sv);
	server_free(&o);
	return (r);
}

static int
forward_main(int argc, char *argv[])
{
	struct gs_opts		o;
	struct gs_server	sv;
	struct socks_addr	dst;
	int			ch, r;

	opt_init(&o);
	while ((ch = getopt(argc, argv, "46c:f:L:l:m:Nnp:s:t:v")) != -1)
		if (opt_common(&o, ch, optarg) == -1)
			usage();
	argc -= optind;
	argv += optind;
	if (argc != 1 || o.o_listen == NULL)
		usage();
	opt_check(&o, 1);
	if (parse_target(argv[0], &dst) == -1)
		return (GS_EXIT_LOCAL);
	if ((r = server_setup(&o, &sv, GS_MODE_FORWARD)) == 0) {
		sv.sv_target = dst;
		r = bridge_run(&sv);
	}
	server_free(&o);
	return (r);
}

int
main(int argc, char *argv[])
{
	log_init(1, LOG_USER);
	log_setverbose(1);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "connect") == 0)
		return (connect_main(argc - 1, argv + 1));
	if (strcmp(argv[1], "bridge") == 0)
		return (bridge_main(argc - 1, argv + 1));
	if (strcmp(argv[1], "forward") == 0)
		return (forward_main(argc - 1, argv + 1));
	usage();
}

/*
 * A throwaway Heimdal realm for the authd tests (see krbtest.h).
 *
 * kadmin and kdc get our configuration file explicitly (-c,
 * --config-file): without it Heimdal also reads the system's kdc.conf
 * first and would write our principals into the system database.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "krbtest.h"

#define TK_CMD_TIMEOUT	60000	/* ms, any kadmin or ktutil run */
#define TK_KDC_TIMEOUT	10000	/* ms, for the kdc to listen */
#define TK_KILL_TIMEOUT	5000	/* ms, for the kdc to exit */
#define TK_MAXARGS	32
#define TK_MAXFILE	(1024 * 1024)
#define TK_PIDFILE	"kdc.pid"
#define TK_LOG		"commands.log"

static pid_t	 tk_kdc_pid = -1;

static const char *tk_kdc_paths[] = {
	"/usr/lib/heimdal-servers/kdc",		/* Debian */
	"/usr/libexec/heimdal/kdc",
	"/usr/local/heimdal/libexec/kdc",	/* OpenBSD package */
	"/usr/libexec/kdc",
	"/usr/sbin/kdc",
	NULL
};

static void
tk_sleep_ms(long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

/* Wait for pid at most ms milliseconds; -1 if it didn't exit. */
static int
tk_wait(pid_t pid, long ms, int *status)
{
	long	 waited;
	pid_t	 r;

	for (waited = 0; waited <= ms; waited += 10) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return (0);
		if (r == -1 && errno != EINTR)
			return (-1);
		tk_sleep_ms(10);
	}
	return (-1);
}

static void
tk_child_output(const char *file)
{
	int	 fd;

	if ((fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0644)) == -1)
		_exit(127);
	(void)dup2(fd, STDOUT_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		(void)close(fd);
}

void
tk_run(const char *const *argv)
{
	pid_t	 pid;
	int	 status;

	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		tk_child_output(TK_LOG);
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	if (tk_wait(pid, TK_CMD_TIMEOUT, &status) == -1) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
		atf_tc_fail("%s %s: timed out", argv[0], argv[1]);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		atf_tc_fail("%s %s failed (status %d), see %s", argv[0],
		    argv[1] != NULL ? argv[1] : "", status, TK_LOG);
}

/* kadmin -l -c <conf> <args...>, the argument list ending with NULL. */
void
tk_kadmin(struct tk_realm *r, ...)
{
	const char	*argv[TK_MAXARGS];
	va_list		 ap;
	int		 n = 0;

	argv[n++] = "kadmin";
	argv[n++] = "-l";
	argv[n++] = "-c";
	argv[n++] = r->tk_conf;
	va_start(ap, r);
	while (n < TK_MAXARGS - 1 &&
	    (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	tk_run(argv);
}

/* A port free for both TCP and UDP on 127.0.0.1 right now. */
static int
tk_free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len;
	int			 t, u, port, tries;

	for (tries = 0; tries < 20; tries++) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ATF_REQUIRE((t = socket(AF_INET, SOCK_STREAM, 0)) != -1);
		ATF_REQUIRE(bind(t, (struct sockaddr *)&sin,
		    sizeof(sin)) == 0);
		len = sizeof(sin);
		ATF_REQUIRE(getsockname(t, (struct sockaddr *)&sin,
		    &len) == 0);
		port = ntohs(sin.sin_port);
		ATF_REQUIRE((u = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
		if (bind(u, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
			(void)close(u);
			(void)close(t);
			return (port);
		}
		(void)close(u);
		(void)close(t);
	}
	atf_tc_fail("no free port on 127.0.0.1");
}

static void
tk_write_conf(struct tk_realm *r)
{
	FILE	*f;

	ATF_REQUIRE((f = fopen(r->tk_conf, "w")) != NULL);
	fprintf(f,
	    "[libdefaults]\n"
	    "\tdefault_realm = %s\n"
	    "\tdns_lookup_realm = false\n"
	    "\tdns_lookup_kdc = false\n"
	    "\tdns_canonicalize_hostname = false\n"
	    "\trdns = false\n"
	    "\tkdc_timeout = 3\n"
	    "\tmax_retries = 2\n"
	    "[realms]\n"
	    "\t%s = {\n"
	    "\t\tkdc = tcp/127.0.0.1:%d\n"
	    "\t}\n"
	    "[kdc]\n"
	    "\tdatabase = {\n"
	    "\t\tdbname = %s/hdb\n"
	    "\t\tmkey_file = %s/mkey\n"
	    "\t\tlog_file = %s/iprop.log\n"
	    "\t}\n"
	    "[kadmin]\n"
	    "\tdefault_keys = aes256-cts-hmac-sha1-96:pw-salt "
	    "des3-cbc-sha1:pw-salt arcfour-hmac-md5:pw-salt\n"
	    "[logging]\n"
	    "\tkdc = FILE:%s/kdc.log\n"
	    "\tdefault = FILE:%s/krb5.log\n",
	    TK_REALM, TK_REALM, r->tk_port, r->tk_dir, r->tk_dir, r->tk_dir,
	    r->tk_dir, r->tk_dir);
	ATF_REQUIRE(fclose(f) == 0);
}

/*
 * The realm TEST.SOCKD in ./realm: rcmd/host.test with a random key in
 * ./realm/sockd.keytab, and user@TEST.SOCKD with a password.  Sets
 * KRB5_CONFIG for this process and its children, before any Kerberos
 * library call reads it.
 */
void
tk_realm_create(struct tk_realm *r)
{
	char	 cwd[PATH_MAX];
	int	 n;

	memset(r, 0, sizeof(*r));
	r->tk_kdc = -1;
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	n = snprintf(r->tk_dir, sizeof(r->tk_dir), "%s/realm", cwd);
	ATF_REQUIRE(n > 0 && (size_t)n < sizeof(r->tk_dir));
	n = snprintf(r->tk_conf, sizeof(r->tk_conf), "%s/krb5.conf",
	    r->tk_dir);
	ATF_REQUIRE(n > 0 && (size_t)n < sizeof(r->tk_conf));
	n = snprintf(r->tk_keytab, sizeof(r->tk_keytab), "%s/sockd.keytab",
	    r->tk_dir);
	ATF_REQUIRE(n > 0 && (size_t)n < sizeof(r->tk_keytab));
	ATF_REQUIRE(mkdir(r->tk_dir, 0700) == 0 || errno == EEXIST);
	r->tk_port = tk_free_port();
	tk_write_conf(r);
	ATF_REQUIRE(setenv("KRB5_CONFIG", r->tk_conf, 1) == 0);
	ATF_REQUIRE(unsetenv("KRB5CCNAME") == 0);

	tk_kadmin(r, "init", "--realm-max-ticket-life=1d",
	    "--realm-max-renewable-life=1d", TK_REALM, NULL);
	tk_kadmin(r, "add", "--random-key", "--use-defaults", TK_SERVICE,
	    NULL);
	tk_kadmin(r, "add", "--password=" TK_PASSWORD, "--use-defaults",
	    TK_USER, NULL);
	tk_kadmin(r, "ext_keytab", "-k", r->tk_keytab, TK_SERVICE, NULL);
}

static void
tk_kdc_atexit(void)
{
	int	 status;

	if (tk_kdc_pid == -1)
		return;
	(void)kill(tk_kdc_pid, SIGTERM);
	if (tk_wait(tk_kdc_pid, TK_KILL_TIMEOUT, &status) == -1) {
		(void)kill(tk_kdc_pid, SIGKILL);
		(void)tk_wait(tk_kdc_pid, TK_KILL_TIMEOUT, &status);
	}
	tk_kdc_pid = -1;
	(void)unlink(TK_PIDFILE);
}

static int
tk_kdc_listening(int port)
{
	struct sockaddr_in	 sin;
	int			 s, ok;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (0);
	ok = connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	(void)close(s);
	return (ok);
}

static const char *
tk_kdc_path(void)
{
	const char	*p;
	int		 i;

	if ((p = getenv("SOCKD_TEST_KDC")) != NULL)
		return (p);
	for (i = 0; tk_kdc_paths[i] != NULL; i++)
		if (access(tk_kdc_paths[i], X_OK) == 0)
			return (tk_kdc_paths[i]);
	atf_tc_fail("no Heimdal kdc found; set SOCKD_TEST_KDC");
}

/* Starts the kdc and waits until it accepts TCP connections. */
void
tk_kdc_start(struct tk_realm *r)
{
	char		 conf[PATH_MAX + 32], ports[16], out[PATH_MAX + 16];
	const char	*kdc;
	FILE		*f;
	long		 waited;
	pid_t		 pid;
	int		 status;

	kdc = tk_kdc_path();
	(void)snprintf(conf, sizeof(conf), "--config-file=%s", r->tk_conf);
	(void)snprintf(ports, sizeof(ports), "--ports=%d", r->tk_port);
	(void)snprintf(out, sizeof(out), "%s/kdc.out", r->tk_dir);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
#ifdef __linux__
		/* Should the test die hard, the kdc goes with it. */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
		tk_child_output(out);
		execl(kdc, "kdc", conf, "--addresses=127.0.0.1", ports,
		    (char *)NULL);
		_exit(127);
	}
	tk_kdc_pid = r->tk_kdc = pid;
	(void)atexit(tk_kdc_atexit);
	if ((f = fopen(TK_PIDFILE, "w")) != NULL) {
		fprintf(f, "%ld\n", (long)pid);
		(void)fclose(f);
	}
	for (waited = 0; waited < TK_KDC_TIMEOUT; waited += 50) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			tk_kdc_pid = r->tk_kdc = -1;
			atf_tc_fail("kdc exited with status %d, see %s",
			    status, out);
		}
		if (tk_kdc_listening(r->tk_port))
			return;
		tk_sleep_ms(50);
	}
	atf_tc_fail("kdc not listening on 127.0.0.1:%d after %d ms",
	    r->tk_port, TK_KDC_TIMEOUT);
}

/*
 * For a test's cleanup routine, which runs in another process: the body
 * normally stopped the kdc and removed the pid file at exit already.
 */
void
tk_kdc_cleanup(void)
{
	FILE	*f;
	long	 pid = -1, waited;

	if ((f = fopen(TK_PIDFILE, "r")) == NULL)
		return;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	(void)fclose(f);
	if (pid <= 1)
		return;
	(void)kill((pid_t)pid, SIGTERM);
	for (waited = 0; waited < TK_KILL_TIMEOUT; waited += 50) {
		if (kill((pid_t)pid, 0) == -1)
			break;
		tk_sleep_ms(50);
	}
	(void)kill((pid_t)pid, SIGKILL);
	(void)unlink(TK_PIDFILE);
}

uint8_t *
tk_readfile(const char *path, size_t *lenp)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	ATF_REQUIRE((fd = open(path, O_RDONLY)) != -1);
	ATF_REQUIRE(fstat(fd, &st) == 0);
	ATF_REQUIRE(st.st_size > 0 && st.st_size < TK_MAXFILE);
	ATF_REQUIRE((buf = malloc(st.st_size)) != NULL);
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, st.st_size - off);
		ATF_REQUIRE(n > 0);
		off += n;
	}
	(void)close(fd);
	*lenp = off;
	return (buf);
}

void
tk_writefile(const char *path, const void *buf, size_t len)
{
	int	 fd;

	ATF_REQUIRE((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) != -1);
	ATF_REQUIRE(write(fd, buf, len) == (ssize_t)len);
	ATF_REQUIRE(close(fd) == 0);
}

/*
 * sockd.conf parser: good configs give the expected structures, bad
 * ones fail with exactly the "file:line: message" lines of their golden
 * .err file under conf/.
 *
 * Every test copies the files it reads into its own work directory with
 * mode 0644, because the parser refuses a config that group or others
 * may write and a checkout's modes depend on the umask.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <atf-c.h>

#include "config.h"
#include "log.h"
#include "parse.h"
#include "rule.h"

#define STDERR_FILE	"stderr.out"

static void
copy_file(const atf_tc_t *tc, const char *name, const char *dest)
{
	char	 src[PATH_MAX], buf[8192];
	ssize_t	 n;
	int	 in, out;

	ATF_REQUIRE(snprintf(src, sizeof(src), "%s/conf/%s",
	    atf_tc_get_config_var(tc, "srcdir"), name) < (int)sizeof(src));
	ATF_REQUIRE_MSG((in = open(src, O_RDONLY)) != -1, "%s: %s", src,
	    strerror(errno));
	ATF_REQUIRE((out = open(dest, O_WRONLY | O_CREAT | O_TRUNC, 0644)) !=
	    -1);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ATF_REQUIRE(write(out, buf, n) == n);
	ATF_REQUIRE(n == 0);
	ATF_REQUIRE(fchmod(out, 0644) == 0);
	close(in);
	close(out);
}

static void
copy_conf(const atf_tc_t *tc, const char *name)
{
	copy_file(tc, name, name);
}

static void
write_conf(const char *name, const char *text, mode_t mode)
{
	int	 fd;

	ATF_REQUIRE((fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode)) !=
	    -1);
	ATF_REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	ATF_REQUIRE(fchmod(fd, mode) == 0);
	close(fd);
}

/* parse_config() with what it logs caught in STDERR_FILE. */
static int
parse(const char *file, struct sockd_conf *conf, struct rule **rules,
    int *nrules)
{
	int	 fd, saved, rv;

	log_init(1, LOG_DAEMON);
	fflush(stderr);
	ATF_REQUIRE((saved = dup(STDERR_FILENO)) != -1);
	ATF_REQUIRE((fd = open(STDERR_FILE, O_WRONLY | O_CREAT | O_TRUNC,
	    0644)) != -1);
	ATF_REQUIRE(dup2(fd, STDERR_FILENO) != -1);
	close(fd);
	rv = parse_config(file, conf, rules, nrules);
	fflush(stderr);
	ATF_REQUIRE(dup2(saved, STDERR_FILENO) != -1);
	close(saved);
	return (rv);
}

/* The next line of fp without its newline, or NULL at the end. */
static char *
next_line(FILE *fp, char *buf, size_t len)
{
	if (fgets(buf, len, fp) == NULL)
		return (NULL);
	buf[strcspn(buf, "\n")] = '\0';
	return (buf);
}

/*
 * What was logged, without log.c's "parse_test: " prefix, must be the
 * golden file line for line; no golden file means nothing logged.
 */
static void
check_log(const atf_tc_t *tc, const char *golden)
{
	char	 path[PATH_MAX], want[1024], got[1024], *g, *w, *p;
	FILE	*gf = NULL, *lf;
	int	 line = 0;

	if (golden != NULL) {
		(void)snprintf(path, sizeof(path), "%s/conf/%s",
		    atf_tc_get_config_var(tc, "srcdir"), golden);
		ATF_REQUIRE_MSG((gf = fopen(path, "r")) != NULL, "%s: %s",
		    path, strerror(errno));
	}
	ATF_REQUIRE((lf = fopen(STDERR_FILE, "r")) != NULL);
	for (;;) {
		line++;
		w = gf != NULL ? next_line(gf, want, sizeof(want)) : NULL;
		g = next_line(lf, got, sizeof(got));
		if (g != NULL && (p = strstr(g, ": ")) != NULL)
			g = p + 2;
		if (w == NULL && g == NULL)
			break;
		ATF_CHECK_MSG(w != NULL, "unexpected line %d: %s", line, g);
		ATF_CHECK_MSG(g != NULL, "missing line %d: %s", line, w);
		if (w == NULL || g == NULL)
			break;
		ATF_CHECK_STREQ_MSG(w, g, "line %d", line);
	}
	if (gf != NULL)
		fclose(gf);
	fclose(lf);
}

/* Was this exact line logged? */
static int
log_has(const char *want)
{
	char	 got[1024], *g, *p;
	FILE	*lf;
	int	 found = 0;

	ATF_REQUIRE((lf = fopen(STDERR_FILE, "r")) != NULL);
	while (!found && (g = next_line(lf, got, sizeof(got))) != NULL) {
		if ((p = strstr(g, ": ")) != NULL)
			g = p + 2;
		found = strcmp(g, want) == 0;
	}
	fclose(lf);
	return (found);
}

static void
check_bad(const atf_tc_t *tc, const char *base)
{
	struct sockd_conf	 conf;
	struct rule		*rules = (struct rule *)1;
	char			 conffile[64], errfile[64];
	int			 nrules = 1;

	(void)snprintf(conffile, sizeof(conffile), "%s.conf", base);
	(void)snprintf(errfile, sizeof(errfile), "%s.err", base);
	copy_conf(tc, conffile);
	ATF_CHECK_EQ(parse(conffile, &conf, &rules, &nrules), -1);
	ATF_CHECK(rules == NULL);
	ATF_CHECK_EQ(nrules, 0);
	check_log(tc, errfile);
}

static int
sa_is(const struct listenaddr *la, int af, const char *addr, int port)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	struct in6_addr			 a6;
	struct in_addr			 a4;

	if (la->la_ss.ss_family != af)
		return (0);
	if (af == AF_INET) {
		sin = (const struct sockaddr_in *)&la->la_ss;
		ATF_REQUIRE(inet_pton(AF_INET, addr, &a4) == 1);
		return (la->la_sslen == sizeof(*sin) &&
		    sin->sin_addr.s_addr == a4.s_addr &&
		    ntohs(sin->sin_port) == port);
	}
	sin6 = (const struct sockaddr_in6 *)&la->la_ss;
	ATF_REQUIRE(inet_pton(AF_INET6, addr, &a6) == 1);
	return (la->la_sslen == sizeof(*sin6) &&
	    memcmp(&sin6->sin6_addr, &a6, sizeof(a6)) == 0 &&
	    ntohs(sin6->sin6_port) == port);
}

/* An address rule in config syntax, as rule_addr_str() prints it. */
static void
check_addr(const struct addrmatch *am, const char *want)
{
	char	 buf[512];

	ATF_CHECK_STREQ(rule_addr_str(am, buf, sizeof(buf)), want);
}

static void
check_rule(const struct rule *r, const char *want)
{
	char	 buf[512];

	ATF_CHECK_STREQ(rule_str(r, buf, sizeof(buf)), want);
}

/* r_users as "a b c". */
static const char *
users(const struct rule *r, char *buf, size_t len)
{
	size_t	 off;

	buf[0] = '\0';
	for (off = 0; off < r->r_userslen;
	    off += strlen(r->r_users + off) + 1) {
		if (buf[0] != '\0')
			(void)strlcat(buf, " ", len);
		(void)strlcat(buf, r->r_users + off, len);
	}
	return (buf);
}

ATF_TC_WITHOUT_HEAD(defaults);
ATF_TC_BODY(defaults, tc)
{
	struct sockd_conf	 conf;
	struct rule		*rules;
	int			 nrules;

	copy_conf(tc, "good_minimal.conf");
	ATF_REQUIRE_EQ(parse("good_minimal.conf", &conf, &rules, &nrules), 0);
	check_log(tc, "good_minimal.warn");
	ATF_CHECK_EQ(nrules, 0);
	ATF_CHECK_EQ(conf.sc_nrules, 0);
	ATF_CHECK_EQ(conf.sc_nlisten, 1);
	ATF_CHECK(sa_is(&conf.sc_listen[0], AF_INET, "127.0.0.1", 1080));
	ATF_CHECK_EQ(conf.sc_nexternal, 0);
	ATF_CHECK_EQ(conf.sc_socksmethods.ml_n, 1);
	ATF_CHECK_EQ(conf.sc_socksmethods.ml_m[0], METHOD_NONE);
	ATF_CHECK_EQ(conf.sc_clientmethods.ml_n, 1);
	ATF_CHECK_EQ(conf.sc_clientmethods.ml_m[0], METHOD_NONE);
	ATF_CHECK_STREQ(conf.sc_user_priv, "root");
	ATF_CHECK_STREQ(conf.sc_user_unpriv, SOCKD_USER);
	ATF_CHECK_STREQ(conf.sc_user_auth, SOCKD_USER);
	ATF_CHECK_EQ(conf.sc_logto, LOGTO_SYSLOG);
	ATF_CHECK_EQ(conf.sc_syslog_facility, LOG_DAEMON);
	ATF_CHECK_EQ(conf.sc_debug, 0);
	ATF_CHECK_EQ(conf.sc_timeout_negotiate, 30);
	ATF_CHECK_EQ(conf.sc_timeout_io, 0);
	ATF_CHECK_EQ(conf.sc_timeout_connect, 30);
	ATF_CHECK_STREQ(conf.sc_gss.gc_servicename, SOCKD_SERVICE);
	ATF_CHECK_STREQ(conf.sc_gss.gc_keytab, SOCKD_KEYTAB);
	ATF_CHECK_EQ(conf.sc_gss.gc_levels, GSS_LEVELS_DEFAULT);
	ATF_CHECK_EQ(conf.sc_gss.gc_nec, 0);
	ATF_CHECK_EQ(conf.sc_gss.gc_weak, 0);
	/* No gssapi method, so no keytab to read. */
	ATF_CHECK_EQ(conf.sc_nkeytabs, 0);
	ATF_CHECK_EQ(conf.sc_gss.gc_keytab_id, -1);
	ATF_CHECK_EQ(conf.sc_nrelays, 0);
	free(rules);
}

ATF_TC_WITHOUT_HEAD(kerberos_site);
ATF_TC_BODY(kerberos_site, tc)
{
	struct sockd_conf	 conf;
	struct rule		*rules, *r;
	char			 buf[512];
	int			 nrules, i;

	copy_conf(tc, "good_kerberos.conf");
	ATF_REQUIRE_EQ(parse("good_kerberos.conf", &conf, &rules, &nrules),
	    0);
	check_log(tc, NULL);

	ATF_CHECK_EQ(conf.sc_logto, LOGTO_SYSLOG);
	ATF_CHECK_EQ(conf.sc_syslog_facility, LOG_LOCAL3);
	ATF_REQUIRE_EQ(conf.sc_nlisten, 2);
	ATF_CHECK(sa_is(&conf.sc_listen[0], AF_INET, "192.0.2.10", 1080));
	ATF_CHECK(sa_is(&conf.sc_listen[1], AF_INET, "127.0.0.1", 1080));
	ATF_REQUIRE_EQ(conf.sc_nexternal, 1);
	ATF_CHECK_EQ(conf.sc_external[0].ea_isif, 0);
	ATF_CHECK_EQ(conf.sc_external[0].ea_ss.ss_family, AF_INET);
	ATF_CHECK_EQ(conf.sc_socksmethods.ml_n, 1);
	ATF_CHECK_EQ(conf.sc_socksmethods.ml_m[0], METHOD_GSSAPI);
	ATF_CHECK_STREQ(conf.sc_user_priv, "root");
	ATF_CHECK_STREQ(conf.sc_user_unpriv, "nobody");
	ATF_CHECK_STREQ(conf.sc_user_auth, "daemon");
	ATF_CHECK_EQ(conf.sc_timeout_negotiate, 20);
	ATF_CHECK_EQ(conf.sc_timeout_io, 3600);
	ATF_CHECK_EQ(conf.sc_timeout_connect, 15);
	ATF_CHECK_STREQ(conf.sc_gss.gc_servicename, "rcmd");
	/* "FILE:" is stripped. */
	ATF_CHECK_STREQ(conf.sc_gss.gc_keytab, "/etc/sockd.keytab");
	ATF_CHECK_EQ(conf.sc_gss.gc_levels, GSS_LEVELS_DEFAULT);
	ATF_CHECK_EQ(conf.sc_nkeytabs, 1);
	ATF_CHECK_STREQ(conf.sc_keytabs[0], "/etc/sockd.keytab");
	ATF_CHECK_EQ(conf.sc_gss.gc_keytab_id, 0);

	ATF_REQUIRE_EQ(nrules, 8);
	ATF_CHECK_EQ(conf.sc_nrules, 8);
	check_rule(&rules[0], "client pass rule #1 (good_kerberos.conf:20)");
	check_rule(&rules[1], "client pass rule #2 (good_kerberos.conf:24)");
	check_rule(&rules[2], "client block rule #3 (good_kerberos.conf:29)");
	check_rule(&rules[3], "socks block rule #1 (good_kerberos.conf:34)");
	check_rule(&rules[4], "socks pass rule #2 (good_kerberos.conf:39)");
	check_rule(&rules[5], "socks pass rule #3 (good_kerberos.conf:46)");
	check_rule(&rules[6], "socks pass rule #4 (good_kerberos.conf:51)");
	check_rule(&rules[7], "socks block rule #5 (good_kerberos.conf:56)");

	r = &rules[0];
	check_addr(&r->r_from, "10.0.0.0/8");
	check_addr(&r->r_to, "0/0");
	ATF_CHECK_EQ(r->r_log, RLOG_ERROR);
	ATF_CHECK_EQ(r->r_gss_set, 0);

	r = &rules[1];
	check_addr(&r->r_from, "127.0.0.0/8");
	check_addr(&r->r_to, "127.0.0.1/32 port = 1080");
	ATF_CHECK_EQ(r->r_log, RLOG_CONNECT | RLOG_DISCONNECT | RLOG_ERROR);
	ATF_CHECK_EQ(r->r_gss_set, GC_SET_LEVELS);
	ATF_CHECK_EQ(r->r_gss.gc_levels, GSS_LEVEL_BIT(GSS_LEVEL_CONF));

	r = &rules[3];
	ATF_CHECK_EQ(r->r_commands, CMD_CONNECT);
	check_addr(&r->r_to, "10.0.0.0/8");

	r = &rules[4];
	check_addr(&r->r_to, ".example.com port = 443");
	ATF_CHECK_EQ(r->r_commands, CMD_CONNECT);
	ATF_CHECK_STREQ(users(r, buf, sizeof(buf)),
	    "alice@EXAMPLE.COM bob@EXAMPLE.COM carol@EXAMPLE.COM");
	ATF_CHECK_EQ(r->r_userslen, sizeof("alice@EXAMPLE.COM") +
	    sizeof("bob@EXAMPLE.COM") + sizeof("carol@EXAMPLE.COM"));
	ATF_CHECK_EQ(r->r_log, RLOG_CONNECT | RLOG_DISCONNECT);
	ATF_CHECK_EQ(r->r_methods.ml_n, 0);

	r = &rules[5];
	check_addr(&r->r_to, "0/0 port 1 - 1023");
	ATF_CHECK_EQ(r->r_gss_set, GC_SET_LEVELS);

	r = &rules[6];
	ATF_CHECK_EQ(r->r_commands, CMD_BINDREPLY | CMD_UDPREPLY);

	/* Every rule carries the global GSS-API settings it did not set. */
	for (i = 0; i < nrules; i++) {
		r = &rules[i];
		ATF_CHECK_STREQ(r->r_gss.gc_servicename, "rcmd");
		ATF_CHECK_STREQ(r->r_gss.gc_keytab, "/etc/sockd.keytab");
		ATF_CHECK_EQ(r->r_gss.gc_keytab_id, 0);
		if ((r->r_gss_set & GC_SET_LEVELS) == 0)
			ATF_CHECK_EQ(r->r_gss.gc_levels,
			    conf.sc_gss.gc_levels);
	}
	free(rules);
}

ATF_TC_WITHOUT_HEAD(ipv6);
ATF_TC_BODY(ipv6, tc)
{
	struct sockd_conf	 conf;
	struct rule		*rules;
	int			 nrules;

	copy_conf(tc, "good_ipv6.conf");
	ATF_REQUIRE_EQ(parse("good_ipv6.conf", &conf, &rules, &nrules), 0);
	check_log(tc, NULL);
	ATF_CHECK_EQ(conf.sc_logto, LOGTO_STDERR);
	ATF_REQUIRE_EQ(conf.sc_nlisten, 3);
	ATF_CHECK(sa_is(&conf.sc_listen[0], AF_INET6, "::1", 1080));
	ATF_CHECK(sa_is(&conf.sc_listen[1], AF_INET, "127.0.0.1", 1081));
	ATF_CHECK(sa_is(&conf.sc_listen[2], AF_INET6, "::", 1082));
	ATF_REQUIRE_EQ(nrules, 6);
	ATF_CHECK_EQ(rules[0].r_from.am_type, ADDR_NET);
	ATF_CHECK_EQ(rules[0].r_from.am_family, AF_INET6);
	ATF_CHECK_EQ(rules[0].r_from.am_prefixlen, 128);
	check_addr(&rules[0].r_from, "::1/128");
	check_addr(&rules[0].r_to, "::/0");
	ATF_CHECK_EQ(rules[0].r_to.am_family, AF_INET6);
	ATF_CHECK_EQ(rules[0].r_to.am_prefixlen, 0);
	check_addr(&rules[1].r_from, "fd00::/8");
	ATF_CHECK_EQ(rules[2].r_from.am_type, ADDR_ANY);
	check_addr(&rules[3].r_to, "2001:db8::/32 port >= 1024");
	check_addr(&rules[4].r_from, "0.0.0.0/0");
	ATF_CHECK_EQ(rules[4].r_from.am_family, AF_INET);
	check_addr(&rules[4].r_to, "::1/128 port != 22");
	check_rule(&rules[5], "socks block rule #3 (good_ipv6.conf:14)");
	free(rules);
}

ATF_TC_WITHOUT_HEAD(every_keyword);
ATF_TC_BODY(every_keyword, tc)
{
	static const char *ports[] = {
		"0/0 port != 80", "0/0 port != 81", "0/0 port < 82",
		"0/0 port >= 83", "0/0 port <= 84", "0/0 port = 85",
		"0/0 port = 86"
	};
	struct sockd_conf	 conf;
	struct rule		*rules, *r;
	char			 buf[512];
	int			 nrules, i;

	copy_conf(tc, "good_every.conf");
	ATF_REQUIRE_EQ(parse("good_every.conf", &conf, &rules, &nrules), 0);
	check_log(tc, "good_every.warn");

	ATF_CHECK_EQ(conf.sc_logto, LOGTO_SYSLOG | LOGTO_STDERR | LOGTO_FILE);
	ATF_CHECK_STREQ(conf.sc_logfile, "/var/log/sockd.log");
	ATF_CHECK_EQ(conf.sc_syslog_facility, LOG_DAEMON);
	ATF_REQUIRE_EQ(conf.sc_nlisten, 1);
	ATF_CHECK(sa_is(&conf.sc_listen[0], AF_INET, "127.0.0.1", 1080));
	ATF_REQUIRE_EQ(conf.sc_nexternal, 2);
	ATF_CHECK_EQ(conf.sc_external[1].ea_ss.ss_family, AF_INET6);
	ATF_CHECK_EQ(conf.sc_socksmethods.ml_n, 2);
	ATF_CHECK_EQ(conf.sc_socksmethods.ml_m[0], METHOD_GSSAPI);
	ATF_CHECK_EQ(conf.sc_socksmethods.ml_m[1], METHOD_NONE);
	ATF_CHECK_STREQ(conf.sc_user_unpriv, "nobody");
	ATF_CHECK_EQ(conf.sc_debug, 2);
	ATF_CHECK_EQ(conf.sc_timeout_connect, 10);
	ATF_CHECK_EQ(conf.sc_timeout_io, 60);
	ATF_CHECK_EQ(conf.sc_timeout_negotiate, 0);
	ATF_CHECK_STREQ(conf.sc_gss.gc_servicename, "socks");
	ATF_CHECK_STREQ(conf.sc_gss.gc_keytab, "/etc/krb5.keytab");
	ATF_CHECK_EQ(conf.sc_gss.gc_levels, GSS_LEVELS_DEFAULT |
	    GSS_LEVEL_BIT(GSS_LEVEL_CLEAR));
	ATF_CHECK_EQ(conf.sc_gss.gc_weak, 0);
	ATF_CHECK_EQ(conf.sc_gss.gc_nec, 1);
	ATF_CHECK_EQ(conf.sc_nkeytabs, 2);
	ATF_CHECK_STREQ(conf.sc_keytabs[0], "/etc/krb5.keytab");
	ATF_CHECK_STREQ(conf.sc_keytabs[1], "/etc/other.keytab");

	ATF_REQUIRE_EQ(nrules, 12);
	r = &rules[0];
	check_rule(r, "client pass rule #1 (good_every.conf:21)");
	check_addr(&r->r_from, "127.0.0.0/8 port > 1023");
	check_addr(&r->r_to, "127.0.0.1/32 port = 1080");
	/* method: in a client rule is Dante's old clientmethod:. */
	ATF_CHECK_EQ(r->r_clientmethods.ml_n, 1);
	ATF_CHECK_EQ(r->r_methods.ml_n, 1);
	ATF_CHECK_EQ(r->r_methods.ml_m[0], METHOD_GSSAPI);
	ATF_CHECK_EQ(r->r_gss_set, GC_SET_SERVICE | GC_SET_KEYTAB |
	    GC_SET_LEVELS | GC_SET_NEC);
	ATF_CHECK_STREQ(r->r_gss.gc_servicename, "host/proxy.example.com");
	ATF_CHECK_STREQ(r->r_gss.gc_keytab, "/etc/other.keytab");
	ATF_CHECK_EQ(r->r_gss.gc_keytab_id, 1);
	ATF_CHECK_EQ(r->r_gss.gc_levels, GSS_LEVEL_BIT(GSS_LEVEL_CLEAR) |
	    GSS_LEVEL_BIT(GSS_LEVEL_INTEGRITY));
	ATF_CHECK_EQ(r->r_gss.gc_weak, 0);	/* global only */
	ATF_CHECK_EQ(r->r_gss.gc_nec, 1);
	ATF_CHECK_EQ(r->r_log, RLOG_CONNECT | RLOG_DISCONNECT | RLOG_ERROR |
	    RLOG_IOOPERATION | RLOG_DATA);

	r = &rules[1];
	check_rule(r, "socks pass rule #1 (good_every.conf:31)");
	check_addr(&r->r_to, "0/0 port < 1024");
	ATF_CHECK_EQ(r->r_commands, CMD_ALL);
	ATF_CHECK_EQ(r->r_methods.ml_n, 2);
	ATF_CHECK_EQ(r->r_methods.ml_m[0], METHOD_NONE);
	ATF_CHECK_EQ(r->r_gss.gc_keytab_id, 0);
	ATF_CHECK_EQ(r->r_gss.gc_nec, 1);

	r = &rules[2];
	check_addr(&r->r_from, "10.0.0.0/8 port = 1");
	check_addr(&r->r_to, "www.example.com port > 1");
	ATF_CHECK_EQ(r->r_to.am_type, ADDR_DOMAIN);

	r = &rules[3];
	check_addr(&r->r_to, ". port 1 - 65535");
	ATF_CHECK_EQ(r->r_commands, CMD_UDPASSOCIATE | CMD_UDPREPLY);

	r = &rules[4];
	check_addr(&r->r_to, "0/0 port <= 80");
	ATF_CHECK_STREQ(users(r, buf, sizeof(buf)), "quoted@EXAMPLE.COM");

	for (i = 0; i < (int)(sizeof(ports) / sizeof(ports[0])); i++)
		check_addr(&rules[5 + i].r_to, ports[i]);
	check_rule(&rules[6], "socks pass rule #6 (good_every.conf:45)");
	free(rules);
}

ATF_TC_WITHOUT_HEAD(include);
ATF_TC_BODY(include, tc)
{
	struct sockd_conf	 conf;
	struct rule		*rules;
	int			 nrules;

	copy_conf(tc, "good_include.conf");
	ATF_REQUIRE(mkdir("inc", 0755) == 0);
	copy_file(tc, "include_rules.conf", "inc/include_rules.conf");
	copy_file(tc, "include_more.conf", "inc/include_more.conf");
	ATF_REQUIRE_EQ(parse("good_include.conf", &conf, &rules, &nrules), 0);
	check_log(tc, NULL);
	ATF_REQUIRE_EQ(nrules, 3);
	check_rule(&rules[0], "client pass rule #1 (include_rules.conf:1)");
	check_rule(&rules[1], "socks pass rule #1 (include_more.conf:3)");
	check_rule(&rules[2], "socks block rule #2 (good_include.conf:6)");
	ATF_CHECK_EQ(rules[1].r_userslen, sizeof("alice@EXAMPLE.COM"));
	free(rules);
}

ATF_TC_WITHOUT_HEAD(keytabs);
ATF_TC_BODY(keytabs, tc)
{
	struct sockd_conf	 conf;
	struct rule		*rules;
	int			 nrules;

	copy_conf(tc, "good_keytabs.conf");
	ATF_REQUIRE_EQ(parse("good_keytabs.conf", &conf, &rules, &nrules), 0);
	check_log(tc, NULL);
	ATF_REQUIRE_EQ(conf.sc_nkeytabs, 3);
	ATF_CHECK_STREQ(conf.sc_keytabs[0], SOCKD_KEYTAB);
	ATF_CHECK_STREQ(conf.sc_keytabs[1], "/etc/a.keytab");
	ATF_CHECK_STREQ(conf.sc_keytabs[2], "/etc/b.keytab");
	ATF_CHECK_EQ(conf.sc_gss.gc_keytab_id, 0);
	ATF_REQUIRE_EQ(nrules, 5);
	ATF_CHECK_EQ(rules[0].r_gss.gc_keytab_id, 1);
	ATF_CHECK_EQ(rules[1].r_gss.gc_keytab_id, 1);
	ATF_CHECK_EQ(rules[2].r_gss.gc_keytab_id, 2);
	ATF_CHECK_EQ(rules[3].r_gss.gc_keytab_id, 0);
	ATF_CHECK_EQ(rules[4].r_gss.gc_keytab_id, 0);
	free(rules);
}

ATF_TC_WITHOUT_HEAD(too_many_keytabs);
ATF_TC_BODY(too_many_keytabs, tc)
{
	struct sockd_conf	 conf;
	struct rule		*rules;
	char			 text[4096], line[128];
	int			 nrules, i;

	(void)strlcpy(text, "internal: 127.0.0.1\nsocksmethod: gssapi\n",
	    sizeof(text));
	for (i = 0; i < SOCKD_MAXKEYTABS; i++) {
		(void)snprintf(line, sizeof(line), "client pass { from: 0/0 "
		    "to: 0/0 gssapi.keytab: /k%d }\n", i);
		(void)strlcat(text, line, sizeof(text));
	}
	write_conf("keytabs.conf", text, 0644);
	ATF_REQUIRE_EQ(parse("keytabs.conf", &conf, &rules, &nrules), -1);
	/* The global default takes one of the places. */
	(void)snprintf(line, sizeof(line), "keytabs.conf:%d: too many keytabs "
	    "(at most %d)", 2 + SOCKD_MAXKEYTABS, SOCKD_MAXKEYTABS);
	ATF_CHECK_MSG(log_has(line), "%s", line);
}

ATF_TC_WITHOUT_HEAD(external_interface);
ATF_TC_BODY(external_interface, tc)
{
	struct sockd_conf	 conf;
	struct rule		*rules;
	struct if_nameindex	*ifs;
	char			 text[256];
	int			 nrules;

	ATF_REQUIRE((ifs = if_nameindex()) != NULL);
	ATF_REQUIRE(ifs[0].if_name != NULL);
	(void)snprintf(text, sizeof(text), "internal: 127.0.0.1\n"
	    "external: %s\nsocksmethod: none\n", ifs[0].if_name);
	write_conf("ext.conf", text, 0644);
	ATF_REQUIRE_EQ(parse("ext.conf", &conf, &rules, &nrules), 0);
	ATF_REQUIRE_EQ(conf.sc_nexternal, 1);
	ATF_CHECK_EQ(conf.sc_external[0].ea_isif, 1);
	ATF_CHECK_STREQ(conf.sc_external[0].ea_ifname, ifs[0].if_name);
	free(rules);

	/* A listener needs an address; Dante's interface form is refused. */
	(void)snprintf(text, sizeof(text), "internal: %s port = 1080\n"
	    "socksmethod: none\n", ifs[0].if_name);
	write_conf("int.conf", text, 0644);
	ATF_REQUIRE_EQ(parse("int.conf", &conf, &rules, &nrules), -1);
	(void)snprintf(text, sizeof(text), "int.conf:1: internal: interface "
	    "'%s' is not supported, give its address", ifs[0].if_name);
	ATF_CHECK_MSG(log_has(text), "%s", text);
	if_freenameindex(ifs);
}

ATF_TC_WITHOUT_HEAD(reparse);
ATF_TC_BODY(reparse, tc)
{
	struct sockd_conf	 conf;
	struct rule		*rules;
	int			 nrules;

	/* A failed parse leaves nothing behind for the next one. */
	copy_conf(tc, "bad_context.conf");
	copy_conf(tc, "good_ipv6.conf");
	ATF_REQUIRE_EQ(parse("bad_context.conf", &conf, &rules, &nrules), -1);
	ATF_REQUIRE_EQ(parse("good_ipv6.conf", &conf, &rules, &nrules), 0);
	check_log(tc, NULL);
	ATF_CHECK_EQ(nrules, 6);
	ATF_CHECK_EQ(conf.sc_nlisten, 3);
	ATF_CHECK_EQ(conf.sc_debug, 0);
	free(rules);
	ATF_REQUIRE_EQ(parse("good_ipv6.conf", &conf, &rules, &nrules), 0);
	ATF_CHECK_EQ(nrules, 6);
	free(rules);
}

ATF_TC_WITHOUT_HEAD(bad_permissions);
ATF_TC_BODY(bad_permissions, tc)
{
	struct sockd_conf	 conf;
	struct rule		*rules;
	int			 nrules;

	write_conf("open.conf", "internal: 127.0.0.1\nsocksmethod: none\n",
	    0666);
	ATF_CHECK_EQ(parse("open.conf", &conf, &rules, &nrules), -1);
	ATF_CHECK(log_has("open.conf: file is writable by group or others"));
	write_conf("inc.conf", "socksmethod: none\n", 0620);
	write_conf("main.conf", "internal: 127.0.0.1\ninclude \"inc.conf\"\n",
	    0600);
	ATF_CHECK_EQ(parse("main.conf", &conf, &rules, &nrules), -1);
	ATF_CHECK(log_has("main.conf:2: include 'inc.conf': file is writable "
	    "by group or others"));
	ATF_CHECK_EQ(parse("missing.conf", &conf, &rules, &nrules), -1);
	ATF_CHECK(log_has("missing.conf: No such file or directory"));
}

/*
 * Whatever the bytes, the parser answers 0 or -1: flip, delete and
 * duplicate bytes of a good config with a fixed seed, a bounded number
 * of times.
 */
ATF_TC_WITHOUT_HEAD(mutations);
ATF_TC_BODY(mutations, tc)
{
	static const char	 noise[] = "{}:#\"=!<>-/. \n\t\\0aZ@";
	struct sockd_conf	 conf;
	struct rule		*rules;
	struct stat		 st;
	char			*orig, *buf;
	size_t			 len, n, pos;
	unsigned int		 seed = 1961;
	int			 fd, i, j, nrules, fails = 0;

	copy_conf(tc, "good_every.conf");
	ATF_REQUIRE((fd = open("good_every.conf", O_RDONLY)) != -1);
	ATF_REQUIRE(fstat(fd, &st) == 0);
	len = st.st_size;
	ATF_REQUIRE((orig = malloc(len)) != NULL);
	ATF_REQUIRE((buf = malloc(len * 2 + 1)) != NULL);
	ATF_REQUIRE(read(fd, orig, len) == (ssize_t)len);
	close(fd);

	for (i = 0; i < 500; i++) {
		memcpy(buf, orig, len);
		n = len;
		for (j = 0; j < 1 + i % 8; j++) {
			pos = rand_r(&seed) % n;
			switch (rand_r(&seed) % 3) {
			case 0:
				buf[pos] = noise[rand_r(&seed) %
				    (sizeof(noise) - 1)];
				break;
			case 1:
				memmove(buf + pos, buf + pos + 1, n - pos - 1);
				n--;
				break;
			default:
				if (n < len * 2) {
					memmove(buf + pos + 1, buf + pos,
					    n - pos);
					n++;
				}
				break;
			}
		}
		buf[n] = '\0';
		write_conf("mutated.conf", buf, 0644);
		if (parse("mutated.conf", &conf, &rules, &nrules) == -1) {
			ATF_CHECK(rules == NULL && nrules == 0);
			fails++;
		} else {
			ATF_CHECK(nrules == conf.sc_nrules);
			free(rules);
		}
	}
	/* The mutations must have reached the error paths. */
	ATF_CHECK(fails > 100);
	free(orig);
	free(buf);
}

/* Files read by the bad_* tests besides their own. */
static void
copy_extra(const atf_tc_t *tc, const char *base)
{
	if (strcmp(base, "bad_include") == 0)
		copy_conf(tc, "bad_include_loop.conf");
}

#define BAD_TC(name)							\
	ATF_TC_WITHOUT_HEAD(name);					\
	ATF_TC_BODY(name, tc)						\
	{								\
		copy_extra(tc, #name);					\
		check_bad(tc, #name);					\
	}

BAD_TC(bad_unknown)
BAD_TC(bad_unsupported)
BAD_TC(bad_address)
BAD_TC(bad_port)
BAD_TC(bad_permessage)
BAD_TC(bad_bindreply)
BAD_TC(bad_nointernal)
BAD_TC(bad_include)
BAD_TC(bad_context)
BAD_TC(bad_values)
BAD_TC(bad_syntax)

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, defaults);
	ATF_TP_ADD_TC(tp, kerberos_site);
	ATF_TP_ADD_TC(tp, ipv6);
	ATF_TP_ADD_TC(tp, every_keyword);
	ATF_TP_ADD_TC(tp, include);
	ATF_TP_ADD_TC(tp, keytabs);
	ATF_TP_ADD_TC(tp, too_many_keytabs);
	ATF_TP_ADD_TC(tp, external_interface);
	ATF_TP_ADD_TC(tp, reparse);
	ATF_TP_ADD_TC(tp, bad_permissions);
	ATF_TP_ADD_TC(tp, mutations);
	ATF_TP_ADD_TC(tp, bad_unknown);
	ATF_TP_ADD_TC(tp, bad_unsupported);
	ATF_TP_ADD_TC(tp, bad_address);
	ATF_TP_ADD_TC(tp, bad_port);
	ATF_TP_ADD_TC(tp, bad_permessage);
	ATF_TP_ADD_TC(tp, bad_bindreply);
	ATF_TP_ADD_TC(tp, bad_nointernal);
	ATF_TP_ADD_TC(tp, bad_include);
	ATF_TP_ADD_TC(tp, bad_context);
	ATF_TP_ADD_TC(tp, bad_values);
	ATF_TP_ADD_TC(tp, bad_syntax);
	return (atf_no_error());
}

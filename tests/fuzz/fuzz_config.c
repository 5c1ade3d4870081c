/*
 * libFuzzer harness for the sockd.conf grammar: parse_config() of
 * sockd/parse.y on a file holding the input.
 *
 * The parser reads a file by name and insists that it is a regular
 * file, owned by root (or by us) and writable by nobody else, so the
 * file is made once per process, mode 0600, in a directory of its own,
 * and rewritten for every input (in $TMPDIR, which run.sh points at
 * its scratch directory: a run that crashes or times out cannot clean
 * up after itself).  A relative "include" is looked up
 * beside it, where it finds only itself, and nests until the parser's
 * depth limit stops it.
 *
 * The parser's messages go through log_warnx(), formatted into a log
 * file that is /dev/null: stderr must stay libFuzzer's and the
 * sanitizers' for their reports, and syslog must not fill up.
 *
 * Beyond not crashing or leaking, the result must keep parse.h's
 * promises: nothing on failure, and on success rules numbered as Dante
 * numbers them and keytab indexes that point into sc_keytabs.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "rule.h"
#include "parse.h"
#include "fuzz.h"

static char	 dir[PATH_MAX];
static char	 path[PATH_MAX];
static int	 conffd = -1;

static void
cleanup(void)
{
	(void)unlink(path);
	(void)rmdir(dir);
}

static void
check_conf(const struct sockd_conf *conf, const struct rule *rules,
    int nrules)
{
	const struct rule	*r;
	int			 i, nclient = 0, nsocks = 0, want;

	FUZZ_CHECK(nrules == conf->sc_nrules, "%d rules, conf says %d",
	    nrules, conf->sc_nrules);
	FUZZ_CHECK(nrules >= 0 && nrules <= SOCKD_MAXRULES, "%d rules",
	    nrules);
	FUZZ_CHECK(nrules == 0 || rules != NULL, "no rules array");
	FUZZ_CHECK(conf->sc_nkeytabs >= 0 &&
	    conf->sc_nkeytabs <= SOCKD_MAXKEYTABS, "%d keytabs",
	    conf->sc_nkeytabs);
	FUZZ_CHECK(conf->sc_gss.gc_keytab_id >= -1 &&
	    conf->sc_gss.gc_keytab_id < conf->sc_nkeytabs, "keytab id %d",
	    conf->sc_gss.gc_keytab_id);
	for (i = 0; i < conf->sc_nkeytabs; i++)
		FUZZ_CHECK(strnlen(conf->sc_keytabs[i],
		    sizeof(conf->sc_keytabs[i])) < sizeof(conf->sc_keytabs[i]),
		    "keytab %d not ended", i);
	for (i = 0; i < nrules; i++) {
		r = &rules[i];
		want = r->r_type == RULE_CLIENT ? ++nclient : ++nsocks;
		FUZZ_CHECK(r->r_num == want, "rule %d numbered %d, want %d",
		    i, r->r_num, want);
		FUZZ_CHECK(r->r_gss.gc_keytab_id >= -1 &&
		    r->r_gss.gc_keytab_id < conf->sc_nkeytabs,
		    "rule %d: keytab id %d", i, r->r_gss.gc_keytab_id);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct sockd_conf	 conf;
	struct rule		*rules = (struct rule *)1;
	int			 nrules = -1, rv;

	if (ftruncate(conffd, 0) == -1 ||
	    pwrite(conffd, buf, len, 0) != (ssize_t)len) {
		perror(path);
		abort();
	}
	rv = parse_config(path, &conf, &rules, &nrules);
	if (rv == -1)
		FUZZ_CHECK(rules == NULL && nrules == 0,
		    "failed, but %d rules", nrules);
	else {
		FUZZ_CHECK(rv == 0, "returned %d", rv);
		check_conf(&conf, rules, nrules);
	}
	free(rules);
	return (0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp;
	int		 fd;

	(void)argc;
	(void)argv;
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/sockd-fuzz-config.XXXXXX",
	    tmp) >= sizeof(dir)) {
		fprintf(stderr, "TMPDIR too long\n");
		abort();
	}
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		abort();
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/sockd.conf", dir) >=
	    sizeof(path)) {
		fprintf(stderr, "TMPDIR too long\n");
		abort();
	}
	conffd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (conffd == -1) {
		perror(path);
		abort();
	}
	(void)atexit(cleanup);

	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1) {
		perror("/dev/null");
		abort();
	}
	log_init(1, LOG_DAEMON);
	log_settargets(0, 0);
	log_setfile(fd);
	return (0);
}

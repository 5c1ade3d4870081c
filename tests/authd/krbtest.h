/*
 * A throwaway Heimdal realm for the authd tests: a database made with
 * "kadmin -l" in the test's work directory and, when a test needs tickets,
 * a kdc on 127.0.0.1 at a free port.  Every external command runs with a
 * bounded wait; the kdc is killed at exit and again by the test's cleanup.
 */

#ifndef SOCKD_TESTS_KRBTEST_H
#define SOCKD_TESTS_KRBTEST_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define TK_REALM	"TEST.SOCKD"
#define TK_SERVICE	"rcmd/host.test@" TK_REALM
#define TK_USER		"user@" TK_REALM
#define TK_PASSWORD	"user-password-1"

struct tk_realm {
	char	 tk_dir[PATH_MAX];	/* absolute */
	char	 tk_conf[PATH_MAX];	/* krb5.conf, also the kdc's */
	char	 tk_keytab[PATH_MAX];	/* the service keytab (FILE) */
	int	 tk_port;
	pid_t	 tk_kdc;
};

void	 tk_realm_create(struct tk_realm *);
void	 tk_kadmin(struct tk_realm *, ...);
void	 tk_run(const char *const *);
void	 tk_kdc_start(struct tk_realm *);
void	 tk_kdc_cleanup(void);
uint8_t	*tk_readfile(const char *, size_t *);
void	 tk_writefile(const char *, const void *, size_t);

#endif /* SOCKD_TESTS_KRBTEST_H */

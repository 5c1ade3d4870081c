/*
 * Logging in the shape of OpenBSD's daemons: syslog in normal operation,
 * stderr in the foreground, a file when logoutput names one.  Audit lines
 * (authentication and session events) go through log_audit() at notice.
 */

#ifndef SOCKD_LOG_H
#define SOCKD_LOG_H

#include <stdarg.h>
#include <stddef.h>

void	 log_init(int, int);	/* debug level (0: syslog), facility */
void	 log_setfile(int);	/* also write to this descriptor, or -1 */
void	 log_settargets(int, int);	/* stderr, syslog */
void	 log_procinit(const char *);
void	 log_setverbose(int);
int	 log_getverbose(void);
void	 log_warn(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	 log_warnx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	 log_info(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	 log_debug(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	 log_audit(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	 logit(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	 vlog(int, const char *, va_list)
	    __attribute__((__format__ (printf, 2, 0)));
__attribute__((__noreturn__)) void fatal(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
__attribute__((__noreturn__)) void fatalx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));

/*
 * Escape bytes that came from outside (principals, host names, reasons)
 * into buf so that a log line stays one printable line: vis(3) with
 * VIS_CSTYLE | VIS_NL | VIS_TAB | VIS_OCTAL, so CR, LF, escape sequences,
 * '%' and invalid UTF-8 come out as visible escapes.
 */
const char *log_escape(const char *, char *, size_t);
const char *log_escapen(const void *, size_t, char *, size_t);
const char *log_escape_word(const char *, char *, size_t);

#endif /* SOCKD_LOG_H */

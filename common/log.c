/*
 * Logging, after OpenBSD's log.c: one function per severity, messages
 * prefixed with the process name, syslog unless running in the
 * foreground.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <vis.h>

#include "log.h"

static int		 log_debug_level;	/* -d N */
static int		 log_stderr;
static int		 log_syslog;
static int		 log_verbose;
static int		 log_fd = -1;		/* logoutput: FILE */
static const char	*log_procname;

void
log_init(int n_debug, int facility)
{
	extern char	*__progname;

	log_debug_level = n_debug;
	log_verbose = n_debug;
	log_stderr = n_debug > 0;
	log_syslog = !log_stderr;
	log_procinit(__progname);

	/*
	 * LOG_NDELAY connects to syslogd now, before any chroot takes
	 * /dev/log out of reach.
	 */
	openlog(__progname, LOG_PID | LOG_NDELAY, facility);
	tzset();
}

/* logoutput: any of stderr, syslog, a file, together. */
void
log_settargets(int tostderr, int tosyslog)
{
	log_stderr = tostderr;
	log_syslog = tosyslog;
}

void
log_setfile(int fd)
{
	log_fd = fd;
}

void
log_procinit(const char *procname)
{
	if (procname != NULL)
		log_procname = procname;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return (log_verbose);
}

void
logit(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

static void
log_tofile(int fd, const char *fmt, va_list ap)
{
	char		 line[2048], stamp[32];
	struct tm	 tm;
	time_t		 now;
	int		 n;

	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm) == 0)
		stamp[0] = '\0';
	n = snprintf(line, sizeof(line), "%s %s[%d]: ", stamp,
	    log_procname ? log_procname : "sockd", (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = strlen(line);
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* A short write loses a log line, never the daemon. */
	(void)write(fd, line, n);
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 fmtbuf[1024];
	va_list	 ap2;

	if (log_fd != -1) {
		va_copy(ap2, ap);
		log_tofile(log_fd, fmt, ap2);
		va_end(ap2);
	}
	if (log_stderr) {
		va_copy(ap2, ap);
		if (log_procname != NULL &&
		    snprintf(fmtbuf, sizeof(fmtbuf), "%s: %s\n", log_procname,
		    fmt) < (int)sizeof(fmtbuf)) {
			vfprintf(stderr, fmtbuf, ap2);
		} else {
			vfprintf(stderr, fmt, ap2);
			fprintf(stderr, "\n");
		}
		va_end(ap2);
		fflush(stderr);
	}
	if (log_syslog) {
		va_copy(ap2, ap);
		vsyslog(pri, fmt, ap2);
		va_end(ap2);
	}
}

void
log_warn(const char *emsg, ...)
{
	char	*nfmt;
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, emsg);
	if (emsg == NULL)
		logit(LOG_ERR, "%s", strerror(saved_errno));
	else if (asprintf(&nfmt, "%s: %s", emsg,
	    strerror(saved_errno)) == -1) {
		/* we tried it... */
		vlog(LOG_ERR, emsg, ap);
		logit(LOG_ERR, "%s", strerror(saved_errno));
	} else {
		vlog(LOG_ERR, nfmt, ap);
		free(nfmt);
	}
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_ERR, emsg, ap);
	va_end(ap);
}

void
log_info(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_INFO, emsg, ap);
	va_end(ap);
}

void
log_audit(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_NOTICE, emsg, ap);
	va_end(ap);
}

void
log_debug(const char *emsg, ...)
{
	va_list	 ap;

	if (log_verbose > 1) {
		va_start(ap, emsg);
		vlog(LOG_DEBUG, emsg, ap);
		va_end(ap);
	}
}

static void
vfatalc(int code, const char *emsg, va_list ap)
{
	static char	 s[BUFSIZ];
	const char	*sep;

	if (emsg != NULL) {
		(void)vsnprintf(s, sizeof(s), emsg, ap);
		sep = ": ";
	} else {
		s[0] = '\0';
		sep = "";
	}
	if (code)
		logit(LOG_CRIT, "fatal in %s: %s%s%s",
		    log_procname, s, sep, strerror(code));
	else
		logit(LOG_CRIT, "fatal in %s%s%s", log_procname, sep, s);
}

void
fatal(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vfatalc(errno, emsg, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vfatalc(0, emsg, ap);
	va_end(ap);
	exit(1);
}

static const char *
log_vis(const void *src, size_t len, char *buf, size_t bufsz, int word)
{
	const unsigned char	*p = src;
	char			 tmp[5];
	size_t			 i, n = 0, l;

	if (bufsz == 0)
		return (buf);
	for (i = 0; i < len; i++) {
		/*
		 * Quotes and backslash are escaped so that a quoted value
		 * stays one value, and '%' so that nobody can mistake it
		 * for a format; a word (key=value without quotes) also has
		 * its spaces escaped.  Other printable ASCII is itself, and
		 * copied as it is: libbsd's vis() converts every octet
		 * through mbtowc(), which was a twentieth of authd's time
		 * per session for the audit line's principal.
		 */
		if (p[i] == '"' || p[i] == '\\' || p[i] == '%' ||
		    (word && p[i] == ' '))
			(void)snprintf(tmp, sizeof(tmp), "\\%03o", p[i]);
		else if (p[i] >= ' ' && p[i] <= '~') {
			tmp[0] = p[i];
			tmp[1] = '\0';
		} else
			(void)vis(tmp, p[i], VIS_CSTYLE | VIS_NL | VIS_TAB |
			    VIS_OCTAL, i + 1 < len ? p[i + 1] : 0);
		l = strlen(tmp);
		if (n + l >= bufsz)
			break;
		memcpy(buf + n, tmp, l);
		n += l;
	}
	buf[n] = '\0';
	return (buf);
}

/* For a value in quotes: reason="...". */
const char *
log_escapen(const void *src, size_t len, char *buf, size_t bufsz)
{
	return (log_vis(src, len, buf, bufsz, 0));
}

const char *
log_escape(const char *s, char *buf, size_t bufsz)
{
	return (log_vis(s, strlen(s), buf, bufsz, 0));
}

/* For a bare value: principal=alice@EXAMPLE.ORG. */
const char *
log_escape_word(const char *s, char *buf, size_t bufsz)
{
	return (log_vis(s, strlen(s), buf, bufsz, 1));
}

/*
 * httpd: a minimal HTTP/1.0 and 1.1 file server for fetching through
 * the proxy with curl.
 *
 *	httpd [-6v] [-a address] [-l port] [-p portfile] [-t seconds]
 *	    -d directory
 *
 * GET and HEAD of regular files under directory, answered with
 * Content-Length and "Connection: close"; one line per request
 * ("GET /path 200") on standard output.  Each connection is served
 * by a forked child with its own time limit; the server exits on SIGTERM
 * or after -t seconds (default 60).  Only loopback addresses.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tu.h"

#define HTTPD_MAXCHILD	64
#define HTTPD_REQMAX	8192
#define HTTPD_CHILDSECS	30

static const char	*docroot;
static int		 verbose;
static pid_t		 children[HTTPD_MAXCHILD];
static size_t		 nchildren;
static volatile sig_atomic_t quit;

static void	 usage(void) __attribute__((__noreturn__));
static void	 httpd_sig(int);
static void	 httpd_reap(int);
static void	 httpd_spawn(int);
static void	 httpd_serve(int) __attribute__((__noreturn__));
static ssize_t	 http_readreq(int, char *, size_t);
static int	 http_writeall(int, const void *, size_t);
static void	 http_error(int, const char *, int, const char *);
static int	 http_sendfile(int, const char *, const char *, int);
static void	 http_linger(int);

static void
usage(void)
{
	fprintf(stderr, "usage: httpd [-6v] [-a address] [-l port] "
	    "[-p portfile] [-t seconds] -d directory\n");
	exit(2);
}

static void
httpd_sig(int sig)
{
	(void)sig;
	quit = 1;
}

static void
httpd_reap(int hang)
{
	pid_t	 pid;
	size_t	 i;

	while ((pid = waitpid(-1, NULL, hang ? 0 : WNOHANG)) > 0) {
		for (i = 0; i < nchildren; i++) {
			if (children[i] == pid) {
				children[i] = children[--nchildren];
				break;
			}
		}
	}
}

static void
httpd_spawn(int lfd)
{
	int	 fd;
	pid_t	 pid;

	if ((fd = accept(lfd, NULL, NULL)) == -1) {
		if (errno != EINTR && errno != EAGAIN &&
		    errno != ECONNABORTED)
			warn("accept");
		return;
	}
	switch (pid = fork()) {
	case -1:
		warn("fork");
		break;
	case 0:
		close(lfd);
		httpd_serve(fd);
	default:
		children[nchildren++] = pid;
		break;
	}
	close(fd);
}

/* Read the request head, up to the blank line; returns its length. */
static ssize_t
http_readreq(int fd, char *buf, size_t size)
{
	size_t	 len = 0;
	ssize_t	 n;

	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		len += n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL ||
		    strstr(buf, "\n\n") != NULL)
			return (len);
	}
	return (-1);
}

static int
http_writeall(int fd, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	ssize_t			 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= n;
	}
	return (0);
}

static void
http_error(int fd, const char *vers, int code, const char *reason)
{
	char	 buf[512];
	int	 n;

	n = snprintf(buf, sizeof(buf), "%s %d %s\r\nContent-Type: text/plain"
	    "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
	    vers, code, reason, strlen(reason) + 1, reason);
	if (n > 0 && (size_t)n < sizeof(buf))
		(void)http_writeall(fd, buf, n);
}

/* Returns the HTTP status sent. */
static int
http_sendfile(int fd, const char *vers, const char *target, int head)
{
	char		 path[PATH_MAX], buf[65536];
	struct stat	 st;
	ssize_t		 n;
	int		 ffd, len;

	if (target[0] != '/' || strstr(target, "..") != NULL) {
		http_error(fd, vers, 400, "Bad Request");
		return (400);
	}
	if (strcmp(target, "/") == 0)
		target = "/index.html";
	len = snprintf(path, sizeof(path), "%s%s", docroot, target);
	if (len < 0 || (size_t)len >= sizeof(path) ||
	    (ffd = open(path, O_RDONLY | O_NOFOLLOW)) == -1) {
		http_error(fd, vers, 404, "Not Found");
		return (404);
	}
	if (fstat(ffd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(ffd);
		http_error(fd, vers, 404, "Not Found");
		return (404);
	}
	len = snprintf(buf, sizeof(buf), "%s 200 OK\r\nContent-Type: "
	    "application/octet-stream\r\nContent-Length: %lld\r\n"
	    "Connection: close\r\n\r\n", vers, (long long)st.st_size);
	if (http_writeall(fd, buf, len) == -1)
		exit(1);
	while (!head && (n = read(ffd, buf, sizeof(buf))) > 0) {
		if (http_writeall(fd, buf, n) == -1)
			exit(1);
	}
	close(ffd);
	return (200);
}

/*
 * Shut down our side and read until the client closes (or a second
 * passes) so that a request body we never read cannot turn close(2)
 * into a reset that destroys the response in flight.
 */
static void
http_linger(int fd)
{
	struct pollfd	 pfd;
	char		 buf[4096];
	long long	 deadline = tu_now_ms() + 1000;

	shutdown(fd, SHUT_WR);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, tu_timeleft(deadline)) > 0) {
		if (read(fd, buf, sizeof(buf)) <= 0)
			break;
	}
}

static void
httpd_serve(int fd)
{
	char		 req[HTTPD_REQMAX], *method, *target, *vers, *eol;
	const char	*rvers = "HTTP/1.0";
	int		 code, flags;

	signal(SIGTERM, SIG_DFL);
	alarm(HTTPD_CHILDSECS);
	/* BSD's accept(2) passes O_NONBLOCK on; the child wants to block. */
	if ((flags = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	if (http_readreq(fd, req, sizeof(req)) == -1) {
		http_error(fd, rvers, 400, "Bad Request");
		http_linger(fd);
		_exit(1);
	}
	eol = req + strcspn(req, "\r\n");
	*eol = '\0';
	method = req;
	if ((target = strchr(method, ' ')) == NULL ||
	    (*target++ = '\0', vers = strchr(target, ' ')) == NULL ||
	    (*vers++ = '\0', strncmp(vers, "HTTP/1.", 7) != 0)) {
		http_error(fd, rvers, 400, "Bad Request");
		http_linger(fd);
		_exit(1);
	}
	if (strcmp(vers, "HTTP/1.1") == 0)
		rvers = "HTTP/1.1";
	target[strcspn(target, "?")] = '\0';
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		code = http_sendfile(fd, rvers, target,
		    strcmp(method, "HEAD") == 0);
	else {
		http_error(fd, rvers, 405, "Method Not Allowed");
		code = 405;
	}
	/* One write(2) per line keeps lines from children whole. */
	dprintf(STDOUT_FILENO, "%s %s %d\n", method, target, code);
	http_linger(fd);
	_exit(0);
}

int
main(int argc, char *argv[])
{
	struct pollfd	 pfd;
	const char	*addr = "127.0.0.1", *port = "0", *portfile = NULL;
	const char	*errstr;
	long long	 deadline;
	size_t		 i;
	int		 ch, fd, bound, limit = 60, timeout;

	while ((ch = getopt(argc, argv, "6a:d:l:p:t:v")) != -1) {
		switch (ch) {
		case '6':
			addr = "::1";
			break;
		case 'a':
			addr = optarg;
			break;
		case 'd':
			docroot = optarg;
			break;
		case 'l':
			port = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		case 't':
			limit = strtonum(optarg, 1, 3600, &errstr);
			if (errstr != NULL)
				errx(2, "seconds %s: %s", optarg, errstr);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || docroot == NULL)
		usage();

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, httpd_sig);
	signal(SIGINT, httpd_sig);

	if ((fd = tu_listen(addr, port, SOCK_STREAM, &bound)) == -1 ||
	    tu_nonblock(fd) == -1)
		return (1);
	if (portfile != NULL && tu_writeport(portfile, bound) == -1)
		return (1);
	if (verbose)
		fprintf(stderr, "httpd: listening on %s port %d\n", addr,
		    bound);

	deadline = tu_now_ms() + limit * 1000LL;
	while (!quit && (timeout = tu_timeleft(deadline)) > 0) {
		httpd_reap(0);
		pfd.fd = nchildren < HTTPD_MAXCHILD ? fd : -1;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, timeout < 200 ? timeout : 200) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (pfd.revents & POLLIN)
			httpd_spawn(fd);
	}
	close(fd);
	for (i = 0; i < nchildren; i++)
		kill(children[i], SIGTERM);
	httpd_reap(1);
	return (0);
}

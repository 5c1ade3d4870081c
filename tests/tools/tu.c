/*
 * Helpers shared by the test tools.  Every address goes through
 * tu_loopback(), which refuses anything but 127.0.0.0/8 and ::1: these
 * tools exist to send odd traffic, and it must never leave the machine.
 */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <poll.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tu.h"

/*
 * Parse a numeric loopback address and a port into ss.  Names are not
 * resolved on purpose: a test that means 127.0.0.1 says so.
 */
int
tu_loopback(const char *host, const char *port, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	int			 p;

	if ((p = tu_port(port)) == -1)
		return (-1);
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127) {
			warnx("%s: not a loopback address", host);
			return (-1);
		}
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		*sslen = sizeof(*sin);
		return (0);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) {
			warnx("%s: not a loopback address", host);
			return (-1);
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		*sslen = sizeof(*sin6);
		return (0);
	}
	warnx("%s: not a numeric address", host);
	return (-1);
}

int
tu_port(const char *s)
{
	const char	*errstr;
	int		 p;

	p = strtonum(s, 0, 65535, &errstr);
	if (errstr != NULL) {
		warnx("port %s: %s", s, errstr);
		return (-1);
	}
	return (p);
}

/*
 * Bind a socket of the given type to host:port and, for TCP, listen.
 * Returns the descriptor and stores the port actually bound, which is
 * what a caller asking for port 0 wants to publish.
 */
int
tu_listen(const char *host, const char *port, int type, int *boundport)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd, on = 1;

	if (tu_loopback(host, port, &ss, &sslen) == -1)
		return (-1);
	if ((fd = socket(ss.ss_family, type, 0)) == -1) {
		warn("socket");
		return (-1);
	}
	if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR,
	    &on, sizeof(on)) == -1)
		warn("setsockopt SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1) {
		warn("bind %s port %s", host, port);
		close(fd);
		return (-1);
	}
	if (type == SOCK_STREAM && listen(fd, 128) == -1) {
		warn("listen");
		close(fd);
		return (-1);
	}
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1) {
		warn("getsockname");
		close(fd);
		return (-1);
	}
	if (ss.ss_family == AF_INET)
		*boundport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else
		*boundport = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return (fd);
}

/*
 * Write the port to path through a temporary file and rename(2), so
 * that a test polling for the file never reads half a number.
 */
int
tu_writeport(const char *path, int port)
{
	char	 tmp[PATH_MAX];
	FILE	*fp;
	int	 n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		warnx("%s: path too long", path);
		return (-1);
	}
	if ((fp = fopen(tmp, "w")) == NULL) {
		warn("%s", tmp);
		return (-1);
	}
	fprintf(fp, "%d\n", port);
	if (fclose(fp) == EOF) {
		warn("%s", tmp);
		return (-1);
	}
	if (rename(tmp, path) == -1) {
		warn("rename %s", path);
		return (-1);
	}
	return (0);
}

int
tu_nonblock(int fd)
{
	int	 flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		warn("fcntl O_NONBLOCK");
		return (-1);
	}
	return (0);
}

long long
tu_now_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Milliseconds until deadline as a poll(2) timeout, never negative. */
int
tu_timeleft(long long deadline)
{
	long long	 left;

	left = deadline - tu_now_ms();
	if (left < 0)
		return (0);
	if (left > INT_MAX)
		return (INT_MAX);
	return ((int)left);
}

const char *
tu_straddr(const struct sockaddr *sa, socklen_t salen)
{
	static char	 buf[INET6_ADDRSTRLEN + 8];
	char		 host[INET6_ADDRSTRLEN];
	const void	*addr;
	int		 port;

	(void)salen;
	if (sa->sa_family == AF_INET) {
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	} else
		return ("?");
	if (inet_ntop(sa->sa_family, addr, host, sizeof(host)) == NULL)
		return ("?");
	snprintf(buf, sizeof(buf), sa->sa_family == AF_INET6 ? "[%s]:%d" :
	    "%s:%d", host, port);
	return (buf);
}

/*
 * Read exactly want bytes from fd within timeout_ms.  1: all there; 0:
 * the peer closed (or reset) first, and *closed is set; -1: timeout or
 * error.  *got says how many came either way.
 */
int
tu_readn(int fd, unsigned char *buf, size_t want, size_t *got, int timeout_ms,
    int *closed)
{
	struct pollfd	 pfd;
	long long	 deadline = tu_now_ms() + timeout_ms;
	ssize_t		 n;

	*got = 0;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (*got < want) {
		if (poll(&pfd, 1, tu_timeleft(deadline)) == 0)
			return (-1);
		n = read(fd, buf + *got, want - *got);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ECONNRESET) {
				*closed = 1;
				return (0);
			}
			warn("read");
			return (-1);
		}
		if (n == 0) {
			*closed = 1;
			return (0);
		}
		*got += n;
	}
	return (1);
}

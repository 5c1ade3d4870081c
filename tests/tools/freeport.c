/*
 * freeport: pick a free loopback port, or ask whether one is in use.
 *
 *	freeport [-6u]		print a TCP port free on 127.0.0.1 (::1);
 *				with -u, free for UDP as well (a KDC
 *				wants both)
 *	freeport [-6] -c port	exit 0 if something listens on the TCP
 *				port, 1 if not
 *
 * The check binds with SO_REUSEADDR, which only a listening socket
 * refuses (connections in TIME_WAIT do not), and never connects: the
 * daemon under test sees no stray connection and logs nothing for it.
 * A port printed here can still be taken by someone else before the
 * caller binds it; callers retry on failure.
 */

#include <sys/socket.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tu.h"

#define FREEPORT_TRIES	50

static void	 usage(void) __attribute__((__noreturn__));
static int	 fp_bind(const char *, int, int, int);

static void
usage(void)
{
	fprintf(stderr, "usage: freeport [-6u] | [-6] -c port\n");
	exit(2);
}

/* Returns a bound descriptor, or -1 with errno set. */
static int
fp_bind(const char *addr, int port, int type, int reuse)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 pbuf[8];
	int			 fd, on = 1, save;

	snprintf(pbuf, sizeof(pbuf), "%d", port);
	if (tu_loopback(addr, pbuf, &ss, &sslen) == -1)
		exit(2);
	if ((fd = socket(ss.ss_family, type, 0)) == -1)
		err(2, "socket");
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == -1)
		err(2, "setsockopt");
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1) {
		save = errno;
		close(fd);
		errno = save;
		return (-1);
	}
	return (fd);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*addr = "127.0.0.1";
	int			 ch, udp = 0, check = -1, i, tfd, ufd, port;

	while ((ch = getopt(argc, argv, "6c:u")) != -1) {
		switch (ch) {
		case '6':
			addr = "::1";
			break;
		case 'c':
			if ((check = tu_port(optarg)) == -1 || check == 0)
				usage();
			break;
		case 'u':
			udp = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (check != -1) {
		if ((tfd = fp_bind(addr, check, SOCK_STREAM, 1)) != -1) {
			close(tfd);
			return (1);
		}
		if (errno == EADDRINUSE)
			return (0);
		err(2, "bind port %d", check);
	}

	for (i = 0; i < FREEPORT_TRIES; i++) {
		if ((tfd = fp_bind(addr, 0, SOCK_STREAM, 0)) == -1)
			err(2, "bind");
		sslen = sizeof(ss);
		if (getsockname(tfd, (struct sockaddr *)&ss, &sslen) == -1)
			err(2, "getsockname");
		port = ntohs(ss.ss_family == AF_INET ?
		    ((struct sockaddr_in *)&ss)->sin_port :
		    ((struct sockaddr_in6 *)&ss)->sin6_port);
		ufd = -1;
		if (udp && (ufd = fp_bind(addr, port, SOCK_DGRAM, 0)) == -1) {
			close(tfd);
			continue;
		}
		close(tfd);
		if (ufd != -1)
			close(ufd);
		printf("%d\n", port);
		return (0);
	}
	errx(1, "no free port after %d tries", FREEPORT_TRIES);
}

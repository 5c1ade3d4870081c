/*
 * minrelay: the baseline for sockd's data path, the least a relay in C
 * can do.
 *
 *	minrelay [-t seconds] [-p portfile] [-l port] target-host:port
 *
 * Listens on 127.0.0.1 and joins each connection to a new connection to
 * the target: no protocol, one poll(2) loop, one 64 KiB buffer per
 * direction, read(2) into it and write(2) out of it, a direction reading
 * again only once its buffer is written (the flow control sockd's relay
 * has too).  An end of file is passed on with shutdown(2) once what came
 * before it is written.  Loopback addresses only; exits on SIGTERM or
 * after -t seconds (default 900).
 */

#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tu.h"

#define MR_BUFSZ	65536
#define MR_MAXPAIRS	1024

struct mr_dir {
	int		 d_from;
	int		 d_to;
	unsigned char	*d_buf;
	size_t		 d_off;
	size_t		 d_len;
	int		 d_eof;
	int		 d_shut;
};

struct mr_pair {
	struct mr_dir	 p_dir[2];	/* up (to the target), down */
};

static struct mr_pair	*pairs[MR_MAXPAIRS];
static size_t		 npairs;
static struct sockaddr_storage target;
static socklen_t	 targetlen;
static volatile sig_atomic_t quit;

static void	 usage(void) __attribute__((__noreturn__));
static void	 mr_sig(int);
static void	 mr_accept(int);
static void	 mr_close(size_t);
static short	 mr_events(const struct mr_pair *, int);
static int	 mr_io(struct mr_dir *, short, short);

static void
usage(void)
{
	fprintf(stderr, "usage: minrelay [-t seconds] [-p portfile] "
	    "[-l port] target-host:port\n");
	exit(2);
}

static void
mr_sig(int sig)
{
	(void)sig;
	quit = 1;
}

static void
mr_accept(int lfd)
{
	struct mr_pair	*p;
	int		 cfd, tfd, i;

	if ((cfd = accept(lfd, NULL, NULL)) == -1)
		return;
	if ((tfd = socket(target.ss_family, SOCK_STREAM, 0)) == -1 ||
	    connect(tfd, (struct sockaddr *)&target, targetlen) == -1) {
		warn("connect to the target");
		if (tfd != -1)
			close(tfd);
		close(cfd);
		return;
	}
	if (tu_nonblock(cfd) == -1 || tu_nonblock(tfd) == -1 ||
	    (p = calloc(1, sizeof(*p))) == NULL ||
	    (p->p_dir[0].d_buf = malloc(MR_BUFSZ)) == NULL ||
	    (p->p_dir[1].d_buf = malloc(MR_BUFSZ)) == NULL)
		err(1, "new connection");
	for (i = 0; i < 2; i++) {
		p->p_dir[i].d_from = i == 0 ? cfd : tfd;
		p->p_dir[i].d_to = i == 0 ? tfd : cfd;
	}
	pairs[npairs++] = p;
}

static void
mr_close(size_t i)
{
	struct mr_pair	*p = pairs[i];

	close(p->p_dir[0].d_from);
	close(p->p_dir[0].d_to);
	free(p->p_dir[0].d_buf);
	free(p->p_dir[1].d_buf);
	free(p);
	pairs[i] = pairs[--npairs];
}

/*
 * What descriptor fd waits for: it reads for one direction and writes
 * for the other.
 */
static short
mr_events(const struct mr_pair *p, int fd)
{
	const struct mr_dir	*d;
	short			 ev = 0;
	int			 i;

	for (i = 0; i < 2; i++) {
		d = &p->p_dir[i];
		if (d->d_from == fd && !d->d_eof && d->d_off == d->d_len)
			ev |= POLLIN;
		if (d->d_to == fd && d->d_off < d->d_len)
			ev |= POLLOUT;
	}
	return (ev);
}

/* One direction: write what is pending, or read more.  -1: finished. */
static int
mr_io(struct mr_dir *d, short rev_from, short rev_to)
{
	ssize_t	 n;

	if (d->d_off < d->d_len && (rev_to & (POLLOUT | POLLERR | POLLHUP))) {
		n = write(d->d_to, d->d_buf + d->d_off, d->d_len - d->d_off);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return (-1);
		if (n > 0)
			d->d_off += n;
		if (d->d_off == d->d_len)
			d->d_off = d->d_len = 0;
	}
	if (d->d_off == d->d_len && !d->d_eof &&
	    (rev_from & (POLLIN | POLLERR | POLLHUP))) {
		n = read(d->d_from, d->d_buf, MR_BUFSZ);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return (-1);
		if (n == 0)
			d->d_eof = 1;
		else if (n > 0) {
			d->d_off = 0;
			d->d_len = n;
		}
	}
	if (d->d_eof && d->d_off == d->d_len && !d->d_shut) {
		(void)shutdown(d->d_to, SHUT_WR);
		d->d_shut = 1;
	}
	return (0);
}

static void
mr_loop(int lfd, long long deadline)
{
	struct pollfd	 pfd[1 + 2 * MR_MAXPAIRS];
	struct mr_pair	*p;
	size_t		 i, n;
	int		 cfd, tfd, t;

	while (!quit && (t = tu_timeleft(deadline)) > 0) {
		pfd[0].fd = npairs < MR_MAXPAIRS ? lfd : -1;
		pfd[0].events = POLLIN;
		for (i = 0; i < npairs; i++) {
			cfd = pairs[i]->p_dir[0].d_from;
			tfd = pairs[i]->p_dir[0].d_to;
			pfd[1 + 2 * i].fd = cfd;
			pfd[1 + 2 * i].events = mr_events(pairs[i], cfd);
			pfd[2 + 2 * i].fd = tfd;
			pfd[2 + 2 * i].events = mr_events(pairs[i], tfd);
		}
		n = npairs;
		if (poll(pfd, 1 + 2 * n, t < 1000 ? t : 1000) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		/* Backwards: mr_close() moves the last pair to i. */
		for (i = n; i > 0; i--) {
			p = pairs[i - 1];
			if (mr_io(&p->p_dir[0], pfd[2 * i - 1].revents,
			    pfd[2 * i].revents) == -1 ||
			    mr_io(&p->p_dir[1], pfd[2 * i].revents,
			    pfd[2 * i - 1].revents) == -1 ||
			    (p->p_dir[0].d_shut && p->p_dir[1].d_shut))
				mr_close(i - 1);
		}
		if (pfd[0].revents & POLLIN)
			mr_accept(lfd);
	}
}

int
main(int argc, char *argv[])
{
	const char	*port = "0", *portfile = NULL, *errstr;
	char		 host[64], *colon;
	int		 ch, lfd, bound, limit = 900;

	while ((ch = getopt(argc, argv, "l:p:t:")) != -1) {
		switch (ch) {
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
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || strlcpy(host, argv[0], sizeof(host)) >= sizeof(host))
		usage();
	if ((colon = strrchr(host, ':')) == NULL)
		usage();
	*colon = '\0';
	if (tu_loopback(host, colon + 1, &target, &targetlen) == -1)
		return (2);

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, mr_sig);
	signal(SIGINT, mr_sig);
	if ((lfd = tu_listen("127.0.0.1", port, SOCK_STREAM, &bound)) == -1 ||
	    tu_nonblock(lfd) == -1)
		return (1);
	if (portfile != NULL && tu_writeport(portfile, bound) == -1)
		return (1);
	mr_loop(lfd, tu_now_ms() + limit * 1000LL);
	while (npairs > 0)
		mr_close(npairs - 1);
	close(lfd);
	return (0);
}

/*
 * Names, asynchronously, with c-ares on the relay's event loop.
 *
 * glibc's getaddrinfo() cannot run here: it loads NSS modules and opens
 * files on demand, which neither the chroot nor the sandbox allow.
 * c-ares reads resolv.conf once, at ares_init time, before the chroot.
 * It would read /etc/hosts on every lookup, which the chroot hides, so
 * the relay loads the hosts file once at start-up and asks c-ares to use
 * DNS only ("b").  A lookup completes with the session id, never with a
 * pointer, so a session that went away meanwhile is simply not found.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ares.h>
#include <ctype.h>
#include <event.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "relayd.h"

#define DNS_MAXFDS	16
#define DNS_MAXHOSTS	1024

struct dns_fd {
	int		 df_fd;
	struct event	 df_ev;
};

struct dns_host {
	char			 dh_name[SOCKD_NAME_MAX];
	struct sockaddr_storage	 dh_ss;
};

struct dns_query {
	uint64_t	 dq_sid;
	relay_dns_cb	 dq_cb;
};

static ares_channel	 dns_channel;
static struct dns_fd	 dns_fds[DNS_MAXFDS];
static struct event	 dns_timer;
static struct dns_host	*dns_hosts;
static int		 dns_nhosts;

static void	 dns_timer_cb(int, short, void *);

static void
dns_schedule(void)
{
	struct timeval	 tv, *tvp;

	evtimer_del(&dns_timer);
	if ((tvp = ares_timeout(dns_channel, NULL, &tv)) != NULL)
		evtimer_add(&dns_timer, tvp);
}

static void
dns_fd_cb(int fd, short event, void *arg)
{
	(void)arg;
	ares_process_fd(dns_channel,
	    (event & EV_READ) ? fd : ARES_SOCKET_BAD,
	    (event & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	dns_schedule();
}

static void
dns_timer_cb(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	ares_process_fd(dns_channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_schedule();
}

/* c-ares tells us which of its sockets to watch. */
static void
dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_fd	*df = NULL, *empty = NULL;
	short		 ev = EV_PERSIST;
	int		 i;

	(void)data;
	for (i = 0; i < DNS_MAXFDS; i++) {
		if (dns_fds[i].df_fd == fd)
			df = &dns_fds[i];
		else if (dns_fds[i].df_fd == -1 && empty == NULL)
			empty = &dns_fds[i];
	}
	if (df != NULL) {
		event_del(&df->df_ev);
		df->df_fd = -1;
	}
	if (!readable && !writable)
		return;
	if ((df = empty) == NULL && (df = &dns_fds[0])->df_fd != -1) {
		log_warnx("%s: too many resolver sockets", __func__);
		return;
	}
	if (readable)
		ev |= EV_READ;
	if (writable)
		ev |= EV_WRITE;
	df->df_fd = fd;
	event_set(&df->df_ev, fd, ev, dns_fd_cb, NULL);
	event_add(&df->df_ev, NULL);
}

static void
dns_hosts_add(const char *addr, const char *name)
{
	struct dns_host	*dh;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	if (dns_nhosts >= DNS_MAXHOSTS)
		return;
	dh = &dns_hosts[dns_nhosts];
	memset(dh, 0, sizeof(*dh));
	sin = (struct sockaddr_in *)&dh->dh_ss;
	sin6 = (struct sockaddr_in6 *)&dh->dh_ss;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		return;
	if (strlcpy(dh->dh_name, name, sizeof(dh->dh_name)) >=
	    sizeof(dh->dh_name))
		return;
	dns_nhosts++;
}

/* /etc/hosts: "address name [alias ...]", '#' to the end of a line. */
static void
dns_hosts_load(void)
{
	FILE	*fp;
	char	 line[1024], *p, *addr, *name;

	if ((dns_hosts = calloc(DNS_MAXHOSTS, sizeof(*dns_hosts))) == NULL)
		fatal(NULL);
	if ((fp = fopen("/etc/hosts", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		p = line;
		if ((addr = strsep(&p, " \t\r\n")) == NULL || *addr == '\0')
			continue;
		while ((name = strsep(&p, " \t\r\n")) != NULL)
			if (*name != '\0')
				dns_hosts_add(addr, name);
	}
	fclose(fp);
}

static const struct dns_host *
dns_hosts_find(const char *name)
{
	int	 i;

	for (i = 0; i < dns_nhosts; i++)
		if (strcasecmp(dns_hosts[i].dh_name, name) == 0)
			return (&dns_hosts[i]);
	return (NULL);
}

int
relay_dns_init(void)
{
	struct ares_options	 opts;
	int			 i;

	for (i = 0; i < DNS_MAXFDS; i++)
		dns_fds[i].df_fd = -1;
	evtimer_set(&dns_timer, dns_timer_cb, NULL);
	dns_hosts_load();
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return (-1);
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = dns_sock_state;
	opts.lookups = "b";
	if (ares_init_options(&dns_channel, &opts,
	    ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS) != ARES_SUCCESS)
		return (-1);
	return (0);
}

static void
dns_done(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct dns_query		*dq = arg;
	struct ares_addrinfo_node	*n;

	(void)timeouts;
	n = (status == ARES_SUCCESS && ai != NULL) ? ai->nodes : NULL;
	if (n == NULL)
		dq->dq_cb(dq->dq_sid, -1, NULL, 0);
	else
		dq->dq_cb(dq->dq_sid, 0, n->ai_addr, n->ai_addrlen);
	if (ai != NULL)
		ares_freeaddrinfo(ai);
	free(dq);
}

void
relay_dns_resolve(uint64_t sid, const char *name, relay_dns_cb cb)
{
	struct ares_addrinfo_hints	 hints;
	const struct dns_host		*dh;
	struct dns_query		*dq;

	if ((dh = dns_hosts_find(name)) != NULL) {
		cb(sid, 0, (const struct sockaddr *)&dh->dh_ss,
		    sa_len((const struct sockaddr *)&dh->dh_ss));
		return;
	}
	if ((dq = calloc(1, sizeof(*dq))) == NULL) {
		cb(sid, -1, NULL, 0);
		return;
	}
	dq->dq_sid = sid;
	dq->dq_cb = cb;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	ares_getaddrinfo(dns_channel, name, NULL, &hints, dns_done, dq);
	dns_schedule();
}

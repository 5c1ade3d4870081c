#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "socks.h"
#include "util.h"

socklen_t
sa_len(const struct sockaddr *sa)
{
	switch (sa->sa_family) {
	case AF_INET:
		return (sizeof(struct sockaddr_in));
	case AF_INET6:
		return (sizeof(struct sockaddr_in6));
	}
	return (sizeof(struct sockaddr_storage));
}

/* "192.0.2.1:1080" or "[2001:db8::1]:1080". */
const char *
addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in	*sin = (const void *)sa;
	const struct sockaddr_in6	*sin6 = (const void *)sa;
	char				 a[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_INET:
		if (inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)) == NULL)
			break;
		(void)snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
		return (buf);
	case AF_INET6:
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, a,
		    sizeof(a)) == NULL)
			break;
		(void)snprintf(buf, len, "[%s]:%u", a,
		    ntohs(sin6->sin6_port));
		return (buf);
	}
	(void)snprintf(buf, len, "unknown");
	return (buf);
}

int
fd_nonblock(int fd)
{
	int	 flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return (-1);
	return (fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

const char *
level_str(int level)
{
	switch (level) {
	case GSS_LEVEL_CLEAR:
		return ("clear");
	case GSS_LEVEL_INTEGRITY:
		return ("integrity");
	case GSS_LEVEL_CONF:
		return ("confidentiality");
	case GSS_LEVEL_PERMESSAGE:
		return ("per-message protection");
	}
	return ("an undefined level");
}

const char *
method_str(int method)
{
	switch (method) {
	case METHOD_NONE:
		return ("none");
	case METHOD_GSSAPI:
		return ("gssapi");
	case METHOD_UNAME:
		return ("username");
	}
	return ("unknown");
}

const char *
command_str(int cmd)
{
	switch (cmd) {
	case SOCKS_CMD_CONNECT:
		return ("connect");
	case SOCKS_CMD_BIND:
		return ("bind");
	case SOCKS_CMD_UDPASSOCIATE:
		return ("udpassociate");
	}
	return ("unknown");
}

/* Session ids: random, so that one process cannot guess another's. */
uint64_t
sid_new(void)
{
	uint64_t	 sid;

	do {
		arc4random_buf(&sid, sizeof(sid));
	} while (sid == 0);
	return (sid);
}

int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

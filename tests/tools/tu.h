/*
 * Small helpers shared by the test tools (echod, httpd, rawsock):
 * loopback-only addresses, port files, monotonic deadlines.
 */

#ifndef TOOLS_TU_H
#define TOOLS_TU_H

#include <sys/socket.h>

#include <stddef.h>

int		 tu_loopback(const char *, const char *,
		    struct sockaddr_storage *, socklen_t *);
int		 tu_listen(const char *, const char *, int, int *);
int		 tu_writeport(const char *, int);
int		 tu_nonblock(int);
long long	 tu_now_ms(void);
int		 tu_timeleft(long long);
int		 tu_readn(int, unsigned char *, size_t, size_t *, int, int *);
int		 tu_port(const char *);
const char	*tu_straddr(const struct sockaddr *, socklen_t);

#endif /* TOOLS_TU_H */

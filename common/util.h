/* Small helpers every process uses. */

#ifndef SOCKD_UTIL_H
#define SOCKD_UTIL_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define ADDRSTRLEN	(46 + 8)	/* "[v6]:port" */

socklen_t	 sa_len(const struct sockaddr *);
const char	*addr_str(const struct sockaddr *, char *, size_t);
int		 fd_nonblock(int);
const char	*level_str(int);
const char	*method_str(int);
const char	*command_str(int);
uint64_t	 sid_new(void);
int64_t		 mono_ms(void);

#endif /* SOCKD_UTIL_H */

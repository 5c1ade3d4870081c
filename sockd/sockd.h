/*
 * sockd: the parent (root; config, listeners, children) and the front end
 * (sockd -P front; unprivileged, chrooted; method negotiation and RFC 1961
 * context-establishment framing, no GSS-API library).
 */

#ifndef SOCKD_H
#define SOCKD_H

#include <sys/types.h>

#include <sys/socket.h>

#include <event.h>
#include <limits.h>
#include <time.h>

#include "config.h"
#include "proc.h"
#include "proto.h"

#define SOCKD_VERSION		"0.1"
#define SOCKD_KEYTAB_MAX	(PROC_MAX_IMSGSIZE - 8192)

struct sockd_child;

/* A peer's end of a channel, held until a restarted child is ready. */
struct child_pending {
	struct sockd_child	*cp_to;
	int			 cp_fd;
};

struct sockd_child {
	enum proctype		 ch_proc;
	int			 ch_instance;
	pid_t			 ch_pid;
	int			 ch_ready;
	struct proc_chan	 ch_chan;
	char			 ch_name[32];
	struct child_pending	 ch_pending[SOCKD_MAXRELAYS + 1];
	int			 ch_npending;
	time_t			 ch_deaths[6];	/* latest first */
	struct event		 ch_restart;
};

struct sockd_keytab {
	uint8_t			*kt_data;
	size_t			 kt_len;
};

/* sockd.c: the parent */
extern struct sockd_conf	 sockd_conf;
extern struct rule		*sockd_rules;
extern int			 sockd_nrules;
extern int			 parent_listenfd[SOCKD_MAXLISTEN];
extern char			 parent_self[PATH_MAX];
extern char			 parent_authpath[PATH_MAX];
extern char			 parent_relaypath[PATH_MAX];
extern int			 parent_logfd;
extern int			 parent_stopping;
extern int			 parent_sbdebug;
extern int			 parent_gsslib;
void	 parent_send_keytabs(struct proc_chan *, const struct sockd_conf *);
void	 parent_reload_done(struct sockd_conf *, struct rule *, int);
int	 parent_keytabs_reread(void);
__attribute__((__noreturn__)) void parent_shutdown(int);

/* children.c */
void	 children_start(int);
void	 children_reap(void);
int	 children_reload(struct sockd_conf *, struct rule *, int);
int	 children_reload_pending(void);
void	 children_signal(int);

/* front_limit.c */
void	 limit_init(void);
void	 limit_fd(int);
int	 limit_fd_room(void);
int	 limit_source_add(const struct sockaddr *);
void	 limit_source_del(const struct sockaddr *);
void	 limit_relay_up(int, int);
int	 limit_relay_isup(int);
int	 limit_relay_pick(void);
void	 limit_relay_release(int);
int	 limit_relay_room(void);

/* frontend.c */
__attribute__((__noreturn__)) void frontend_main(int, int, int);

#endif /* SOCKD_H */

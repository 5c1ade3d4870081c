/*
 * Process plumbing shared by every sockd process: imsg channels on the
 * event loop, and the descent into an unprivileged, chrooted process.
 */

#ifndef SOCKD_PROC_H
#define SOCKD_PROC_H

#include <sys/types.h>
#include <sys/uio.h>

#include <event.h>
#include <stdint.h>

#include "imsg.h"

struct proc_chan {
	struct imsgbuf	 pc_ibuf;
	struct event	 pc_ev;		/* read, always */
	struct event	 pc_wev;	/* write, while a queue waits */
	int		 pc_wpending;	/* pc_wev is added */
	int		 pc_fd;
	int		 pc_dead;
	const char	*pc_name;	/* peer, for log lines */
	void		(*pc_dispatch)(struct proc_chan *, struct imsg *);
	void		(*pc_closed)(struct proc_chan *);
	void		*pc_arg;
};

void	 proc_chan_init(struct proc_chan *, int, const char *, int,
	    void (*)(struct proc_chan *, struct imsg *),
	    void (*)(struct proc_chan *), void *);
void	 proc_chan_close(struct proc_chan *);
int	 proc_compose(struct proc_chan *, uint32_t, int, const void *,
	    size_t);
int	 proc_composev(struct proc_chan *, uint32_t, int,
	    const struct iovec *, int);
int	 proc_flush(struct proc_chan *);
void	 proc_chan_event_add(struct proc_chan *);
void	 proc_watch(struct event *, short *, int, short,
	    void (*)(int, short, void *), void *);
void	 proc_unwatch(struct event *, short *);

void	 proc_privdrop(const char *, const char *);
void	 proc_setup_child(const char *, int);
void	 proc_signals(void (*)(void), void (*)(void));
enum sandbox_role;
void	 proc_sandbox(enum sandbox_role, int);
struct sockd_conf;
void	 proc_log_config(const struct sockd_conf *, int);

/* The chroot directory of every child: empty and owned by root. */
#ifndef SOCKD_CHROOT
#define SOCKD_CHROOT	"/var/empty"
#endif

#endif /* SOCKD_PROC_H */

/*
 * sockd: the parent (root; config, listeners, children) and the front end
 * (sockd -P front; unprivileged, chrooted; method negotiation and RFC 1961
 * context-establishment framing, no GSS-API library).
 */

#ifndef SOCKD_H
#define SOCKD_H

#include <sys/types.h>

#include <event.h>

#include "config.h"
#include "proc.h"
#include "proto.h"

#define SOCKD_VERSION		"0.1"
#define SOCKD_KEYTAB_MAX	(PROC_MAX_IMSGSIZE - 8192)

struct sockd_child {
	enum proctype		 ch_proc;
	int			 ch_instance;
	pid_t			 ch_pid;
	int			 ch_ready;
	struct proc_chan	 ch_chan;
	char			 ch_name[32];
};

struct sockd_keytab {
	uint8_t			*kt_data;
	size_t			 kt_len;
};

/* sockd.c: the parent */
extern struct sockd_conf	 sockd_conf;
extern struct rule		*sockd_rules;
extern int			 sockd_nrules;

/* frontend.c */
__attribute__((__noreturn__)) void frontend_main(int, int);

#endif /* SOCKD_H */

/*
 * Rule matching, shared by every process that applies sockd.conf rules:
 * the front end (client rules), the relays (socks rules) and the parent
 * (printing them).  First match wins, as in Dante; no match means block.
 */

#ifndef SOCKD_RULE_H
#define SOCKD_RULE_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

#include "config.h"

/*
 * What a socks rule is matched against.
 *
 * rc_from is the client, rc_to the target of the request.  For the
 * pseudo commands CMD_BINDREPLY and CMD_UDPREPLY Dante turns them
 * around: rc_from is the remote host whose traffic comes in and rc_to
 * the client it goes to.
 *
 * A target given as a domain name is rc_toname; rc_to then only
 * carries the port (any AF_INET or AF_INET6 sockaddr with the port
 * set) and may be NULL for port 0.  Address rules never match a name,
 * so a relay that resolves the name should match again with the
 * address before it connects.
 */
struct rule_ctx {
	const struct sockaddr	*rc_from;
	const struct sockaddr	*rc_to;
	const char		*rc_toname;	/* or NULL */
	unsigned int		 rc_command;	/* one CMD_* */
	int			 rc_method;	/* the session's */
	const char		*rc_principal;	/* NULL if none */
	int			 rc_level;	/* GSS_LEVEL_* or -1 */
};

/*
 * Does sa (or name, when not NULL) fall in the address of a rule?
 * A domain rule matches only names, an address rule only addresses and
 * "0/0" both.  An IPv4-mapped IPv6 address is matched as the IPv4
 * address it maps.  With a name, sa supplies only the port (or none,
 * port 0, when NULL).  Returns 1 or 0.
 */
int	 rule_addr_match(const struct addrmatch *, const struct sockaddr *,
	    const char *);

/*
 * The first client rule matching a client at from connecting to the
 * listening address to, or NULL if none does (the caller blocks).
 */
const struct rule *rule_match_client(const struct rule *, int,
	    const struct sockaddr *, const struct sockaddr *);

/*
 * The first socks rule matching ctx, or NULL (the caller blocks).
 * Besides the addresses: r_commands must have the command (0 allows
 * all), and except for the reply pseudo commands, which Dante never
 * checks against authentication: a socksmethod: list must have the
 * session's method, a user: list the principal exactly (case and realm
 * included), and gssapi.enctype, when the rule sets it, the session's
 * level.
 */
const struct rule *rule_match_socks(const struct rule *, int,
	    const struct rule_ctx *);

/*
 * Is method in the list?  An empty list (a rule without socksmethod:)
 * allows any method but METHOD_NOACCEPT; the parser never leaves the
 * global list empty.
 */
int	 rule_method_allowed(const struct methodlist *, int);

/* "socks pass rule #3 (sockd.conf:12)", for log lines. */
const char *rule_str(const struct rule *, char *, size_t);

/* An address in config syntax: "10.0.0.0/8 port = 80", ".example.com". */
const char *rule_addr_str(const struct addrmatch *, char *, size_t);

#endif /* SOCKD_RULE_H */

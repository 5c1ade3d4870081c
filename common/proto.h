/*
 * The messages the sockd processes exchange over their imsg channels.
 *
 * Every fixed struct here is checked for its exact length by the receiver
 * (IMSG_SIZE_CHECK), strings are NUL-terminated by the receiver before use,
 * and session ids are looked up, never trusted.  Variable-length payloads
 * (tokens, keytab bytes, leftover client bytes) follow the fixed header.
 */

#ifndef SOCKD_PROTO_H
#define SOCKD_PROTO_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>

#include "config.h"

/* The parent's channel is always this descriptor in a child. */
#define PROC_PARENT_FD		3

/* Largest imsg: a 64 KiB token plus its header. */
#define PROC_MAX_IMSGSIZE	(65536 + 1024)

enum proctype {
	PROC_PARENT = 0,
	PROC_FRONT,
	PROC_AUTH,
	PROC_RELAY,
	PROC_MAX
};

enum imsg_type {
	IMSG_NONE = 0,

	/* Parent to children: configuration. */
	IMSG_CFG_GLOBAL,	/* struct sockd_conf */
	IMSG_CFG_RULE,		/* struct rule */
	IMSG_CFG_LISTEN,	/* struct listenaddr, fd: listening socket */
	IMSG_CFG_KEYTAB,	/* struct cfg_keytab + keytab file bytes */
	IMSG_CFG_DONE,		/* no data */
	IMSG_CTL_PEER,		/* struct ctl_peer, fd: channel to a peer */
	IMSG_CTL_START,		/* child: ready; parent to front: accept */
	IMSG_CTL_RELOAD,	/* authd to parent: struct ctl_reload */

	/* Front end to authd. */
	IMSG_AUTH_BEGIN,	/* struct auth_begin */
	IMSG_AUTH_TOKEN,	/* struct auth_hdr + token (both ways) */
	IMSG_AUTH_PROTECT,	/* struct auth_hdr + the client's mtyp 2 token */
	IMSG_AUTH_ABORT,	/* struct auth_hdr */

	/* authd to front end. */
	IMSG_AUTH_OK,		/* struct auth_ok + mtyp 2 reply token */
	IMSG_AUTH_FAIL,		/* struct auth_fail + optional error token */

	/* To a relay. */
	IMSG_RELAY_CONTEXT,	/* authd: struct relay_context + context */
	IMSG_RELAY_CLIENT,	/* front: struct relay_client + bytes, fd */

	/* Relay to front end. */
	IMSG_RELAY_END,		/* struct relay_end */
};

/* IMSG_CTL_PEER: the parent hands a child one end of a socketpair. */
struct ctl_peer {
	enum proctype	 cp_proc;
	int		 cp_instance;
};

/* IMSG_CTL_RELOAD: authd took the new configuration, or why not. */
struct ctl_reload {
	int		 cr_ok;
	char		 cr_reason[256];
};

/* IMSG_CFG_KEYTAB: the raw bytes of one keytab file follow. */
struct cfg_keytab {
	int		 ck_id;		/* gssconf.gc_keytab_id */
	char		 ck_name[PATH_MAX];
};

/* IMSG_AUTH_BEGIN: a client chose method gssapi. */
struct auth_begin {
	uint64_t		 ab_sid;
	int			 ab_relay;	/* relay that gets the session */
	struct sockaddr_storage	 ab_client;
	struct gssconf		 ab_gss;	/* of the client's rule */
};

struct auth_hdr {
	uint64_t	 ah_sid;
	uint32_t	 ah_flags;
#define AUTH_F_COMPLETE		0x01	/* authd: the context is established */
};

/*
 * IMSG_AUTH_OK: sent after the context went to the relay; the mtyp 2 reply
 * token for the client follows.
 */
struct auth_ok {
	uint64_t	 ao_sid;
	int		 ao_level;
	int		 ao_nec;
	char		 ao_principal[SOCKD_NAME_MAX];
};

/* IMSG_AUTH_FAIL: a token for the client may follow. */
struct auth_fail {
	uint64_t	 af_sid;
	char		 af_reason[256];
};

/* IMSG_RELAY_CONTEXT: the gss_export_sec_context() bytes follow. */
struct relay_context {
	uint64_t	 rc_sid;
	int		 rc_level;
	uint32_t	 rc_flags;	/* GSS ret_flags */
	char		 rc_principal[SOCKD_NAME_MAX];
};

/* IMSG_RELAY_CLIENT: bytes the front end read past negotiation follow. */
struct relay_client {
	uint64_t		 rl_sid;
	int			 rl_method;	/* METHOD_NONE or METHOD_GSSAPI */
	struct sockaddr_storage	 rl_client;
	struct sockaddr_storage	 rl_local;
	int64_t			 rl_accepted;	/* time(3) of accept */
};

struct relay_end {
	uint64_t	 re_sid;
};

#endif /* SOCKD_PROTO_H */

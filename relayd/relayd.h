/*
 * relayd (installed as sockd-relay): one event loop carrying many
 * sessions.  It joins the client descriptor from the front end with the
 * context from authd, reads the SOCKS request (encapsulated unless the
 * level is clear), applies the socks rules, connects and relays, wrapping
 * and unwrapping every chunk at integrity and confidentiality.
 */

#ifndef SOCKD_RELAYD_H
#define SOCKD_RELAYD_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <event.h>
#include <gssapi/gssapi.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "gssframe.h"
#include "proc.h"
#include "proto.h"
#include "socks.h"
#include "util.h"

#define RELAY_JOIN_TIMEOUT	10	/* seconds for fd and context to meet */
#define RELAY_BUFSZ		(GSSF_HDRLEN + GSSF_MAXTOKEN)

enum relay_state {
	RS_JOIN,		/* waiting for the client fd or the context */
	RS_REQUEST,		/* reading the SOCKS request */
	RS_RESOLVE,		/* target name being resolved */
	RS_CONNECT,		/* connect in progress */
	RS_REPLY,		/* writing a refusal, then close */
	RS_RELAY,		/* moving data */
	RS_BIND,		/* BIND: waiting for the incoming connection */
	RS_UDP			/* UDP ASSOCIATE: datagrams until TCP closes */
};

/*
 * One direction of a session.  rb_buf holds bytes read and not yet
 * consumed; at integrity/confidentiality the bytes to write are a token
 * the GSS-API library produced (rb_tok) behind a 4-byte frame header, or
 * plaintext it unwrapped, written straight from its buffer.
 */
struct relay_dir {
	uint8_t		*rd_buf;
	size_t		 rd_off;		/* first unconsumed byte */
	size_t		 rd_len;		/* bytes in rd_buf */
	uint8_t		 rd_hdr[GSSF_HDRLEN];
	size_t		 rd_hdrlen;
	gss_buffer_desc	 rd_tok;		/* output pending, if any */
	size_t		 rd_tokoff;
	int		 rd_eof;		/* the reading side ended */
	int		 rd_shut;		/* shutdown(SHUT_WR) done */
	uint64_t	 rd_bytes;		/* plaintext carried */
};

struct relay_session {
	RB_ENTRY(relay_session)	 rs_node;
	uint64_t		 rs_sid;
	enum relay_state	 rs_state;
	int			 rs_have_client;
	int			 rs_have_ctx;
	int			 rs_cfd;		/* client */
	int			 rs_tfd;		/* target */
	int			 rs_method;
	int			 rs_level;		/* -1: method none */
	int			 rs_srule;		/* socks rule, -1 */
	gss_ctx_id_t		 rs_gctx;
	struct cfx_ctx		*rs_cfx;		/* RFC 4121 fast path */
	uint32_t		 rs_flags;
	size_t			 rs_maxplain;		/* per token */
	char			 rs_principal[SOCKD_NAME_MAX];
	struct sockaddr_storage	 rs_client;
	struct sockaddr_storage	 rs_local;
	struct sockaddr_storage	 rs_target;
	socklen_t		 rs_targetlen;
	struct socks_req	 rs_req;
	char			 rs_caddr[ADDRSTRLEN];
	char			 rs_taddr[300];
	int64_t			 rs_start;		/* mono_ms() */
	int64_t			 rs_active;		/* last read */
	time_t			 rs_accepted;
	uint8_t			 rs_reqbuf[SOCKS_MSG_MAX];
	size_t			 rs_reqlen;
	struct event		 rs_cev;		/* client */
	struct event		 rs_tev;		/* target */
	short			 rs_cwatch;		/* events in rs_cev */
	short			 rs_twatch;		/* events in rs_tev */
	struct event		 rs_timer;
	struct relay_dir	 rs_up;			/* client to target */
	struct relay_dir	 rs_down;		/* target to client */
	int			 rs_lfd;		/* BIND listener */
	struct event		 rs_lev;
	struct relay_udp	*rs_udp;		/* UDP ASSOCIATE */
};

RB_HEAD(relay_tree, relay_session);
RB_PROTOTYPE(relay_tree, relay_session, rs_node, relay_cmp);

/* relayd.c */
extern struct sockd_conf	 relay_conf;
extern struct rule		*relay_rules;
extern int			 relay_nrules;
extern struct relay_tree	 relay_sessions;
extern int			 relay_instance;
extern uint64_t			 relay_bytes_out_total;
extern uint64_t			 relay_bytes_in_total;
void	 relay_session_free(struct relay_session *);

/* relay.c */
void	 relay_session_start(struct relay_session *);
void	 relay_close(struct relay_session *, const char *);
int	 relay_gssmode(const struct relay_session *);
void	 relay_timer_set(struct relay_session *, int);
void	 relay_events(struct relay_session *);
int	 relay_dir_pending(const struct relay_dir *);
int	 relay_to_client(struct relay_session *, const uint8_t *, size_t);
int	 relay_send_reply(struct relay_session *, uint8_t,
	    const struct sockaddr *);
void	 relay_refuse(struct relay_session *, uint8_t);
void	 relay_start_relaying(struct relay_session *);
int	 relay_rule_pass(struct relay_session *, unsigned int,
	    const struct sockaddr *, const struct sockaddr *, const char *,
	    const char *, int);
int	 relay_external(int, struct sockaddr_storage *, socklen_t *);
void	 relay_external_init(void);
uint8_t	 relay_errno_rep(int);

/* relay_buf.c */
void	 relay_buf_init(void);
void	*relay_buf_get(void);
void	 relay_buf_put(void *);
size_t	 relay_buf_used(void);
size_t	 relay_buf_pooled(void);

/* relay_bind.c */
void	 relay_bind_start(struct relay_session *);
void	 relay_bind_events(struct relay_session *);
void	 relay_bind_free(struct relay_session *);

/* relay_udp.c */
struct relay_udp;
void	 relay_udp_start(struct relay_session *);
void	 relay_udp_free(struct relay_session *);
const char *relay_udp_counts(struct relay_session *, char *, size_t);

/* relay_gss.c */
extern int	 relay_gss_library;	/* -G: no RFC 4121 fast path */
void	 relay_gss_release(struct relay_session *, gss_buffer_t);
const char *relay_gss_protect(const struct relay_session *);
int	 relay_gss_import(struct relay_session *, const void *, size_t);
int	 relay_gss_wrap(struct relay_session *, const void *, size_t,
	    gss_buffer_t);
int	 relay_gss_unwrap(struct relay_session *, const void *, size_t,
	    gss_buffer_t);
int	 relay_gss_unwrap_dgram(struct relay_session *, const void *, size_t,
	    gss_buffer_t);
void	 relay_gss_free(struct relay_session *);
void	 relay_gss_warmup(void);

/* relay_dns.c */
typedef void (*relay_dns_cb)(uint64_t, int, const struct sockaddr *,
	    socklen_t);
int	 relay_dns_init(void);
void	 relay_dns_resolve(uint64_t, const char *, relay_dns_cb);

#endif /* SOCKD_RELAYD_H */

/*
 * gsocks: the user side of GSS-API SOCKS 5 (RFC 1928, RFC 1961).
 *
 * One event-loop engine runs sessions.  A session is one connection to
 * the proxy: connect, method selection, GSS-API context, protection
 * level, SOCKS request, then a relay between the proxy and a local side.
 * What the local side is (standard input and output for "connect", an
 * accepted socket for "forward" and "bridge") is plugged in with a
 * struct gs_local, so that the engine does not know the mode.  BIND
 * waits for a second reply; UDP ASSOCIATE adds a struct gs_udp, the
 * datagram sockets of the association (udp.c).
 *
 * The same sources build against Heimdal and MIT: only the RFC 2744 C
 * bindings are used.
 */

#ifndef GSOCKS_H
#define GSOCKS_H

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <stdint.h>

#include <event.h>
#include <gssapi/gssapi.h>

#include "socks.h"
#include "gssframe.h"

/* Exit statuses; usage() lists them for the user. */
#define GS_EXIT_OK		0
#define GS_EXIT_LOCAL		1	/* usage or local error */
#define GS_EXIT_AUTH		2	/* authentication refused or failed */
#define GS_EXIT_LEVEL		3	/* protection level refused */
#define GS_EXIT_REQUEST		4	/* the SOCKS request was refused */
#define GS_EXIT_IO		5	/* connection, I/O or protocol error */

/* RFC 1961 protection levels, with Dante's 0 for "clear". */
#define GS_LEVEL_CLEAR		0
#define GS_LEVEL_INTEGRITY	1
#define GS_LEVEL_CONF		2

#define GS_DEFAULT_SERVICE	"rcmd"
#define GS_DEFAULT_TIMEOUT	60	/* seconds to connect and negotiate */
#define GS_LABELLEN		300	/* a session's name in messages */
#define GS_EARLYMAX		1024	/* local bytes read before the relay */

/* Settings shared by every session of one run. */
struct gs_conf {
	struct addrinfo	*gc_proxyai;		/* resolved once, at start */
	char		 gc_proxyhost[NI_MAXHOST];	/* as given */
	char		 gc_proxystr[NI_MAXHOST + 8];	/* for messages */
	const char	*gc_service;
	int		 gc_level;		/* requested */
	int		 gc_minlevel;		/* lowest acceptable */
	int		 gc_nec;		/* level octet unwrapped */
	int		 gc_nomethod;		/* method none, no GSS-API */
	int		 gc_timeout;		/* 0: none */
};

/* "host:port" or "[v6]:port" as given on the command line. */
struct gs_hostport {
	char		hp_host[NI_MAXHOST];
	char		hp_port[8];
	in_port_t	hp_portnum;
	int		hp_bracketed;
};

/*
 * An address of a socks.conf route: what from: and to: match.  A name
 * matches only a destination given as a name (never resolved here);
 * 0.0.0.0/0 and ::/0 match every destination, names included, as in
 * Dante.
 */
enum gs_rakind {
	GS_RA_ANY,
	GS_RA_INET,
	GS_RA_INET6,
	GS_RA_NAME,		/* this name */
	GS_RA_DOMAIN		/* .name: the name and every name below it */
};

enum gs_portop {
	GS_PORT_ANY,
	GS_PORT_EQ,
	GS_PORT_NE,
	GS_PORT_GE,
	GS_PORT_LE,
	GS_PORT_GT,
	GS_PORT_LT,
	GS_PORT_RANGE		/* ra_port to ra_port2, both included */
};

struct gs_raddr {
	enum gs_rakind	 ra_kind;
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
	}		 ra_addr, ra_mask;
	char		 ra_name[256];
	enum gs_portop	 ra_portop;
	in_port_t	 ra_port;
	in_port_t	 ra_port2;
};

/* Commands a route is for (command: and protocol:). */
#define GS_RCMD_CONNECT		0x01
#define GS_RCMD_BIND		0x02
#define GS_RCMD_UDP		0x04
#define GS_RCMD_ALL		(GS_RCMD_CONNECT | GS_RCMD_BIND | GS_RCMD_UDP)

/* One route { } of socks.conf: the first one that matches is taken. */
struct gs_route {
	struct gs_route	*r_next;
	char		 r_where[300];		/* "file:line" */
	struct gs_raddr	 r_from;
	struct gs_raddr	 r_to;
	unsigned int	 r_cmds;		/* GS_RCMD_* */
	char		 r_service[256];
	struct gs_conf	 r_conf;		/* the proxy and how */
};

/* A byte buffer: data lives in [b_off, b_off + b_len) of b_data. */
struct gs_buf {
	uint8_t		*b_data;
	size_t		 b_size;
	size_t		 b_off;
	size_t		 b_len;
};

enum gs_state {
	GS_ST_CONNECT,		/* TCP connect to the proxy in progress */
	GS_ST_METHOD,		/* greeting sent, waiting for VER METHOD */
	GS_ST_AUTH,		/* waiting for an mtyp 1 token */
	GS_ST_PROTECT,		/* waiting for the mtyp 2 level */
	GS_ST_REPLY,		/* request sent, waiting for the reply */
	GS_ST_BOUND,		/* BIND: waiting for the second reply */
	GS_ST_RELAY,		/* relaying data both ways */
	GS_ST_DONE
};

struct gs_session;
struct gs_udp;

/*
 * The local side of a session.  lo_ready runs when the proxy accepted the
 * request (bnd is its BND address: for BIND the peer's, from the second
 * reply; for UDP ASSOCIATE the local datagram socket's); it may queue
 * bytes for the local side with engine_local_send(), and returns -1 to
 * end the session instead.  lo_bound, which only a local side that asks
 * for BIND needs, runs on BIND's first reply with the address the proxy
 * listens on, and returns -1 to end the session.
 * lo_done runs once when the session ends with a GS_EXIT_* status; after
 * lo_done the session is gone.  The engine never closes the local
 * descriptors: lo_done does, if it wants.  With
 * lo_upeof_ends set, the proxy's EOF ends the session once its data is
 * written; otherwise the local side is half-closed and the session goes
 * on until the local side's EOF too.
 */
struct gs_local {
	const char	*lo_inname;		/* for messages */
	const char	*lo_outname;
	int		 lo_upeof_ends;
	int		(*lo_ready)(struct gs_session *,
			    const struct socks_addr *);
	void		(*lo_done)(struct gs_session *, int);
	int		(*lo_bound)(struct gs_session *,
			    const struct socks_addr *);
};

struct gs_session {
	const struct gs_conf	*s_conf;
	const struct gs_local	*s_local;
	void			*s_localarg;
	enum gs_state		 s_state;
	uint8_t			 s_cmd;		/* SOCKS_CMD_* */
	uint8_t			 s_rep;		/* the proxy's reply code */
	struct socks_addr	 s_dst;
	char			 s_label[GS_LABELLEN];	/* "" or a prefix */

	/* The proxy connection. */
	int			 s_fd;
	struct addrinfo		*s_ai;		/* address being tried */
	struct event		 s_ev_rd;
	struct event		 s_ev_wr;
	struct event		 s_ev_timer;
	struct gs_buf		 s_in;		/* from the proxy */
	struct gs_buf		 s_out;		/* to the proxy */
	int			 s_evon;	/* GS_EV_* bits added */
	int			 s_eof;		/* the proxy sent EOF */
	int			 s_shut;	/* our SHUT_WR is done */

	/* The local side. */
	int			 s_lin;
	int			 s_lout;
	struct event		 s_ev_lrd;
	struct event		 s_ev_lwr;
	struct gs_buf		 s_lbuf;	/* unwrapped, to local side */
	int			 s_leof;	/* EOF from the local side */
	int			 s_lshut;	/* local output closed */
	uint8_t			 s_early[GS_EARLYMAX];	/* for the proxy */
	size_t			 s_earlylen;	/* once the relay starts */

	/* GSS-API. */
	gss_ctx_id_t		 s_ctx;
	gss_name_t		 s_target;
	OM_uint32		 s_flags;	/* ret_flags of the context */
	int			 s_reqlevel;	/* asked for */
	int			 s_level;	/* granted */
	int			 s_wrapped;	/* data in mtyp 3 tokens */
	size_t			 s_maxplain;	/* largest chunk to wrap */

	unsigned long long	 s_bytes_up;
	unsigned long long	 s_bytes_down;

	struct gs_udp		*s_udp;		/* UDP ASSOCIATE only */
};

/*
 * engine.c.  Every function of engine.c, negotiate.c, gss.c and udp.c
 * that takes a session and returns -1 has ended the session (and freed
 * it), except engine_session_early() and engine_local_send(), which only
 * fill buffers and leave the session to their caller, and the *_dgram
 * functions of gss.c, after which a datagram is dropped, not a session.
 */
struct gs_session *engine_session_new(const struct gs_conf *,
		    const struct gs_local *, void *, int, int,
		    const struct socks_addr *);
void		 engine_session_start(struct gs_session *);
int		 engine_session_early(struct gs_session *, const void *,
		    size_t);
int		 engine_local_send(struct gs_session *, const void *,
		    size_t);
void		 engine_end(struct gs_session *, int);
void		 engine_fail(struct gs_session *, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
int		 engine_send(struct gs_session *, const void *, size_t);
int		 engine_send_frame(struct gs_session *, uint8_t,
		    const void *, size_t);
int		 engine_send_wrapped(struct gs_session *, const void *,
		    size_t);
void		 engine_abort(struct gs_session *);
int		 engine_relay_start(struct gs_session *,
		    const struct socks_addr *);
int		 engine_bound(struct gs_session *, const struct socks_addr *);
void		 gsbuf_consume(struct gs_buf *, size_t);

/* gsocks.c */
int		 hostport_parse(const char *, struct gs_hostport *,
		    const char **);
int		 conf_resolve(struct gs_conf *, const struct gs_hostport *,
		    int);

/*
 * bridge.c: the listening modes.  The server's settings; routes, when
 * there are any, choose the proxy per destination, else conf is it.
 */
#define GS_MODE_BRIDGE		1
#define GS_MODE_FORWARD		2
#define GS_DEFAULT_BRIDGE	"127.0.0.1:1081"
#define GS_DEFAULT_MAXCONN	256

struct gs_server {
	int			 sv_mode;
	const struct gs_conf	*sv_conf;
	const struct gs_route	*sv_routes;
	const char		*sv_routefile;
	struct socks_addr	 sv_target;	/* forward */
	int			 sv_maxconn;
};

int		 bridge_listen(struct gs_server *, const char *, int);
int		 bridge_run(struct gs_server *);

/* route.c */
const struct gs_route *route_match(const struct gs_route *,
		    const struct sockaddr *, uint8_t,
		    const struct socks_addr *);
int		 route_addr(struct gs_raddr *, const char *, const char **);
int		 route_port(struct gs_raddr *, const char *, const char *,
		    const char *, const char **);

/*
 * udp.c: the datagrams of a UDP ASSOCIATE.  udp_new() opens the local
 * socket before the session starts; udp_upstream() opens the socket that
 * faces the proxy once the control connection is up, and names it in the
 * request; udp_start() begins relaying when the proxy has answered;
 * udp_free() closes both and says what went through.
 */
struct gs_udp	*udp_new(const struct sockaddr *, const struct sockaddr *,
		    in_port_t, const char *);
int		 udp_upstream(struct gs_session *);
int		 udp_start(struct gs_session *, const struct socks_addr *,
		    struct socks_addr *);
void		 udp_free(struct gs_udp *);

/* parse.y */
struct gs_route	*parse_config(const char *, const struct gs_conf *, int);
void		 config_free(struct gs_route *);

/* negotiate.c */
int		 nego_start(struct gs_session *);
int		 nego_input(struct gs_session *);

/* gss.c */
int		 sec_begin(struct gs_session *);
int		 sec_step(struct gs_session *, const uint8_t *, size_t);
int		 sec_level_send(struct gs_session *);
int		 sec_level_recv(struct gs_session *, const uint8_t *, size_t);
int		 sec_wrap(struct gs_session *, const uint8_t *, size_t,
		    uint8_t *, size_t, size_t *);
int		 sec_unwrap(struct gs_session *, const uint8_t *, size_t,
		    uint8_t *, size_t, size_t *);
int		 sec_maxplain(struct gs_session *);
int		 sec_wrap_dgram(struct gs_session *, const uint8_t *, size_t,
		    gss_buffer_t, const char **);
int		 sec_unwrap_dgram(struct gs_session *, const uint8_t *,
		    size_t, gss_buffer_t, const char **);
int		 sec_maxplain_dgram(struct gs_session *, size_t, size_t *);
void		 sec_end(struct gs_session *);
const char	*sec_levelname(int);
int		 sec_levelbyname(const char *);

#endif /* GSOCKS_H */

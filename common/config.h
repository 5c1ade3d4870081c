/*
 * Configuration as plain data.
 *
 * The parent parses sockd.conf (sockd/parse.y) into these structures and
 * sends them whole to every child over imsg, so nothing here may hold a
 * pointer: a child must be able to use a received struct as it is.
 */

#ifndef SOCKD_CONFIG_H
#define SOCKD_CONFIG_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <limits.h>
#include <stdint.h>

#ifndef SOCKD_SYSCONFDIR
#define SOCKD_SYSCONFDIR	"/etc"
#endif
#define SOCKD_CONF		SOCKD_SYSCONFDIR "/sockd.conf"
#define SOCKD_KEYTAB		"/etc/sockd.keytab"
#define SOCKD_SERVICE		"rcmd"
#define SOCKD_USER		"nobody"

#define SOCKD_MAXLISTEN		16
#define SOCKD_MAXEXTERNAL	8
#define SOCKD_MAXRULES		1024
#define SOCKD_MAXKEYTABS	8
#define SOCKD_MAXRELAYS		64
#define SOCKD_USERNAME_MAX	32
#define SOCKD_NAME_MAX		256	/* principal, service, host name */
#define SOCKD_USERS_MAX		1024	/* user: list, NUL separated */

/* RFC 1928 method numbers. */
#define METHOD_NONE		0x00
#define METHOD_GSSAPI		0x01
#define METHOD_UNAME		0x02
#define METHOD_NOACCEPT		0xff

/* An ordered list of methods, most preferred first (Dante's order). */
#define METHODLIST_MAX		4
struct methodlist {
	uint8_t		 ml_n;
	uint8_t		 ml_m[METHODLIST_MAX];
};

/*
 * RFC 1961 protection levels as they travel in the level octet, and the
 * set of them a rule allows (gssapi.enctype) as a bit mask of 1 << level.
 * Level 0 is Dante's "clear": authentication only, no encapsulation after.
 */
#define GSS_LEVEL_CLEAR		0
#define GSS_LEVEL_INTEGRITY	1
#define GSS_LEVEL_CONF		2
#define GSS_LEVEL_PERMESSAGE	3	/* RFC 1961 selective; never granted */
#define GSS_LEVEL_BIT(l)	(1U << (l))
#define GSS_LEVELS_DEFAULT	(GSS_LEVEL_BIT(GSS_LEVEL_INTEGRITY) | \
				    GSS_LEVEL_BIT(GSS_LEVEL_CONF))

/* SOCKS commands; the request codes of RFC 1928 plus Dante's replies. */
#define CMD_CONNECT		0x01
#define CMD_BIND		0x02
#define CMD_UDPASSOCIATE	0x04
#define CMD_BINDREPLY		0x08
#define CMD_UDPREPLY		0x10
#define CMD_ALL			(CMD_CONNECT | CMD_BIND | CMD_UDPASSOCIATE | \
				    CMD_BINDREPLY | CMD_UDPREPLY)

/* log: keywords of a rule. */
#define RLOG_CONNECT		0x01
#define RLOG_DISCONNECT		0x02
#define RLOG_ERROR		0x04
#define RLOG_IOOPERATION	0x08
#define RLOG_DATA		0x10

/* Port operators of Dante's address syntax ("port = 80", "port 1 - 1023"). */
enum portop {
	PORT_ANY = 0,
	PORT_EQ,
	PORT_NE,
	PORT_GE,
	PORT_LE,
	PORT_GT,
	PORT_LT,
	PORT_RANGE
};

enum addrtype {
	ADDR_ANY = 0,		/* "0/0": every address of every family */
	ADDR_NET,		/* address/prefix */
	ADDR_DOMAIN		/* "host.example" exact, ".example" suffix */
};

struct addrmatch {
	enum addrtype	 am_type;
	int		 am_family;	/* AF_INET or AF_INET6 for ADDR_NET */
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
	}		 am_addr;
	int		 am_prefixlen;
	char		 am_domain[SOCKD_NAME_MAX];
	enum portop	 am_portop;
	in_port_t	 am_port1;	/* host byte order */
	in_port_t	 am_port2;
};

/* gssapi.* and clientcompatibility, globally and per rule. */
struct gssconf {
	char		 gc_servicename[SOCKD_NAME_MAX];
	char		 gc_keytab[PATH_MAX];
	int		 gc_keytab_id;	/* index into the keytabs sent */
	unsigned int	 gc_levels;	/* GSS_LEVEL_BIT() mask */
	int		 gc_nec;	/* clientcompatibility: necgssapi */
	int		 gc_weak;	/* our keyword: accept des/arcfour */
};
#define GC_SET_SERVICE	0x01
#define GC_SET_KEYTAB	0x02
#define GC_SET_LEVELS	0x04
#define GC_SET_NEC	0x08
#define GC_SET_WEAK	0x10	/* gssapi.weakenctypes (ours) */

enum ruletype {
	RULE_CLIENT = 1,
	RULE_SOCKS
};

enum ruleaction {
	RULE_PASS = 1,
	RULE_BLOCK
};

struct rule {
	int		 r_num;		/* 1.. in order of the file */
	enum ruletype	 r_type;
	enum ruleaction	 r_action;
	char		 r_file[64];	/* basename, for log lines */
	int		 r_line;
	struct addrmatch r_from;
	struct addrmatch r_to;
	unsigned int	 r_commands;	/* CMD_*; 0 means all */
	unsigned int	 r_log;		/* RLOG_* */
	struct methodlist r_methods;	/* socksmethod:; empty means any */
	struct methodlist r_clientmethods;
	char		 r_users[SOCKD_USERS_MAX]; /* NUL separated */
	size_t		 r_userslen;
	unsigned int	 r_gss_set;	/* GC_SET_* given in this rule */
	struct gssconf	 r_gss;		/* globals filled in where unset */
};

struct listenaddr {
	struct sockaddr_storage	 la_ss;
	socklen_t		 la_sslen;
};

struct extaddr {
	int			 ea_isif;	/* an interface name */
	char			 ea_ifname[32];
	struct sockaddr_storage	 ea_ss;
	socklen_t		 ea_sslen;
};

/* logoutput: destinations. */
#define LOGTO_SYSLOG		0x01
#define LOGTO_STDERR		0x02
#define LOGTO_FILE		0x04

struct sockd_conf {
	struct listenaddr	 sc_listen[SOCKD_MAXLISTEN];
	int			 sc_nlisten;
	struct extaddr		 sc_external[SOCKD_MAXEXTERNAL];
	int			 sc_nexternal;
	struct methodlist	 sc_socksmethods;
	struct methodlist	 sc_clientmethods;
	char			 sc_user_priv[SOCKD_USERNAME_MAX];
	char			 sc_user_unpriv[SOCKD_USERNAME_MAX];
	char			 sc_user_auth[SOCKD_USERNAME_MAX];
	unsigned int		 sc_logto;
	char			 sc_logfile[PATH_MAX];
	int			 sc_syslog_facility;
	int			 sc_debug;
	int			 sc_timeout_negotiate;	/* seconds */
	int			 sc_timeout_io;		/* 0: none */
	int			 sc_timeout_connect;
	struct gssconf		 sc_gss;
	char			 sc_keytabs[SOCKD_MAXKEYTABS][PATH_MAX];
	int			 sc_nkeytabs;
	int			 sc_nrelays;
	int			 sc_nrules;
};

#endif /* SOCKD_CONFIG_H */

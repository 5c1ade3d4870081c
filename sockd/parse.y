/*
 * sockd.conf: Dante's sockd.conf(5) syntax, read the way OpenBSD's
 * daemons read their configs: a yacc grammar over a lexer of our own
 * with a sorted keyword table, include files, and every problem logged
 * as "file:line: message" before the parse fails as a whole.
 *
 * The lexer does what Dante's start conditions do: a word directly
 * followed by ':' is a keyword ("internal:", "gssapi.enctype:"), any
 * other word is a value.  A Dante keyword we do not implement is
 * reported as not supported, an unknown one as unknown, and either is
 * skipped to the end of its line (or the '}' of its rule), so that one
 * mistake does not hide the next.
 *
 * Where this differs from Dante 1.4, on purpose:
 *  - include "file" (or include: "file") reads another file in place;
 *    Dante has no include.  A relative name is taken from the
 *    directory of the including file.
 *  - gssapi.keytab, gssapi.servicename, gssapi.enctype and
 *    clientcompatibility may also be given before the rules, as
 *    defaults for every rule; Dante has them only in rules.
 *    gssapi.weakenctypes: yes|no (accept single DES and RC4 keys) and
 *    user.auth: NAME (the user sockd-auth runs as) are ours.
 *  - Authentication happens before there is a socks request to match,
 *    so gssapi.keytab, gssapi.servicename, gssapi.weakenctypes,
 *    clientcompatibility and clientmethod are errors in socks rules;
 *    gssapi.enctype there is a condition on the level the session
 *    negotiated.
 *  - No logoutput means syslog, facility daemon (Dante logs nowhere);
 *    logoutput: stdout and errorlog: are not supported.
 *  - A rule address without a prefix length is one host (/32 or /128),
 *    where Dante wants a netmask.  Host and domain names are accepted
 *    only as the to: of socks rules: nothing here resolves a client.
 *  - Port names come from a small table of our own, not /etc/services,
 *    so that a config means the same on every machine.
 *  - Dante's deprecated forms (method:, connecttimeout:, iotimeout:, a
 *    rule starting with pass or block) are accepted with a warning, as
 *    Dante accepts them.
 *  - A setting may be given once (internal:, external:, logoutput: and
 *    user: may repeat), settings come before the rules as in Dante, and
 *    socksmethod: is required (Dante's default, no method, would refuse
 *    every client).
 *  - The config and its includes must be regular files owned by root
 *    (or by whoever runs the parser) that neither group nor others may
 *    write: whoever can write the rules can use the proxy.
 */

%{
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "parse.h"

#define WORD_MAX	(PATH_MAX + 16)
#define LEX_AGAIN	(-2)	/* skipped text: lex the next token */
#define BIT(id)		(1ULL << (id))

/* Where a keyword may appear, and where Dante lets it appear. */
#define KW_GLOBAL	0x01
#define KW_CRULE	0x02
#define KW_SRULE	0x04
#define KW_RULES	(KW_CRULE | KW_SRULE)
#define KW_ALL		(KW_GLOBAL | KW_RULES)
#define KW_REPEAT	0x08	/* may be given more than once */

/* One id per setting, for duplicate checks; aliases share theirs. */
enum kwid {
	ID_NONE = 0,
	ID_CLIENTCOMPAT,
	ID_CLIENTMETHOD,
	ID_COMMAND,
	ID_DEBUG,
	ID_EXTERNAL,
	ID_FROM,
	ID_GSS_ENCTYPE,
	ID_GSS_KEYTAB,
	ID_GSS_SERVICE,
	ID_GSS_WEAK,
	ID_INCLUDE,
	ID_INTERNAL,
	ID_LOG,
	ID_LOGOUTPUT,
	ID_METHOD,
	ID_PROTOCOL,
	ID_SOCKSMETHOD,
	ID_TIMEOUT_CONNECT,
	ID_TIMEOUT_IO,
	ID_TIMEOUT_NEGOTIATE,
	ID_TO,
	ID_USER,
	ID_USER_AUTH,
	ID_USER_PRIV,
	ID_USER_UNPRIV,
	ID_MAX
};

struct keyword {
	const char	*k_name;
	int		 k_token;	/* 0: Dante's, refused */
	enum kwid	 k_id;
	unsigned int	 k_where;	/* KW_* where we accept it */
	unsigned int	 k_dante;	/* KW_* where Dante accepts it */
	const char	*k_new;		/* deprecated: use this */
};

struct pos {
	const char	*file;
	int		 line;
};

struct strlist {
	char		**sl_v;
	size_t		  sl_n;
	size_t		  sl_cap;
};

struct portspec {
	enum portop	 ps_op;
	int		 ps_port1;
	int		 ps_port2;
	int		 ps_bad;	/* already reported */
};

typedef struct {
	union {
		int64_t			 number;
		char			*string;
		struct strlist		*list;
		struct portspec		 port;
		const struct keyword	*kw;
	} v;
	struct pos	 pos;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED	1

int	 yylex(void);
int	 yyerror(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
int	 yyparse(void);

static void	 p_err(const struct pos *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	 p_warn(const struct pos *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static struct strlist *p_list(struct strlist *, char *);
static int	 lident(const char *);
static int	 opt_begin(const struct pos *, const struct keyword **);
static void	 p_include(const struct pos *, const char *);
static void	 p_rule_begin(const struct pos *, enum ruletype,
		    enum ruleaction);
static void	 p_rule_end(void);
static void	 p_port(const struct pos *, struct portspec *, enum portop,
		    int64_t, int64_t);
static int64_t	 p_service(const struct pos *, const char *);
static void	 conf_internal(const struct pos *, const char *,
		    const struct portspec *);
static void	 conf_external(const struct pos *, const char *);
static void	 conf_methods(const struct pos *, const struct keyword *,
		    const struct strlist *);
static void	 conf_user(const struct pos *, const struct keyword *,
		    const char *);
static void	 conf_logoutput(const struct pos *, const struct strlist *);
static void	 conf_number(const struct pos *, const struct keyword *,
		    const char *);
static void	 conf_gss(const struct pos *, const struct keyword *,
		    const char *);
static void	 conf_enctype(const struct pos *, const struct strlist *);
static void	 conf_clientcompat(const struct pos *,
		    const struct strlist *);
static void	 conf_addr(const struct pos *, const struct keyword *,
		    const char *, const struct portspec *);
static void	 conf_command(const struct pos *, const struct strlist *);
static void	 conf_log(const struct pos *, const struct strlist *);
static void	 conf_protocol(const struct pos *, const struct strlist *);
static void	 conf_users(const struct pos *, const struct strlist *);
%}

%token	INCLUDE CLIENT SOCKS PASS BLOCK PORT NE GE LE
%token	<v.kw>	INTERNAL EXTERNAL SOCKSMETHOD CLIENTMETHOD METHOD
%token	<v.kw>	USER_PRIV USER_UNPRIV USER_AUTH LOGOUTPUT DEBUG
%token	<v.kw>	TIMEOUT_NEGOTIATE TIMEOUT_IO TIMEOUT_CONNECT
%token	<v.kw>	GSS_SERVICE GSS_KEYTAB GSS_ENCTYPE GSS_WEAK
%token	<v.kw>	CLIENTCOMPAT FROM TO COMMAND LOG USER PROTOCOL
%token	<v.string>	STRING ERRKEY
%token	<v.number>	NUMBER
%type	<v.string>	word
%type	<v.list>	words
%type	<v.port>	portspec
%type	<v.number>	portop portnum ruletype verdict

%%

grammar		: /* empty */
		| grammar include
		| grammar option
		| grammar rule
		| grammar error
		;

/*
 * A keyword the lexer refused: reported here, in order with the rest,
 * rather than while the lexer looks ahead past the end of a list.
 */
refused		: ERRKEY		{ p_err(&$<pos>1, "%s", $1); }
		;

include		: INCLUDE word	{ p_include(&$<pos>1, $2); }
		;

rule		: ruletype verdict '{' {
			p_rule_begin(&$<pos>1, $1, $2);
		} ruleopts '}' {
			p_rule_end();
		}
		| verdict '{' {
			const char *v = $1 == RULE_PASS ? "pass" : "block";

			p_warn(&$<pos>1, "'%s' without 'socks' is deprecated, "
			    "use 'socks %s'", v, v);
			p_rule_begin(&$<pos>1, RULE_SOCKS, $1);
		} ruleopts '}' {
			p_rule_end();
		}
		;

ruletype	: CLIENT		{ $$ = RULE_CLIENT; }
		| SOCKS			{ $$ = RULE_SOCKS; }
		;

verdict		: PASS			{ $$ = RULE_PASS; }
		| BLOCK			{ $$ = RULE_BLOCK; }
		;

ruleopts	: /* empty */
		| ruleopts option
		| ruleopts error
		;

option		: refused
		| INTERNAL word portspec {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_internal(&$<pos>1, $2, &$3);
		}
		| EXTERNAL word {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_external(&$<pos>1, $2);
		}
		| SOCKSMETHOD words {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_methods(&$<pos>1, $1, $2);
		}
		| CLIENTMETHOD words {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_methods(&$<pos>1, $1, $2);
		}
		| METHOD words {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_methods(&$<pos>1, $1, $2);
		}
		| USER_PRIV word {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_user(&$<pos>1, $1, $2);
		}
		| USER_UNPRIV word {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_user(&$<pos>1, $1, $2);
		}
		| USER_AUTH word {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_user(&$<pos>1, $1, $2);
		}
		| LOGOUTPUT words {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_logoutput(&$<pos>1, $2);
		}
		| DEBUG word {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_number(&$<pos>1, $1, $2);
		}
		| TIMEOUT_NEGOTIATE word {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_number(&$<pos>1, $1, $2);
		}
		| TIMEOUT_IO word {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_number(&$<pos>1, $1, $2);
		}
		| TIMEOUT_CONNECT word {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_number(&$<pos>1, $1, $2);
		}
		| GSS_SERVICE word {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_gss(&$<pos>1, $1, $2);
		}
		| GSS_KEYTAB word {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_gss(&$<pos>1, $1, $2);
		}
		| GSS_WEAK word {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_gss(&$<pos>1, $1, $2);
		}
		| GSS_ENCTYPE words {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_enctype(&$<pos>1, $2);
		}
		| CLIENTCOMPAT words {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_clientcompat(&$<pos>1, $2);
		}
		| FROM word portspec {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_addr(&$<pos>1, $1, $2, &$3);
		}
		| TO word portspec {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_addr(&$<pos>1, $1, $2, &$3);
		}
		| COMMAND words {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_command(&$<pos>1, $2);
		}
		| LOG words {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_log(&$<pos>1, $2);
		}
		| USER words {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_users(&$<pos>1, $2);
		}
		| PROTOCOL words {
			if (opt_begin(&$<pos>1, &$1) == 0)
				conf_protocol(&$<pos>1, $2);
		}
		;

portspec	: /* empty */ {
			memset(&$$, 0, sizeof($$));
			$$.ps_op = PORT_ANY;
		}
		| PORT portop portnum {
			p_port(&$<pos>1, &$$, $2, $3, 0);
		}
		| PORT portnum {
			p_port(&$<pos>1, &$$, PORT_EQ, $2, 0);
		}
		| PORT portnum '-' portnum {
			p_port(&$<pos>1, &$$, PORT_RANGE, $2, $4);
		}
		;

portop		: '='			{ $$ = PORT_EQ; }
		| NE			{ $$ = PORT_NE; }
		| GE			{ $$ = PORT_GE; }
		| LE			{ $$ = PORT_LE; }
		| '>'			{ $$ = PORT_GT; }
		| '<'			{ $$ = PORT_LT; }
		;

portnum		: NUMBER		{ $$ = $1; }
		| STRING		{ $$ = p_service(&$<pos>1, $1); }
		;

words		: word			{ $$ = p_list(NULL, $1); }
		| words word		{ $$ = p_list($1, $2); }
		;

word		: STRING		{ $$ = $1; }
		;

%%

/* A config file read whole; lines are counted as it is lexed. */
struct file {
	char		*f_name;
	dev_t		 f_dev;
	ino_t		 f_ino;
	char		*f_buf;
	size_t		 f_len;
	size_t		 f_pos;
	int		 f_line;
};

struct mark {
	size_t		 m_pos;
	int		 m_line;
};

/* Allocations live until the parse ends and are freed together. */
union p_mem {
	union p_mem	*pm_next;
	max_align_t	 pm_align;
};

/* What the rule being parsed has seen, for checks at its '}'. */
struct rulestate {
	uint64_t	 rs_seen;
	struct pos	 rs_start;
	struct pos	 rs_pos[ID_MAX];
	unsigned int	 rs_protos;
};
#define PROTO_TCP	0x01
#define PROTO_UDP	0x02

static struct {
	struct sockd_conf	*conf;
	const char		*mainfile;
	struct rule		*rules;
	int			 nrules;
	int			 rulecap;
	int			 inrule;
	int			 rules_begun;
	struct rule		 rule;
	struct rulestate	 rs;
	uint64_t		 gseen;
	uint64_t		 lexseen;
	int			 logseen;
	int			 errors;
	int			 portctx;
	int			 nfiles;	/* opened in this parse */
	int			 lasttok;
	int			 closed;	/* a '}' was made up */
	int			 justclosed;	/* by the last token */
	char			 lasttext[64];	/* for yyerror() */
	struct file		*tokfile;
	size_t			 tokstart;
	struct file		*files[PARSE_MAXDEPTH];
	int			 depth;
	union p_mem		*mem;
} ps;

/*
 * Every keyword, sorted for bsearch(3).  An entry with token 0 is a
 * Dante keyword that we know and refuse by name rather than call
 * unknown.
 */
#define KW(n, t, id, w, d)	{ n, t, id, w, d, NULL }
#define KW_OLD(n, t, id, w, d, new) { n, t, id, w, d, new }
#define KW_NOTSUPP(n)		{ n, 0, ID_NONE, 0, 0, NULL }
static const struct keyword keywords[] = {
	KW_NOTSUPP("bandwidth"),
	KW_NOTSUPP("bsdauth.stylename"),
	KW_NOTSUPP("child.maxidle"),
	KW_NOTSUPP("child.maxrequests"),
	KW("clientcompatibility", CLIENTCOMPAT, ID_CLIENTCOMPAT,
	    KW_GLOBAL | KW_CRULE, KW_CRULE),
	KW("clientmethod", CLIENTMETHOD, ID_CLIENTMETHOD,
	    KW_GLOBAL | KW_CRULE, KW_ALL),
	KW("command", COMMAND, ID_COMMAND, KW_SRULE, KW_SRULE),
	KW_NOTSUPP("compatibility"),
	KW_OLD("connecttimeout", TIMEOUT_CONNECT, ID_TIMEOUT_CONNECT,
	    KW_GLOBAL, KW_ALL, "timeout.connect"),
	KW("debug", DEBUG, ID_DEBUG, KW_GLOBAL, KW_GLOBAL),
	KW_NOTSUPP("errorlog"),
	KW_NOTSUPP("extension"),
	KW("external", EXTERNAL, ID_EXTERNAL, KW_GLOBAL | KW_REPEAT,
	    KW_GLOBAL),
	KW("from", FROM, ID_FROM, KW_RULES, KW_RULES),
	KW_NOTSUPP("group"),
	KW("gssapi.enctype", GSS_ENCTYPE, ID_GSS_ENCTYPE, KW_ALL, KW_RULES),
	KW("gssapi.keytab", GSS_KEYTAB, ID_GSS_KEYTAB, KW_GLOBAL | KW_CRULE,
	    KW_RULES),
	KW("gssapi.servicename", GSS_SERVICE, ID_GSS_SERVICE,
	    KW_GLOBAL | KW_CRULE, KW_RULES),
	KW("gssapi.weakenctypes", GSS_WEAK, ID_GSS_WEAK,
	    KW_GLOBAL | KW_CRULE, 0),
	KW_NOTSUPP("hostid"),
	KW_NOTSUPP("hostindex"),
	KW("include", INCLUDE, ID_INCLUDE, KW_GLOBAL | KW_REPEAT, 0),
	KW("internal", INTERNAL, ID_INTERNAL, KW_GLOBAL | KW_REPEAT,
	    KW_GLOBAL),
	KW_OLD("iotimeout", TIMEOUT_IO, ID_TIMEOUT_IO, KW_GLOBAL, KW_ALL,
	    "timeout.io"),
	KW_NOTSUPP("libwrap"),
	KW_NOTSUPP("libwrap.allow"),
	KW_NOTSUPP("libwrap.deny"),
	KW_NOTSUPP("libwrap.hosts_access"),
	KW_NOTSUPP("localdomain"),
	KW("log", LOG, ID_LOG, KW_RULES, KW_RULES),
	KW("logoutput", LOGOUTPUT, ID_LOGOUTPUT, KW_GLOBAL | KW_REPEAT,
	    KW_GLOBAL),
	KW_OLD("method", METHOD, ID_METHOD, KW_ALL, KW_ALL, "socksmethod"),
	KW_NOTSUPP("pam.servicename"),
	KW_NOTSUPP("pamservicename"),
	KW("protocol", PROTOCOL, ID_PROTOCOL, KW_SRULE, KW_SRULE),
	KW_NOTSUPP("proxyprotocol"),
	KW_NOTSUPP("realm"),
	KW_NOTSUPP("resolveprotocol"),
	KW("socksmethod", SOCKSMETHOD, ID_SOCKSMETHOD, KW_ALL, KW_ALL),
	KW_NOTSUPP("srchost"),
	KW("timeout.connect", TIMEOUT_CONNECT, ID_TIMEOUT_CONNECT, KW_GLOBAL,
	    KW_ALL),
	KW("timeout.io", TIMEOUT_IO, ID_TIMEOUT_IO, KW_GLOBAL, KW_ALL),
	KW_NOTSUPP("timeout.io.tcp"),
	KW_NOTSUPP("timeout.io.udp"),
	KW("timeout.negotiate", TIMEOUT_NEGOTIATE, ID_TIMEOUT_NEGOTIATE,
	    KW_GLOBAL, KW_ALL),
	KW_NOTSUPP("timeout.tcp_fin_wait"),
	KW("to", TO, ID_TO, KW_RULES, KW_RULES),
	KW_NOTSUPP("udp.connectdst"),
	KW_NOTSUPP("udp.portrange"),
	KW("user", USER, ID_USER, KW_SRULE | KW_REPEAT, KW_RULES),
	KW("user.auth", USER_AUTH, ID_USER_AUTH, KW_GLOBAL, 0),
	KW_NOTSUPP("user.libwrap"),
	KW("user.notprivileged", USER_UNPRIV, ID_USER_UNPRIV, KW_GLOBAL,
	    KW_GLOBAL),
	KW("user.privileged", USER_PRIV, ID_USER_PRIV, KW_GLOBAL, KW_GLOBAL),
	KW("user.unprivileged", USER_UNPRIV, ID_USER_UNPRIV, KW_GLOBAL,
	    KW_GLOBAL),
};

/* Families of Dante keywords (socket options, cpu, ldap, ...). */
static const char *unsupported_prefixes[] = {
	"alarm.", "cpu.", "external.", "internal.", "ldap.", "route.",
	"session.", "socket."
};

/* Port names: a fixed table, so a config means the same everywhere. */
static const struct {
	const char	*name;
	int		 port;
} services[] = {
	{ "ftp",	21 },
	{ "ssh",	22 },
	{ "telnet",	23 },
	{ "smtp",	25 },
	{ "domain",	53 },
	{ "http",	80 },
	{ "pop3",	110 },
	{ "nntp",	119 },
	{ "imap",	143 },
	{ "ldap",	389 },
	{ "https",	443 },
	{ "submission",	587 },
	{ "ldaps",	636 },
	{ "imaps",	993 },
	{ "pop3s",	995 },
	{ "socks",	1080 },
};

static const struct {
	const char	*name;
	int		 facility;
} facilities[] = {
	{ "auth",	LOG_AUTH },
	{ "authpriv",	LOG_AUTHPRIV },
	{ "cron",	LOG_CRON },
	{ "daemon",	LOG_DAEMON },
	{ "ftp",	LOG_FTP },
	{ "kern",	LOG_KERN },
	{ "local0",	LOG_LOCAL0 },
	{ "local1",	LOG_LOCAL1 },
	{ "local2",	LOG_LOCAL2 },
	{ "local3",	LOG_LOCAL3 },
	{ "local4",	LOG_LOCAL4 },
	{ "local5",	LOG_LOCAL5 },
	{ "local6",	LOG_LOCAL6 },
	{ "local7",	LOG_LOCAL7 },
	{ "lpr",	LOG_LPR },
	{ "mail",	LOG_MAIL },
	{ "news",	LOG_NEWS },
	{ "syslog",	LOG_SYSLOG },
	{ "user",	LOG_USER },
	{ "uucp",	LOG_UUCP },
};

static const char *dante_methods[] = {
	"bsdauth", "pam", "pam.address", "pam.any", "pam.username", "rfc931",
	"username"
};

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/*
 * Memory.
 */

static void *
p_alloc(size_t len)
{
	union p_mem	*pm;

	if (len > SIZE_MAX - sizeof(*pm))
		fatalx("%s: too large", __func__);
	if ((pm = calloc(1, sizeof(*pm) + len)) == NULL)
		fatal("%s", __func__);
	pm->pm_next = ps.mem;
	ps.mem = pm;
	return (pm + 1);
}

static char *
p_strdup(const char *s)
{
	size_t	 len = strlen(s) + 1;

	return (memcpy(p_alloc(len), s, len));
}

static void
p_freeall(void)
{
	union p_mem	*pm;

	while ((pm = ps.mem) != NULL) {
		ps.mem = pm->pm_next;
		free(pm);
	}
}

static struct strlist *
p_list(struct strlist *sl, char *s)
{
	char	**v;

	if (sl == NULL)
		sl = p_alloc(sizeof(*sl));
	if (sl->sl_n == sl->sl_cap) {
		sl->sl_cap = sl->sl_cap ? sl->sl_cap * 2 : 4;
		v = p_alloc(sl->sl_cap * sizeof(*v));
		if (sl->sl_n > 0)
			memcpy(v, sl->sl_v, sl->sl_n * sizeof(*v));
		sl->sl_v = v;
	}
	sl->sl_v[sl->sl_n++] = s;
	return (sl);
}

/*
 * Messages.
 */

static void
p_err(const struct pos *pos, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s", pos->file, pos->line, msg);
	ps.errors++;
}

static void
p_warn(const struct pos *pos, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: warning: %s", pos->file, pos->line, msg);
}

/*
 * yacc's own message is "syntax error"; say what stood there instead,
 * and call a stray word in the place of a keyword an unknown keyword.
 */
int
yyerror(const char *fmt, ...)
{
	char		 msg[1024];
	const char	*s;
	va_list		 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The missing '}' was reported when it was made up. */
	if (ps.justclosed) {
		ps.errors++;
		return (0);
	}
	if (strcmp(msg, "syntax error") == 0) {
		s = ps.lasttext;
		if (ps.lasttok == 0)
			(void)strlcpy(msg, "unexpected end of file",
			    sizeof(msg));
		else if (ps.lasttok == STRING && lident(s))
			(void)snprintf(msg, sizeof(msg),
			    "unknown keyword '%s'", s);
		else
			(void)snprintf(msg, sizeof(msg),
			    "syntax error near '%s'", s);
	}
	p_err(&yylval.pos, "%s", msg);
	return (0);
}

/*
 * Files.
 */

static int
p_checkfile(int fd, const char *name, const struct pos *pos,
    struct stat *st)
{
	const char	*why = NULL;

	if (fstat(fd, st) == -1)
		why = strerror(errno);
	else if (!S_ISREG(st->st_mode))
		why = "not a regular file";
	else if (st->st_uid != 0 && st->st_uid != getuid())
		why = "file is not owned by root";
	else if (st->st_mode & (S_IWGRP | S_IWOTH))
		/* Whoever may write the rules may use the proxy. */
		why = "file is writable by group or others";
	else if (st->st_size > PARSE_MAXFILE)
		why = "file is too large";
	if (why == NULL)
		return (0);
	if (pos == NULL) {
		log_warnx("%s: %s", name, why);
		ps.errors++;
	} else
		p_err(pos, "include '%s': %s", name, why);
	return (-1);
}

static int
p_pushfile(const char *name, const struct pos *pos)
{
	struct file	*f;
	struct stat	 st;
	ssize_t		 n;
	size_t		 len = 0;
	char		*buf;
	int		 fd;

	int		 i;

	if (ps.depth == PARSE_MAXDEPTH) {
		p_err(pos, "include '%s': nested too deeply", name);
		return (-1);
	}
	if (ps.nfiles == PARSE_MAXFILES) {
		p_err(pos, "include '%s': more than %d files", name,
		    PARSE_MAXFILES);
		return (-1);
	}
	/* Non-blocking: a FIFO must not hang the parse before fstat. */
	if ((fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (pos == NULL) {
			log_warn("%s", name);
			ps.errors++;
		} else
			p_err(pos, "include '%s': %s", name, strerror(errno));
		return (-1);
	}
	if (p_checkfile(fd, name, pos, &st) == -1) {
		close(fd);
		return (-1);
	}
	/* A file including itself, however indirectly, is a loop. */
	for (i = 0; i < ps.depth; i++)
		if (ps.files[i]->f_dev == st.st_dev &&
		    ps.files[i]->f_ino == st.st_ino) {
			p_err(pos, "include '%s': include loop", name);
			close(fd);
			return (-1);
		}
	ps.nfiles++;
	buf = p_alloc(st.st_size + 1);
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);

	f = p_alloc(sizeof(*f));
	f->f_name = p_strdup(name);
	f->f_dev = st.st_dev;
	f->f_ino = st.st_ino;
	f->f_buf = buf;
	f->f_len = len;
	f->f_line = 1;
	ps.files[ps.depth++] = f;
	return (0);
}

/* A relative include is found beside the file that includes it. */
static void
p_include(const struct pos *pos, const char *name)
{
	const char	*slash;
	char		 path[PATH_MAX];
	int		 n;

	slash = strrchr(pos->file, '/');
	if (name[0] == '/' || slash == NULL) {
		if (strlcpy(path, name, sizeof(path)) >= sizeof(path)) {
			p_err(pos, "include: path too long");
			return;
		}
	} else {
		n = snprintf(path, sizeof(path), "%.*s/%s",
		    (int)(slash - pos->file), pos->file, name);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			p_err(pos, "include: path too long");
			return;
		}
	}
	(void)p_pushfile(path, pos);
}

/*
 * The lexer.
 */

static int
lgetc(struct file *f)
{
	int	 c;

	while (f->f_pos < f->f_len) {
		c = (unsigned char)f->f_buf[f->f_pos++];
		/* A backslash at the end of a line joins it to the next. */
		if (c == '\\' && f->f_pos < f->f_len &&
		    f->f_buf[f->f_pos] == '\n') {
			f->f_pos++;
			f->f_line++;
			continue;
		}
		if (c == '\n')
			f->f_line++;
		return (c);
	}
	return (EOF);
}

static struct mark
lmark(const struct file *f)
{
	struct mark	 m;

	m.m_pos = f->f_pos;
	m.m_line = f->f_line;
	return (m);
}

static void
lreset(struct file *f, struct mark m)
{
	f->f_pos = m.m_pos;
	f->f_line = m.m_line;
}

static int
lspace(int c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\f' || c == '\v');
}

/* Characters that end a word (with "!=", checked by the caller). */
static int
ldelim(int c)
{
	return (c == EOF || lspace(c) || c == '{' || c == '}' || c == '#' ||
	    c == '"' || c == '=' || c == '<' || c == '>');
}

static int
lident(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return (0);
	return (strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == strlen(s));
}

static int
kw_cmp(const void *k, const void *e)
{
	return (strcmp(k, ((const struct keyword *)e)->k_name));
}

static const struct keyword *
keyword_find(const char *s)
{
	return (bsearch(s, keywords, nitems(keywords), sizeof(keywords[0]),
	    kw_cmp));
}

/* The next character after blanks (newlines too), left unread. */
static int
lpeekc(struct file *f)
{
	struct mark	 m = lmark(f);
	int		 c;

	while (lspace(c = lgetc(f)))
		;
	lreset(f, m);
	return (c);
}

/* Is the next word, after blanks, one of a and b? */
static int
lpeekword(struct file *f, const char *a, const char *b)
{
	struct mark	 m = lmark(f);
	char		 w[16];
	size_t		 n = 0;
	int		 c;

	while (lspace(c = lgetc(f)))
		;
	while (!ldelim(c) && n < sizeof(w) - 1) {
		w[n++] = c;
		c = lgetc(f);
	}
	w[n] = '\0';
	lreset(f, m);
	return (ldelim(c) && (strcmp(w, a) == 0 || strcmp(w, b) == 0));
}

/* Skip a comment, leaving the newline that ends it. */
static void
lskipcomment(struct file *f)
{
	struct mark	 m;
	int		 c;

	for (;;) {
		m = lmark(f);
		if ((c = lgetc(f)) == EOF)
			return;
		if (c == '\n') {
			lreset(f, m);
			return;
		}
	}
}

/* Skip what follows a refused keyword: to the line's end or a '}'. */
static void
lskipline(struct file *f)
{
	struct mark	 m;
	int		 c;

	for (;;) {
		m = lmark(f);
		c = lgetc(f);
		if (c == EOF || c == '\n')
			return;
		if (c == '#')
			lskipcomment(f);
		else if (c == '}') {
			lreset(f, m);
			return;
		}
	}
}

/* Skip a whole refused block, "route { ... }". */
static void
lskipblock(struct file *f)
{
	int	 c;

	while ((c = lgetc(f)) != EOF && c != '{')
		if (c == '#')
			lskipcomment(f);
	while ((c = lgetc(f)) != EOF && c != '}')
		if (c == '#')
			lskipcomment(f);
}

static int
lunsupported_prefix(const char *s)
{
	size_t	 i;

	for (i = 0; i < nitems(unsupported_prefixes); i++)
		if (strncmp(s, unsupported_prefixes[i],
		    strlen(unsupported_prefixes[i])) == 0)
			return (1);
	return (0);
}

/* An ERRKEY token, whose message the grammar logs. */
static int
lrefuse(const char *s, int known)
{
	char	 msg[WORD_MAX + 64];

	if (known)
		(void)snprintf(msg, sizeof(msg),
		    "keyword '%s' is not supported", s);
	else
		(void)snprintf(msg, sizeof(msg), "unknown keyword '%s'", s);
	yylval.v.string = p_strdup(msg);
	return (ERRKEY);
}

/* A word followed by ':'. */
static int
lkey(struct file *f, const char *s)
{
	const struct keyword	*kw;

	ps.portctx = 0;
	if ((kw = keyword_find(s)) != NULL && kw->k_token != 0) {
		/* For "no internal address" where nothing else said. */
		if (!ps.inrule)
			ps.lexseen |= BIT(kw->k_id);
		yylval.v.kw = kw;
		return (kw->k_token);
	}
	lskipline(f);
	return (lrefuse(s, kw != NULL || lunsupported_prefix(s)));
}

static int
lquoted(struct file *f)
{
	char	 buf[WORD_MAX];
	size_t	 n = 0;
	int	 c;

	for (;;) {
		c = lgetc(f);
		if (c == '\\') {
			c = lgetc(f);
			if (c != '"' && c != '\\') {
				p_err(&yylval.pos, "bad escape in quoted "
				    "string");
				lskipline(f);
				return (LEX_AGAIN);
			}
		} else if (c == '"')
			break;
		if (c == EOF || c == '\n') {
			p_err(&yylval.pos, "unterminated quoted string");
			return (LEX_AGAIN);
		}
		if (c < 0x20 || c == 0x7f) {
			p_err(&yylval.pos, "invalid character 0x%02x", c);
			lskipline(f);
			return (LEX_AGAIN);
		}
		if (n == sizeof(buf) - 1) {
			p_err(&yylval.pos, "quoted string too long");
			lskipline(f);
			return (LEX_AGAIN);
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	ps.portctx = 0;
	yylval.v.string = p_strdup(buf);
	return (STRING);
}

/*
 * After "port": numbers, operators spelt as words, and "1-1023" as
 * NUMBER '-' NUMBER.
 */
static int
lportword(struct file *f, char *buf, size_t dashn, struct mark dash)
{
	static const struct {
		const char	*name;
		int		 tok;
	} ops[] = {
		{ "eq", '=' }, { "ne", NE }, { "neq", NE }, { "ge", GE },
		{ "le", LE }, { "gt", '>' }, { "lt", '<' }
	};
	const char	*errstr;
	size_t		 i;

	if (dashn > 0 && buf[dashn + 1] != '\0' &&
	    strspn(buf + dashn + 1, "0123456789") == strlen(buf + dashn + 1)) {
		buf[dashn] = '\0';
		lreset(f, dash);
	}
	if (strspn(buf, "0123456789") == strlen(buf)) {
		yylval.v.number = strtonum(buf, 0, LLONG_MAX, &errstr);
		if (errstr != NULL)
			yylval.v.number = -1;
		return (NUMBER);
	}
	for (i = 0; i < nitems(ops); i++)
		if (strcmp(buf, ops[i].name) == 0)
			return (ops[i].tok);
	ps.portctx = 0;
	yylval.v.string = p_strdup(buf);
	return (STRING);
}

/*
 * A rule starting inside a rule means the '}' was forgotten: say so,
 * and close the rule here so that the next one parses as it should.
 */
static int
lnewrule(struct file *f, const char *buf, struct mark start, int tok)
{
	/* Once only, even if the parser, lost, throws the '}' away. */
	if (!ps.inrule || ps.closed)
		return (tok);
	p_err(&yylval.pos, "missing '}' before '%s'", buf);
	lreset(f, start);
	ps.portctx = 0;
	ps.closed = ps.justclosed = 1;
	return ('}');
}

/* Words that are tokens where they stand, or Dante blocks we refuse. */
static int
lvalueword(struct file *f, const char *buf, struct mark start)
{
	if (strcmp(buf, "port") == 0) {
		ps.portctx = 1;
		return (PORT);
	}
	if (strcmp(buf, "include") == 0)
		return (lnewrule(f, buf, start, INCLUDE));
	if (strcmp(buf, "client") == 0 && lpeekword(f, "pass", "block"))
		return (lnewrule(f, buf, start, CLIENT));
	if (strcmp(buf, "socks") == 0 && lpeekword(f, "pass", "block"))
		return (lnewrule(f, buf, start, SOCKS));
	if ((strcmp(buf, "pass") == 0 || strcmp(buf, "block") == 0) &&
	    (ps.lasttok == CLIENT || ps.lasttok == SOCKS || lpeekc(f) == '{'))
		return (lnewrule(f, buf, start, buf[0] == 'p' ? PASS : BLOCK));
	if (((strcmp(buf, "route") == 0 || strcmp(buf, "monitor") == 0) &&
	    lpeekc(f) == '{') ||
	    (strcmp(buf, "hostid") == 0 && lpeekword(f, "pass", "block"))) {
		lskipblock(f);
		return (lrefuse(buf, 1));
	}
	if (strcmp(buf, "redirect") == 0 || strcmp(buf, "bounce") == 0) {
		lskipline(f);
		return (lrefuse(buf, 1));
	}
	yylval.v.string = p_strdup(buf);
	return (STRING);
}

static int
lword(struct file *f)
{
	char		 buf[WORD_MAX];
	struct mark	 m, start = lmark(f), dash = { 0, 0 };
	size_t		 n = 0, dashn = 0;
	int		 c, nc;

	for (;;) {
		m = lmark(f);
		c = lgetc(f);
		nc = f->f_pos < f->f_len ? (unsigned char)f->f_buf[f->f_pos] :
		    EOF;
		if (ldelim(c) || (c == '!' && nc == '=')) {
			lreset(f, m);
			break;
		}
		if (c == ':' && n > 0) {
			buf[n] = '\0';
			/* "from:10.0.0.0/8" is a keyword, "FILE:/x" not. */
			if (lident(buf) && (keyword_find(buf) != NULL ||
			    ldelim(nc)))
				return (lkey(f, buf));
		}
		if (c < 0x20 || c == 0x7f) {
			p_err(&yylval.pos, "invalid character 0x%02x", c);
			lskipline(f);
			return (LEX_AGAIN);
		}
		if (n == sizeof(buf) - 1) {
			p_err(&yylval.pos, "word too long");
			lskipline(f);
			return (LEX_AGAIN);
		}
		if (c == '-' && dashn == 0 && n > 0 &&
		    strspn(buf, "0123456789") >= n) {
			dashn = n;
			dash = m;
		}
		buf[n++] = c;
		buf[n] = '\0';
	}
	buf[n] = '\0';

	/* "internal :", as Dante allows. */
	if (lident(buf) && keyword_find(buf) != NULL) {
		m = lmark(f);
		while ((c = lgetc(f)) == ' ' || c == '\t')
			;
		if (c == ':')
			return (lkey(f, buf));
		lreset(f, m);
	}
	if (ps.portctx && strcmp(buf, "port") != 0)
		return (lportword(f, buf, dashn, dash));
	return (lvalueword(f, buf, start));
}

static int
lex(void)
{
	struct file	*f;
	struct mark	 m;
	int		 c;

	if (ps.depth == 0)
		return (0);
	f = ps.files[ps.depth - 1];
	for (;;) {
		c = lgetc(f);
		if (c == '#') {
			while ((c = lgetc(f)) != '\n' && c != EOF)
				;
		}
		/* A port expression ends with its line. */
		if (c == '\n') {
			ps.portctx = 0;
			continue;
		}
		if (lspace(c))
			continue;
		break;
	}
	yylval.pos.file = f->f_name;
	yylval.pos.line = f->f_line;
	ps.tokfile = NULL;
	if (c == EOF) {
		if (ps.depth == 1 && ps.inrule && !ps.closed) {
			p_err(&yylval.pos, "missing '}' at end of file");
			ps.closed = ps.justclosed = 1;
			return ('}');
		}
		if (ps.depth == 1)
			return (0);
		ps.depth--;
		return (LEX_AGAIN);
	}
	ps.tokfile = f;
	ps.tokstart = f->f_pos - 1;

	switch (c) {
	case '{':
	case '}':
		ps.portctx = 0;
		return (c);
	case '=':
		ps.portctx = 1;
		return (c);
	case '<':
	case '>':
		ps.portctx = 1;
		m = lmark(f);
		if (lgetc(f) == '=')
			return (c == '<' ? LE : GE);
		lreset(f, m);
		return (c);
	case '!':
		m = lmark(f);
		if (lgetc(f) == '=') {
			ps.portctx = 1;
			return (NE);
		}
		lreset(f, m);
		break;
	case '"':
		return (lquoted(f));
	case '-':
		if (ps.portctx)
			return (c);
		break;
	}
	f->f_pos--;	/* c was not a newline, so the line is right */
	return (lword(f));
}

int
yylex(void)
{
	struct file	*f;
	size_t		 i, n = 0;
	int		 tok;

	ps.justclosed = 0;
	while ((tok = lex()) == LEX_AGAIN)
		;
	ps.lasttok = tok;
	if (tok != 0 && (f = ps.tokfile) != NULL) {
		for (i = ps.tokstart; i < f->f_pos &&
		    n < sizeof(ps.lasttext) - 1; i++)
			ps.lasttext[n++] = (unsigned char)f->f_buf[i] < 0x20 ?
			    ' ' : f->f_buf[i];
	}
	ps.lasttext[n] = '\0';
	return (tok);
}

/*
 * Settings.
 */

static unsigned int
p_where(void)
{
	if (!ps.inrule)
		return (KW_GLOBAL);
	return (ps.rule.r_type == RULE_CLIENT ? KW_CRULE : KW_SRULE);
}

/*
 * Is the keyword allowed here, and for the first time?  A deprecated
 * alias is replaced by its keyword, with a warning.
 */
static int
opt_begin(const struct pos *pos, const struct keyword **kwp)
{
	const struct keyword	*kw = *kwp;
	const char		*new, *where_s;
	unsigned int		 where = p_where();
	uint64_t		*seen;

	if (kw->k_new != NULL) {
		new = kw->k_new;
		if (kw->k_id == ID_METHOD && where == KW_CRULE)
			new = "clientmethod";
		p_warn(pos, "keyword '%s' is deprecated, use '%s'",
		    kw->k_name, new);
		if ((kw = keyword_find(new)) == NULL)
			fatalx("%s: no keyword %s", __func__, new);
		*kwp = kw;
	}
	if ((kw->k_where & where) == 0) {
		if (where == KW_GLOBAL)
			where_s = "outside a rule";
		else if (where == KW_CRULE)
			where_s = "in a client rule";
		else
			where_s = "in a socks rule";
		p_err(pos, "keyword '%s' is %s %s", kw->k_name,
		    (kw->k_dante & where) ? "not supported" : "not valid",
		    where_s);
		return (-1);
	}
	if (where == KW_GLOBAL && ps.rules_begun) {
		p_err(pos, "keyword '%s' must come before the rules",
		    kw->k_name);
		return (-1);
	}
	seen = ps.inrule ? &ps.rs.rs_seen : &ps.gseen;
	if ((kw->k_where & KW_REPEAT) == 0 && (*seen & BIT(kw->k_id))) {
		p_err(pos, "duplicate keyword '%s'", kw->k_name);
		return (-1);
	}
	*seen |= BIT(kw->k_id);
	if (ps.inrule)
		ps.rs.rs_pos[kw->k_id] = *pos;
	return (0);
}

/* Numeric IPv4 or IPv6 address (with %scope) for internal/external. */
static int
p_sockaddr(const char *s, in_port_t port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct addrinfo	 hints, *res;
	struct sockaddr_in6 *sin6;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(s, NULL, &hints, &res) != 0)
		return (-1);
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		return (-1);
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6) {
		sin6 = (struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			return (-2);
		sin6->sin6_port = htons(port);
	} else
		return (-1);
	return (0);
}

static void
conf_internal(const struct pos *pos, const char *s,
    const struct portspec *pspec)
{
	struct sockd_conf	*conf = ps.conf;
	struct listenaddr	*la;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 i, port = SOCKD_PORT, rv;

	if (pspec->ps_bad)
		return;
	if (pspec->ps_op == PORT_EQ)
		port = pspec->ps_port1;
	else if (pspec->ps_op != PORT_ANY) {
		p_err(pos, "internal: the port must be given as 'port = N'");
		return;
	}
	if (port == 0) {
		p_err(pos, "internal: port 0 is not valid");
		return;
	}
	if ((rv = p_sockaddr(s, port, &ss, &len)) != 0) {
		if (rv == -2)
			p_err(pos, "internal: IPv4-mapped address '%s' is not "
			    "supported, use the IPv4 address", s);
		else if (strlen(s) < IF_NAMESIZE && if_nametoindex(s) != 0)
			p_err(pos, "internal: interface '%s' is not "
			    "supported, give its address", s);
		else
			p_err(pos, "internal: '%s' is not an IP address", s);
		return;
	}
	for (i = 0; i < conf->sc_nlisten; i++) {
		la = &conf->sc_listen[i];
		if (la->la_sslen == len && memcmp(&la->la_ss, &ss, len) == 0) {
			p_err(pos, "internal: duplicate address '%s'", s);
			return;
		}
	}
	if (conf->sc_nlisten == SOCKD_MAXLISTEN) {
		p_err(pos, "internal: too many addresses (at most %d)",
		    SOCKD_MAXLISTEN);
		return;
	}
	la = &conf->sc_listen[conf->sc_nlisten++];
	la->la_ss = ss;
	la->la_sslen = len;
}

static void
conf_external(const struct pos *pos, const char *s)
{
	struct sockd_conf	*conf = ps.conf;
	struct extaddr		 ea, *e;
	int			 i, rv;

	memset(&ea, 0, sizeof(ea));
	if ((rv = p_sockaddr(s, 0, &ea.ea_ss, &ea.ea_sslen)) == -2) {
		p_err(pos, "external: IPv4-mapped address '%s' is not "
		    "supported, use the IPv4 address", s);
		return;
	} else if (rv == -1) {
		if (strlen(s) >= IF_NAMESIZE || if_nametoindex(s) == 0) {
			p_err(pos, "external: '%s' is neither an IP address "
			    "nor an interface", s);
			return;
		}
		ea.ea_isif = 1;
		(void)strlcpy(ea.ea_ifname, s, sizeof(ea.ea_ifname));
	}
	for (i = 0; i < conf->sc_nexternal; i++) {
		e = &conf->sc_external[i];
		if (e->ea_isif == ea.ea_isif && (ea.ea_isif ?
		    strcmp(e->ea_ifname, ea.ea_ifname) == 0 :
		    (e->ea_sslen == ea.ea_sslen &&
		    memcmp(&e->ea_ss, &ea.ea_ss, ea.ea_sslen) == 0))) {
			p_err(pos, "external: duplicate address '%s'", s);
			return;
		}
	}
	if (conf->sc_nexternal == SOCKD_MAXEXTERNAL) {
		p_err(pos, "external: too many addresses (at most %d)",
		    SOCKD_MAXEXTERNAL);
		return;
	}
	conf->sc_external[conf->sc_nexternal++] = ea;
}

static const char *
method_name(int m)
{
	switch (m) {
	case METHOD_NONE:
		return ("none");
	case METHOD_GSSAPI:
		return ("gssapi");
	default:
		return ("?");
	}
}

static int
method_in(const struct methodlist *ml, int m)
{
	int	 i;

	for (i = 0; i < ml->ml_n; i++)
		if (ml->ml_m[i] == m)
			return (1);
	return (0);
}

/* One method of a socksmethod: or clientmethod: list, or -1. */
static int
p_method(const struct pos *pos, const char *kwname, const char *s)
{
	size_t	 i;
	int	 client = strcmp(kwname, "clientmethod") == 0;

	if (strcmp(s, "none") == 0)
		return (METHOD_NONE);
	if (strcmp(s, "gssapi") == 0 && !client)
		return (METHOD_GSSAPI);
	if (strcmp(s, "gssapi") == 0 || strcmp(s, "username") == 0 ||
	    strcmp(s, "bsdauth") == 0 || strcmp(s, "pam.username") == 0) {
		if (client) {
			p_err(pos, "method '%s' is not valid for "
			    "clientmethod", s);
			return (-1);
		}
	}
	for (i = 0; i < nitems(dante_methods); i++)
		if (strcmp(s, dante_methods[i]) == 0) {
			p_err(pos, "method '%s' is not supported", s);
			return (-1);
		}
	p_err(pos, "unknown method '%s'", s);
	return (-1);
}

static void
conf_methods(const struct pos *pos, const struct keyword *kw,
    const struct strlist *sl)
{
	struct sockd_conf	*conf = ps.conf;
	struct methodlist	 ml, *dst;
	size_t			 i;
	int			 m, client = kw->k_id == ID_CLIENTMETHOD;

	memset(&ml, 0, sizeof(ml));
	for (i = 0; i < sl->sl_n; i++) {
		if ((m = p_method(pos, kw->k_name, sl->sl_v[i])) == -1)
			continue;
		if (method_in(&ml, m)) {
			p_err(pos, "duplicate method '%s'", sl->sl_v[i]);
			continue;
		}
		if (ml.ml_n == METHODLIST_MAX)
			fatalx("%s: too many methods", __func__);
		ml.ml_m[ml.ml_n++] = m;
	}
	if (ps.inrule)
		dst = client ? &ps.rule.r_clientmethods : &ps.rule.r_methods;
	else
		dst = client ? &conf->sc_clientmethods :
		    &conf->sc_socksmethods;
	*dst = ml;

	/* A method the server never offers can never be the session's. */
	if (!ps.inrule || client || conf->sc_socksmethods.ml_n == 0)
		return;
	for (i = 0; i < ml.ml_n; i++)
		if (!method_in(&conf->sc_socksmethods, ml.ml_m[i]))
			p_warn(pos, "method '%s' is not in the global "
			    "socksmethod list", method_name(ml.ml_m[i]));
}

static void
conf_user(const struct pos *pos, const struct keyword *kw, const char *s)
{
	struct sockd_conf	*conf = ps.conf;
	char			*dst;

	switch (kw->k_id) {
	case ID_USER_PRIV:
		dst = conf->sc_user_priv;
		break;
	case ID_USER_UNPRIV:
		dst = conf->sc_user_unpriv;
		break;
	default:
		dst = conf->sc_user_auth;
		break;
	}
	if (strlen(s) >= SOCKD_USERNAME_MAX) {
		p_err(pos, "%s: user name '%s' is too long", kw->k_name, s);
		return;
	}
	if (getpwnam(s) == NULL) {
		p_err(pos, "%s: unknown user '%s'", kw->k_name, s);
		return;
	}
	(void)strlcpy(dst, s, SOCKD_USERNAME_MAX);
}

static void
conf_logoutput(const struct pos *pos, const struct strlist *sl)
{
	struct sockd_conf	*conf = ps.conf;
	const char		*s, *fac;
	size_t			 i, j;
	int			 facility;

	/* The first logoutput replaces the default. */
	if (!ps.logseen) {
		conf->sc_logto = 0;
		ps.logseen = 1;
	}
	for (i = 0; i < sl->sl_n; i++) {
		s = sl->sl_v[i];
		if (strcmp(s, "syslog") == 0 ||
		    strncmp(s, "syslog/", 7) == 0) {
			facility = LOG_DAEMON;
			if (s[6] == '/') {
				fac = s + 7;
				for (j = 0; j < nitems(facilities); j++)
					if (strcmp(fac, facilities[j].name) ==
					    0)
						break;
				if (j == nitems(facilities)) {
					p_err(pos, "logoutput: unknown syslog "
					    "facility '%s'", fac);
					continue;
				}
				facility = facilities[j].facility;
			}
			if ((conf->sc_logto & LOGTO_SYSLOG) &&
			    conf->sc_syslog_facility != facility) {
				p_err(pos, "logoutput: only one syslog "
				    "facility can be used");
				continue;
			}
			conf->sc_logto |= LOGTO_SYSLOG;
			conf->sc_syslog_facility = facility;
		} else if (strcmp(s, "stderr") == 0)
			conf->sc_logto |= LOGTO_STDERR;
		else if (strcmp(s, "stdout") == 0)
			p_err(pos, "logoutput 'stdout' is not supported, "
			    "use stderr");
		else if (s[0] == '/') {
			if ((conf->sc_logto & LOGTO_FILE) &&
			    strcmp(conf->sc_logfile, s) != 0) {
				p_err(pos, "logoutput: only one log file can "
				    "be used");
				continue;
			}
			if (strlcpy(conf->sc_logfile, s,
			    sizeof(conf->sc_logfile)) >=
			    sizeof(conf->sc_logfile)) {
				p_err(pos, "logoutput: path too long");
				continue;
			}
			conf->sc_logto |= LOGTO_FILE;
		} else
			p_err(pos, "logoutput: '%s' is not syslog, stderr or "
			    "an absolute path", s);
	}
}

static void
conf_number(const struct pos *pos, const struct keyword *kw, const char *s)
{
	struct sockd_conf	*conf = ps.conf;
	const char		*errstr;
	long long		 max, n;

	max = kw->k_id == ID_DEBUG ? 9 : 365 * 24 * 3600;
	n = strtonum(s, 0, max, &errstr);
	if (errstr != NULL) {
		p_err(pos, "%s: '%s' is %s", kw->k_name, s, errstr);
		return;
	}
	switch (kw->k_id) {
	case ID_DEBUG:
		conf->sc_debug = n;
		break;
	case ID_TIMEOUT_NEGOTIATE:
		conf->sc_timeout_negotiate = n;
		break;
	case ID_TIMEOUT_IO:
		conf->sc_timeout_io = n;
		break;
	default:
		conf->sc_timeout_connect = n;
		break;
	}
}

static struct gssconf *
p_gssconf(unsigned int set)
{
	if (!ps.inrule)
		return (&ps.conf->sc_gss);
	ps.rule.r_gss_set |= set;
	return (&ps.rule.r_gss);
}

/* gssapi.keytab: a path, "FILE:" optional; no other keytab type. */
static void
p_keytab(const struct pos *pos, const char *s)
{
	struct gssconf	*gc;
	const char	*colon, *slash;

	if (strncmp(s, "FILE:", 5) == 0)
		s += 5;
	colon = strchr(s, ':');
	slash = strchr(s, '/');
	if (colon != NULL && (slash == NULL || colon < slash)) {
		p_err(pos, "gssapi.keytab: only FILE: keytabs are supported");
		return;
	}
	if (s[0] != '/') {
		p_err(pos, "gssapi.keytab: '%s' is not an absolute path", s);
		return;
	}
	if (strlen(s) >= sizeof(gc->gc_keytab)) {
		p_err(pos, "gssapi.keytab: path too long");
		return;
	}
	gc = p_gssconf(GC_SET_KEYTAB);
	(void)strlcpy(gc->gc_keytab, s, sizeof(gc->gc_keytab));
}

static void
conf_gss(const struct pos *pos, const struct keyword *kw, const char *s)
{
	struct gssconf	*gc;

	switch (kw->k_id) {
	case ID_GSS_SERVICE:
		if (strlen(s) >= sizeof(gc->gc_servicename)) {
			p_err(pos, "gssapi.servicename: name too long");
			return;
		}
		gc = p_gssconf(GC_SET_SERVICE);
		(void)strlcpy(gc->gc_servicename, s,
		    sizeof(gc->gc_servicename));
		break;
	case ID_GSS_KEYTAB:
		p_keytab(pos, s);
		break;
	default:
		if (strcmp(s, "yes") != 0 && strcmp(s, "no") != 0) {
			p_err(pos, "%s: '%s' is not yes or no", kw->k_name, s);
			return;
		}
		/*
		 * authd loads each keytab once, so which keys it holds is
		 * one decision for the whole server, not a rule's.
		 */
		if (ps.inrule) {
			p_err(pos, "%s is a global setting, not a rule's",
			    kw->k_name);
			return;
		}
		gc = p_gssconf(GC_SET_WEAK);
		gc->gc_weak = strcmp(s, "yes") == 0;
		break;
	}
}

static void
conf_enctype(const struct pos *pos, const struct strlist *sl)
{
	unsigned int	 levels = 0;
	const char	*s;
	size_t		 i;

	for (i = 0; i < sl->sl_n; i++) {
		s = sl->sl_v[i];
		if (strcmp(s, "clear") == 0)
			levels |= GSS_LEVEL_BIT(GSS_LEVEL_CLEAR);
		else if (strcmp(s, "integrity") == 0)
			levels |= GSS_LEVEL_BIT(GSS_LEVEL_INTEGRITY);
		else if (strcmp(s, "confidentiality") == 0)
			levels |= GSS_LEVEL_BIT(GSS_LEVEL_CONF);
		else if (strcmp(s, "any") == 0)
			levels |= GSS_LEVEL_BIT(GSS_LEVEL_CLEAR) |
			    GSS_LEVEL_BIT(GSS_LEVEL_INTEGRITY) |
			    GSS_LEVEL_BIT(GSS_LEVEL_CONF);
		else if (strcmp(s, "permessage") == 0)
			p_err(pos, "gssapi.enctype 'permessage' is not "
			    "supported: RFC 1961 level 3 is not implemented");
		else
			p_err(pos, "unknown gssapi.enctype '%s'", s);
	}
	if (levels != 0)
		p_gssconf(GC_SET_LEVELS)->gc_levels = levels;
}

static void
conf_clientcompat(const struct pos *pos, const struct strlist *sl)
{
	size_t	 i;

	for (i = 0; i < sl->sl_n; i++) {
		if (strcmp(sl->sl_v[i], "necgssapi") == 0)
			p_gssconf(GC_SET_NEC)->gc_nec = 1;
		else
			p_err(pos, "unknown clientcompatibility '%s'",
			    sl->sl_v[i]);
	}
}

/* A host or domain name as Dante takes it: ".example.com" and "." too. */
static int
p_domain(const char *s, char *out, size_t outlen)
{
	const char	*last;
	size_t		 len = strlen(s);

	if (strcmp(s, ".") == 0) {
		(void)strlcpy(out, s, outlen);
		return (0);
	}
	if (len > 1 && s[len - 1] == '.')
		len--;
	if (len == 0 || len >= outlen || len > 253)
		return (-1);
	if (strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") < len)
		return (-1);
	memcpy(out, s, len);
	out[len] = '\0';
	if (strstr(out, "..") != NULL || out[len - 1] == '.' ||
	    (out[0] == '.' && out[1] == '\0'))
		return (-1);
	/* "10.1.2" is a mistyped address, not a name: no TLD is numeric. */
	last = strrchr(out, '.');
	last = last == NULL ? out : last + 1;
	if (strspn(last, "0123456789") == strlen(last))
		return (-1);
	return (0);
}

/* An IPv4 netmask in dotted form, as Dante allows, to a prefix length. */
static int
p_netmask4(const char *s)
{
	struct in_addr	 in;
	uint32_t	 m;
	int		 len = 0;

	if (inet_pton(AF_INET, s, &in) != 1)
		return (-1);
	m = ntohl(in.s_addr);
	while (m & 0x80000000U) {
		len++;
		m <<= 1;
	}
	return (m == 0 ? len : -1);
}

static void
p_applymask(uint8_t *a, int alen, int prefixlen)
{
	int	 i;

	for (i = 0; i < alen; i++) {
		if (prefixlen >= 8)
			prefixlen -= 8;
		else {
			a[i] &= (uint8_t)(0xff << (8 - prefixlen));
			prefixlen = 0;
		}
	}
}

static int
p_addrmatch(const struct pos *pos, const char *kwname, const char *s,
    struct addrmatch *am)
{
	char		 buf[SOCKD_NAME_MAX], *mask, a[INET6_ADDRSTRLEN];
	const char	*errstr;
	uint8_t		 orig[16];
	int		 alen, max;

	memset(am, 0, sizeof(*am));
	if (strcmp(s, "0/0") == 0) {
		am->am_type = ADDR_ANY;
		return (0);
	}
	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf)) {
		p_err(pos, "%s: address too long", kwname);
		return (-1);
	}
	if ((mask = strchr(buf, '/')) != NULL)
		*mask++ = '\0';

	if (inet_pton(AF_INET, buf, &am->am_addr.v4) == 1) {
		am->am_family = AF_INET;
		alen = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, &am->am_addr.v6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&am->am_addr.v6)) {
			p_err(pos, "%s: IPv4-mapped address '%s' is not "
			    "supported, use the IPv4 address", kwname, s);
			return (-1);
		}
		am->am_family = AF_INET6;
		alen = 16;
		max = 128;
	} else if (strcmp(buf, "0") == 0 && mask != NULL) {
		p_err(pos, "%s: bad address '%s', the any address is 0/0",
		    kwname, s);
		return (-1);
	} else if (mask == NULL && p_domain(buf, am->am_domain,
	    sizeof(am->am_domain)) == 0) {
		am->am_type = ADDR_DOMAIN;
		return (0);
	} else {
		p_err(pos, "%s: bad address '%s'", kwname, s);
		return (-1);
	}

	am->am_type = ADDR_NET;
	am->am_prefixlen = max;
	if (mask != NULL) {
		if (alen == 4 && strchr(mask, '.') != NULL) {
			am->am_prefixlen = p_netmask4(mask);
			errstr = am->am_prefixlen == -1 ? "bad" : NULL;
		} else
			am->am_prefixlen = strtonum(mask, 0, max, &errstr);
		if (errstr != NULL) {
			p_err(pos, "%s: bad prefix length in '%s'", kwname, s);
			return (-1);
		}
	}
	memcpy(orig, &am->am_addr, alen);
	p_applymask((uint8_t *)&am->am_addr, alen, am->am_prefixlen);
	if (memcmp(orig, &am->am_addr, alen) != 0) {
		(void)inet_ntop(am->am_family, &am->am_addr, a, sizeof(a));
		p_warn(pos, "%s: '%s' has host bits set, using %s/%d",
		    kwname, s, a, am->am_prefixlen);
	}
	return (0);
}

static void
conf_addr(const struct pos *pos, const struct keyword *kw, const char *s,
    const struct portspec *pspec)
{
	struct addrmatch	*am;

	am = kw->k_id == ID_FROM ? &ps.rule.r_from : &ps.rule.r_to;
	if (p_addrmatch(pos, kw->k_name, s, am) == -1)
		return;
	/* Nothing resolves a client's address to a name. */
	if (am->am_type == ADDR_DOMAIN &&
	    (kw->k_id == ID_FROM || ps.rule.r_type == RULE_CLIENT)) {
		p_err(pos, "%s: '%s': names are valid only in the to: of "
		    "socks rules", kw->k_name, s);
		return;
	}
	if (pspec->ps_bad)
		return;
	am->am_portop = pspec->ps_op;
	am->am_port1 = pspec->ps_port1;
	am->am_port2 = pspec->ps_port2;
}

static int64_t
p_service(const struct pos *pos, const char *s)
{
	size_t	 i;

	for (i = 0; i < nitems(services); i++)
		if (strcmp(s, services[i].name) == 0)
			return (services[i].port);
	p_err(pos, "unknown port name '%s'", s);
	return (-2);
}

static int
p_portnum(const struct pos *pos, int64_t n)
{
	if (n == -2)
		return (-1);	/* a port name, already reported */
	if (n < 0 || n > 65535) {
		if (n < 0)
			p_err(pos, "port number out of range");
		else
			p_err(pos, "port %lld out of range", (long long)n);
		return (-1);
	}
	return (0);
}

static void
p_port(const struct pos *pos, struct portspec *pspec, enum portop op,
    int64_t p1, int64_t p2)
{
	memset(pspec, 0, sizeof(*pspec));
	pspec->ps_op = op;
	if (p_portnum(pos, p1) == -1 ||
	    (op == PORT_RANGE && p_portnum(pos, p2) == -1)) {
		pspec->ps_bad = 1;
		return;
	}
	if (op == PORT_RANGE && p1 > p2) {
		p_err(pos, "bad port range %lld - %lld", (long long)p1,
		    (long long)p2);
		pspec->ps_bad = 1;
		return;
	}
	pspec->ps_port1 = p1;
	pspec->ps_port2 = op == PORT_RANGE ? p2 : 0;
}

static void
conf_command(const struct pos *pos, const struct strlist *sl)
{
	static const struct {
		const char	*name;
		unsigned int	 cmd;
	} cmds[] = {
		{ "bind", CMD_BIND },
		{ "bindreply", CMD_BINDREPLY },
		{ "connect", CMD_CONNECT },
		{ "udpassociate", CMD_UDPASSOCIATE },
		{ "udpreply", CMD_UDPREPLY },
	};
	size_t	 i, j;

	for (i = 0; i < sl->sl_n; i++) {
		for (j = 0; j < nitems(cmds); j++)
			if (strcmp(sl->sl_v[i], cmds[j].name) == 0)
				break;
		if (j == nitems(cmds))
			p_err(pos, "unknown command '%s'", sl->sl_v[i]);
		else
			ps.rule.r_commands |= cmds[j].cmd;
	}
}

static void
conf_log(const struct pos *pos, const struct strlist *sl)
{
	static const struct {
		const char	*name;
		unsigned int	 flag;
	} logs[] = {
		{ "connect", RLOG_CONNECT },
		{ "data", RLOG_DATA },
		{ "disconnect", RLOG_DISCONNECT },
		{ "error", RLOG_ERROR },
		{ "ioop", RLOG_IOOPERATION },
		{ "iooperation", RLOG_IOOPERATION },
	};
	size_t	 i, j;

	for (i = 0; i < sl->sl_n; i++) {
		for (j = 0; j < nitems(logs); j++)
			if (strcmp(sl->sl_v[i], logs[j].name) == 0)
				break;
		if (j < nitems(logs))
			ps.rule.r_log |= logs[j].flag;
		else if (strcmp(sl->sl_v[i], "tcpinfo") == 0)
			p_err(pos, "log 'tcpinfo' is not supported");
		else
			p_err(pos, "unknown log '%s'", sl->sl_v[i]);
	}
}

static void
conf_protocol(const struct pos *pos, const struct strlist *sl)
{
	size_t	 i;

	for (i = 0; i < sl->sl_n; i++) {
		if (strcmp(sl->sl_v[i], "tcp") == 0)
			ps.rs.rs_protos |= PROTO_TCP;
		else if (strcmp(sl->sl_v[i], "udp") == 0)
			ps.rs.rs_protos |= PROTO_UDP;
		else
			p_err(pos, "unknown protocol '%s'", sl->sl_v[i]);
	}
}

/* Principals, matched exactly: name@REALM. */
static void
conf_users(const struct pos *pos, const struct strlist *sl)
{
	struct rule	*r = &ps.rule;
	const char	*s, *at;
	size_t		 i, len, off;

	for (i = 0; i < sl->sl_n; i++) {
		s = sl->sl_v[i];
		len = strlen(s);
		at = strrchr(s, '@');
		if (at == NULL || at == s || at[1] == '\0') {
			p_err(pos, "user: '%s' is not a principal "
			    "(name@REALM)", s);
			continue;
		}
		if (len >= SOCKD_NAME_MAX) {
			p_err(pos, "user: '%s' is too long", s);
			continue;
		}
		for (off = 0; off < r->r_userslen;
		    off += strlen(r->r_users + off) + 1)
			if (strcmp(r->r_users + off, s) == 0)
				break;
		if (off < r->r_userslen)
			continue;
		if (r->r_userslen + len + 1 > sizeof(r->r_users)) {
			p_err(pos, "user: list too long (at most %zu bytes)",
			    sizeof(r->r_users));
			return;
		}
		memcpy(r->r_users + r->r_userslen, s, len + 1);
		r->r_userslen += len + 1;
	}
}

/*
 * Rules.
 */

static void
p_rule_begin(const struct pos *pos, enum ruletype type,
    enum ruleaction action)
{
	const char	*base;

	memset(&ps.rule, 0, sizeof(ps.rule));
	memset(&ps.rs, 0, sizeof(ps.rs));
	ps.inrule = 1;
	ps.closed = 0;
	ps.rules_begun = 1;
	ps.rs.rs_start = *pos;
	ps.rule.r_type = type;
	ps.rule.r_action = action;
	ps.rule.r_line = pos->line;
	base = strrchr(pos->file, '/');
	/* Only a log line shows r_file: a long name may be cut. */
	(void)strlcpy(ps.rule.r_file, base ? base + 1 : pos->file,
	    sizeof(ps.rule.r_file));
	ps.rule.r_gss.gc_keytab_id = -1;
}

/* command: and protocol: together: the commands of those protocols. */
static void
p_rule_commands(struct rule *r)
{
	unsigned int	 allowed = 0;

	if (ps.rs.rs_protos == 0)
		return;
	if (ps.rs.rs_protos & PROTO_TCP)
		allowed |= CMD_CONNECT | CMD_BIND | CMD_BINDREPLY;
	if (ps.rs.rs_protos & PROTO_UDP)
		allowed |= CMD_UDPASSOCIATE | CMD_UDPREPLY;
	if (r->r_commands == 0)
		r->r_commands = allowed == CMD_ALL ? 0 : allowed;
	else if (r->r_commands & ~allowed)
		p_err(&ps.rs.rs_pos[ID_PROTOCOL], "protocol: conflicts with "
		    "command:");
}

static void
p_rule_check(struct rule *r)
{
	static const enum kwid	 authkw[] = {
		ID_SOCKSMETHOD, ID_USER, ID_GSS_ENCTYPE
	};
	const struct methodlist	*ml;
	size_t			 i;

	if ((ps.rs.rs_seen & BIT(ID_FROM)) == 0 ||
	    (ps.rs.rs_seen & BIT(ID_TO)) == 0)
		p_err(&ps.rs.rs_start, "rule needs both from: and to:");
	if (r->r_type != RULE_SOCKS)
		return;
	p_rule_commands(r);

	/* Replies come from hosts that never authenticated to us. */
	if (r->r_commands != 0 &&
	    (r->r_commands & ~(CMD_BINDREPLY | CMD_UDPREPLY)) == 0) {
		for (i = 0; i < nitems(authkw); i++)
			if (ps.rs.rs_seen & BIT(authkw[i]))
				p_err(&ps.rs.rs_pos[authkw[i]], "keyword '%s' "
				    "cannot apply to a rule for bindreply or "
				    "udpreply only", authkw[i] == ID_USER ?
				    "user" : authkw[i] == ID_SOCKSMETHOD ?
				    "socksmethod" : "gssapi.enctype");
		return;
	}
	ml = r->r_methods.ml_n > 0 ? &r->r_methods :
	    &ps.conf->sc_socksmethods;
	if (r->r_userslen > 0 && !method_in(ml, METHOD_GSSAPI))
		p_err(&ps.rs.rs_pos[ID_USER], "keyword 'user' needs "
		    "socksmethod gssapi");
}

static void
p_rule_end(void)
{
	struct rule	*rules;
	int		 cap;

	ps.inrule = 0;
	p_rule_check(&ps.rule);
	if (ps.nrules == SOCKD_MAXRULES) {
		p_err(&ps.rs.rs_start, "too many rules (at most %d)",
		    SOCKD_MAXRULES);
		return;
	}
	if (ps.nrules == ps.rulecap) {
		cap = ps.rulecap ? ps.rulecap * 2 : 16;
		if ((rules = reallocarray(ps.rules, cap,
		    sizeof(*rules))) == NULL)
			fatal("%s", __func__);
		ps.rules = rules;
		ps.rulecap = cap;
	}
	ps.rules[ps.nrules++] = ps.rule;
}

/*
 * After the last line.
 */

static int
p_keytab_id(const char *path)
{
	struct sockd_conf	*conf = ps.conf;
	int			 i;

	for (i = 0; i < conf->sc_nkeytabs; i++)
		if (strcmp(conf->sc_keytabs[i], path) == 0)
			return (i);
	if (conf->sc_nkeytabs == SOCKD_MAXKEYTABS)
		return (-1);
	(void)strlcpy(conf->sc_keytabs[i], path, sizeof(conf->sc_keytabs[i]));
	return (conf->sc_nkeytabs++);
}

static void
p_inherit(struct rule *r, const struct gssconf *g)
{
	struct gssconf	*gc = &r->r_gss;

	if ((r->r_gss_set & GC_SET_SERVICE) == 0)
		(void)strlcpy(gc->gc_servicename, g->gc_servicename,
		    sizeof(gc->gc_servicename));
	if ((r->r_gss_set & GC_SET_KEYTAB) == 0)
		(void)strlcpy(gc->gc_keytab, g->gc_keytab,
		    sizeof(gc->gc_keytab));
	if ((r->r_gss_set & GC_SET_LEVELS) == 0)
		gc->gc_levels = g->gc_levels;
	if ((r->r_gss_set & GC_SET_NEC) == 0)
		gc->gc_nec = g->gc_nec;
	if ((r->r_gss_set & GC_SET_WEAK) == 0)
		gc->gc_weak = g->gc_weak;
}

static void
p_finish(void)
{
	struct sockd_conf	*conf = ps.conf;
	struct rule		*r;
	struct pos		 pos;
	int			 i, nclient = 0, nsocks = 0, gss;

	if ((ps.lexseen & BIT(ID_INTERNAL)) == 0) {
		log_warnx("%s: no internal address", ps.mainfile);
		ps.errors++;
	}
	if ((ps.lexseen & (BIT(ID_SOCKSMETHOD) | BIT(ID_METHOD))) == 0) {
		log_warnx("%s: no socksmethod", ps.mainfile);
		ps.errors++;
	}
	if (ps.errors)
		return;

	if (conf->sc_user_auth[0] == '\0')
		(void)strlcpy(conf->sc_user_auth, conf->sc_user_unpriv,
		    sizeof(conf->sc_user_auth));

	/* Dante numbers client and socks rules each from 1. */
	for (i = 0; i < ps.nrules; i++) {
		r = &ps.rules[i];
		r->r_num = r->r_type == RULE_CLIENT ? ++nclient : ++nsocks;
		p_inherit(r, &conf->sc_gss);
	}
	if (nclient == 0)
		log_warnx("%s: warning: no client rules, every client will "
		    "be blocked", ps.mainfile);
	if (nsocks == 0)
		log_warnx("%s: warning: no socks rules, every request will "
		    "be blocked", ps.mainfile);

	/* Without gssapi no keytab is needed, so none is read. */
	gss = method_in(&conf->sc_socksmethods, METHOD_GSSAPI);
	conf->sc_gss.gc_keytab_id = gss ? p_keytab_id(conf->sc_gss.gc_keytab) :
	    -1;
	for (i = 0; i < ps.nrules; i++) {
		r = &ps.rules[i];
		if (!gss) {
			r->r_gss.gc_keytab_id = -1;
			continue;
		}
		r->r_gss.gc_keytab_id = p_keytab_id(r->r_gss.gc_keytab);
		if (r->r_gss.gc_keytab_id == -1) {
			pos.file = r->r_file;
			pos.line = r->r_line;
			p_err(&pos, "too many keytabs (at most %d)",
			    SOCKD_MAXKEYTABS);
			return;
		}
	}
	conf->sc_nrules = ps.nrules;
}

void
parse_defaults(struct sockd_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->sc_clientmethods.ml_n = 1;
	conf->sc_clientmethods.ml_m[0] = METHOD_NONE;
	(void)strlcpy(conf->sc_user_priv, "root", sizeof(conf->sc_user_priv));
	(void)strlcpy(conf->sc_user_unpriv, SOCKD_USER,
	    sizeof(conf->sc_user_unpriv));
	conf->sc_logto = LOGTO_SYSLOG;
	conf->sc_syslog_facility = LOG_DAEMON;
	conf->sc_timeout_negotiate = 30;
	conf->sc_timeout_io = 0;
	conf->sc_timeout_connect = 30;
	(void)strlcpy(conf->sc_gss.gc_servicename, SOCKD_SERVICE,
	    sizeof(conf->sc_gss.gc_servicename));
	(void)strlcpy(conf->sc_gss.gc_keytab, SOCKD_KEYTAB,
	    sizeof(conf->sc_gss.gc_keytab));
	conf->sc_gss.gc_keytab_id = -1;
	conf->sc_gss.gc_levels = GSS_LEVELS_DEFAULT;
	conf->sc_nrelays = 0;
}

int
parse_config(const char *filename, struct sockd_conf *conf,
    struct rule **rulesp, int *nrulesp)
{
	*rulesp = NULL;
	*nrulesp = 0;
	memset(&ps, 0, sizeof(ps));
	parse_defaults(conf);
	ps.conf = conf;
	ps.mainfile = filename;

	if (p_pushfile(filename, NULL) == 0) {
		if (yyparse() != 0 && ps.errors == 0)
			ps.errors++;
		p_finish();
	}
	if (ps.errors) {
		free(ps.rules);
		p_freeall();
		memset(&ps, 0, sizeof(ps));
		return (-1);
	}
	*rulesp = ps.rules;
	*nrulesp = ps.nrules;
	p_freeall();
	memset(&ps, 0, sizeof(ps));
	return (0);
}

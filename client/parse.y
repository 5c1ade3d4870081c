/*
 * socks.conf: the routes of Dante's client configuration, so that a
 * Dante user brings the file along.
 *
 *	route {
 *		from: 0.0.0.0/0 to: .example.com port = 443
 *		via: proxy.example.com port = 1080
 *		proxyprotocol: socks_v5
 *		method: gssapi
 *		clientcompatibility: necgssapi
 *	}
 *
 * What is read: route { } with from:, to: (an address/prefix or
 * /netmask, 0/0, a name, or .domain for a domain and every name below
 * it, each with an optional port = N, port OP N or port N - M), via:
 * ADDR port = N, proxyprotocol: (socks_v5 must be among them), method:
 * or socksmethod: (gssapi or none), clientcompatibility: necgssapi,
 * gssapi.servicename:, gssapi.enctype: (the levels this route accepts:
 * the highest is asked for, the lowest is the minimum), command: and
 * protocol:; and the global debug:, logoutput: and resolveprotocol:.
 * Settings the command line gives (-l, -m, -s, -N, -n, -t) are the
 * defaults of every route.  Routes are tried in order and the first
 * that matches is taken.
 *
 * Where this differs from Dante, on purpose: via: direct is an error (a
 * bridge that went around the proxy would defeat it); names are never
 * resolved here, so a route by address does not match a destination
 * given as a name, except 0.0.0.0/0, which matches everything; a keyword
 * Dante has and gsocks does not is an error naming it, file and line,
 * and the whole file is refused.
 */

%{
#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "gsocks.h"

#define P_WORDMAX	1024
#define P_LISTMAX	16

/* What a route { } has said so far. */
#define RS_FROM		0x01
#define RS_TO		0x02
#define RS_VIA		0x04
#define RS_METHOD	0x08
#define RS_PROTO	0x10
#define RS_ENCTYPE	0x20
#define RS_SERVICE	0x40
#define RS_COMMAND	0x80
#define RS_NEC		0x100

static struct {
	FILE		*f;
	const char	*name;
	int		 lineno;
	int		 errors;
} file;

static const struct gs_conf	*p_defconf;
static int			 p_family;
static struct gs_route		*p_routes;
static struct gs_route		**p_tail = &p_routes;
static struct gs_route		*p_cur;
static unsigned int		 p_set;
static unsigned int		 p_cmds, p_protos;
static struct gs_raddr		 p_addr;
static char			 p_addrstr[NI_MAXHOST];	/* as written */
static struct gs_hostport	 p_via;
static char			*p_list[P_LISTMAX];
static size_t			 p_nlist;
static int			 p_line;	/* of the item in hand */

int		 yylex(void);
int		 yyparse(void);
int		 yyerror(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static void	 p_err(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static void	 p_warn(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static int	 lookup(const char *, int *);
static void	 list_reset(void);
static void	 list_add(char *);
static int	 list_has(const char *);
static void	 p_debug(const char *);
static void	 p_logoutput(void);
static void	 p_resolveprotocol(const char *);
static void	 p_route_begin(void);
static void	 p_route_end(void);
static void	 p_addrword(char *);
static void	 p_port(const char *, char *, char *, char *);
static void	 p_route_addr(struct gs_raddr *, unsigned int, const char *);
static void	 p_route_via(char *);
static void	 p_proxyprotocol(void);
static void	 p_method(void);
static void	 p_clientcompat(void);
static void	 p_service(char *);
static void	 p_enctype(void);
static void	 p_command(void);
static void	 p_protocol(void);
static void	 p_once(unsigned int, const char *);

typedef struct {
	union {
		char	*string;
		const char *op;
	} v;
	int lineno;
} YYSTYPE;
%}

%token	ROUTE PORT DIRECT
%token	FROM TO VIA PROXYPROTOCOL SOCKSMETHOD CLIENTCOMPAT SERVICENAME
%token	ENCTYPE COMMAND PROTOCOL DEBUG LOGOUTPUT RESOLVEPROTOCOL
%token	NE LE GE
%token	<v.string>	STRING
%type	<v.op>		portop

%%

grammar		: /* empty */
		| grammar global
		| grammar route
		;

global		: DEBUG STRING			{
			p_line = $<lineno>1;
			p_debug($2);
			free($2);
		}
		| LOGOUTPUT strings		{
			p_line = $<lineno>1;
			p_logoutput();
		}
		| RESOLVEPROTOCOL STRING	{
			p_line = $<lineno>1;
			p_resolveprotocol($2);
			free($2);
		}
		;

route		: ROUTE '{'			{
			p_line = $<lineno>1;
			p_route_begin();
		}
		    ritems '}'			{
			p_line = $<lineno>1;
			p_route_end();
		}
		;

ritems		: /* empty */
		| ritems ritem
		;

ritem		: FROM addrspec		{
			p_line = $<lineno>1;
			p_route_addr(&p_cur->r_from, RS_FROM, "from:");
		}
		| TO addrspec		{
			p_line = $<lineno>1;
			p_route_addr(&p_cur->r_to, RS_TO, "to:");
		}
		| VIA addrspec		{
			p_line = $<lineno>1;
			p_route_via(NULL);
		}
		| VIA DIRECT		{
			p_line = $<lineno>1;
			p_route_via("direct");
		}
		| PROXYPROTOCOL strings	{
			p_line = $<lineno>1;
			p_proxyprotocol();
		}
		| SOCKSMETHOD strings	{
			p_line = $<lineno>1;
			p_method();
		}
		| CLIENTCOMPAT strings	{
			p_line = $<lineno>1;
			p_clientcompat();
		}
		| SERVICENAME STRING	{
			p_line = $<lineno>1;
			p_service($2);
		}
		| ENCTYPE strings	{
			p_line = $<lineno>1;
			p_enctype();
		}
		| COMMAND strings	{
			p_line = $<lineno>1;
			p_command();
		}
		| PROTOCOL strings	{
			p_line = $<lineno>1;
			p_protocol();
		}
		;

addrspec	: STRING		{
			p_line = $<lineno>1;
			p_addrword($1);
		} portspec
		;

portspec	: /* empty */
		| PORT portop STRING	{
			p_line = $<lineno>1;
			p_port($2, $3, NULL, NULL);
		}
		| PORT STRING		{
			p_line = $<lineno>1;
			p_port(NULL, $2, NULL, NULL);
		}
		| PORT STRING STRING	{
			p_line = $<lineno>1;
			p_port(NULL, $2, $3, NULL);
		}
		| PORT STRING STRING STRING {
			p_line = $<lineno>1;
			p_port(NULL, $2, $3, $4);
		}
		;

portop		: '='			{ $$ = "="; }
		| NE			{ $$ = "!="; }
		| LE			{ $$ = "<="; }
		| GE			{ $$ = ">="; }
		| '<'			{ $$ = "<"; }
		| '>'			{ $$ = ">"; }
		;

strings		: STRING		{ list_reset(); list_add($1); }
		| strings STRING	{ list_add($2); }
		;

%%

struct keyword {
	const char	*k_name;
	int		 k_token;	/* 0: Dante's, not supported */
};

/* Syntax errors and the lexer's: the line of the token in hand. */
int
yyerror(const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	file.errors++;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s", file.name, yylval.lineno, msg);
	return (0);
}

/*
 * What is wrong with an item: the line of its keyword, which the parser
 * may have read past by the time the item is complete.
 */
static void
p_err(const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	file.errors++;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s", file.name, p_line, msg);
}

static void
p_warn(const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: warning: %s", file.name, p_line, msg);
}

static int
kw_cmp(const void *k, const void *e)
{
	return (strcmp(k, ((const struct keyword *)e)->k_name));
}

/*
 * Keywords end in ':' and are looked up without it.  Returns 1 with
 * *token set for a keyword of ours, 0 for one of Dante's client keywords
 * that gsocks does not have, -1 for an unknown word.
 */
static int
lookup(const char *s, int *token)
{
	/* Sorted: bsearch() reads it. */
	static const struct keyword keywords[] = {
		{ "badroute.expire",		0 },
		{ "bounce",			0 },
		{ "clientcompatibility",	CLIENTCOMPAT },
		{ "command",			COMMAND },
		{ "debug",			DEBUG },
		{ "errorlog",			0 },
		{ "extension",			0 },
		{ "from",			FROM },
		{ "gssapi.enctype",		ENCTYPE },
		{ "gssapi.keytab",		0 },
		{ "gssapi.servicename",		SERVICENAME },
		{ "logoutput",			LOGOUTPUT },
		{ "method",			SOCKSMETHOD },
		{ "protocol",			PROTOCOL },
		{ "proxyprotocol",		PROXYPROTOCOL },
		{ "redirect",			0 },
		{ "resolveprotocol",		RESOLVEPROTOCOL },
		{ "route.maxfail",		0 },
		{ "socksmethod",		SOCKSMETHOD },
		{ "timeout.connect",		0 },
		{ "timeout.io",			0 },
		{ "timeout.negotiate",		0 },
		{ "to",				TO },
		{ "via",			VIA }
	};
	const struct keyword	*k;

	k = bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kw_cmp);
	if (k == NULL)
		return (-1);
	*token = k->k_token;
	return (k->k_token != 0);
}

/* stdio promises one byte of pushback; a keyword's value needs more. */
static unsigned char	p_back[P_WORDMAX];
static size_t		p_nback;

static int
lgetc(void)
{
	if (p_nback > 0)
		return (p_back[--p_nback]);
	return (getc(file.f));
}

static void
lungetc(int c)
{
	if (c != EOF && p_nback < sizeof(p_back))
		p_back[p_nback++] = c;
}

/* Skip what a bad keyword says, up to the end of its line or its '}'. */
static void
lskip(void)
{
	int	c;

	while ((c = lgetc()) != EOF && c != '\n' && c != '}')
		;
	lungetc(c);
}

static int
wordchar(int c)
{
	return (isalnum(c) || c == '.' || c == '_' || c == '-' || c == '/' ||
	    c == ':' || c == '*');
}

/* A word with a ':' after its first part is a keyword and its value. */
static int
lword(char *buf)
{
	size_t	 n, i;
	char	*colon;
	int	 token = 0, r;

	if ((colon = strchr(buf, ':')) == NULL) {
		if (strcmp(buf, "route") == 0)
			return (ROUTE);
		if (strcmp(buf, "port") == 0)
			return (PORT);
		if (strcmp(buf, "direct") == 0)
			return (DIRECT);
		return (-1);
	}
	n = colon - buf;
	for (i = 0; i < n; i++)
		if (!isalpha((unsigned char)buf[i]) && buf[i] != '.' &&
		    buf[i] != '_')
			return (-1);
	if (n == 0)
		return (-1);
	*colon = '\0';
	if ((r = lookup(buf, &token)) == -1 && colon[1] != '\0') {
		*colon = ':';
		return (-1);	/* an IPv6 address such as dead::1 */
	}
	/* Whatever follows the ':' is read again as the value. */
	for (i = strlen(colon + 1); i > 0; i--)
		lungetc((unsigned char)colon[i]);
	if (r == 1)
		return (token);
	yyerror("%s '%s:'", r == 0 ? "gsocks does not support" :
	    "unknown keyword", buf);
	lskip();
	return (0);
}

static int
lquoted(char *buf)
{
	size_t	n = 0;
	int	c;

	while ((c = lgetc()) != '"') {
		if (c == EOF || c == '\n') {
			yyerror("unterminated quoted string");
			return (-1);
		}
		if (n + 1 >= P_WORDMAX) {
			yyerror("string too long");
			return (-1);
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	return (0);
}

int
yylex(void)
{
	char	buf[P_WORDMAX];
	size_t	n;
	int	c, next, token;

top:
	while ((c = lgetc()) == ' ' || c == '\t' || c == '\r' || c == '\n')
		if (c == '\n')
			file.lineno++;
	if (c == '#') {
		while ((c = lgetc()) != '\n' && c != EOF)
			;
		lungetc(c);
		goto top;
	}
	yylval.lineno = file.lineno;
	if (c == EOF)
		return (0);
	switch (c) {
	case '!':
	case '<':
	case '>':
		if ((next = lgetc()) == '=')
			return (c == '!' ? NE : c == '<' ? LE : GE);
		lungetc(next);
		return (c);
	case '{':
	case '}':
	case '=':
		return (c);
	case '"':
		if (lquoted(buf) == -1)
			return (c);
		if ((yylval.v.string = strdup(buf)) == NULL)
			fatal("%s", __func__);
		return (STRING);
	}
	if (!wordchar(c))
		return (c);		/* a syntax error for the grammar */
	n = 0;
	do {
		if (n + 1 >= sizeof(buf)) {
			yyerror("word too long");
			return (c);
		}
		buf[n++] = c;
	} while ((c = lgetc()) != EOF && wordchar(c));
	lungetc(c);
	buf[n] = '\0';
	if ((token = lword(buf)) == 0)
		goto top;
	if (token > 0)
		return (token);
	if ((yylval.v.string = strdup(buf)) == NULL)
		fatal("%s", __func__);
	return (STRING);
}

static void
list_reset(void)
{
	size_t	i;

	for (i = 0; i < p_nlist; i++)
		free(p_list[i]);
	p_nlist = 0;
}

static void
list_add(char *s)
{
	if (p_nlist == P_LISTMAX) {
		yyerror("more than %d values", P_LISTMAX);
		free(s);
		return;
	}
	p_list[p_nlist++] = s;
}

static int
list_has(const char *s)
{
	size_t	i;

	for (i = 0; i < p_nlist; i++)
		if (strcasecmp(p_list[i], s) == 0)
			return (1);
	return (0);
}

static void
p_debug(const char *s)
{
	const char	*err = NULL;
	long long	 n;

	n = strtonum(s, 0, 9, &err);
	if (err != NULL) {
		p_err("debug: %s: a number from 0 to 9", s);
		return;
	}
	if (n > 0)
		log_setverbose(2);
}

static void
p_logoutput(void)
{
	if (p_nlist != 1 || strcmp(p_list[0], "stderr") != 0)
		p_warn("gsocks logs to standard error only; logoutput: does "
		    "not change that");
	list_reset();
}

static void
p_resolveprotocol(const char *s)
{
	if (strcmp(s, "fake") != 0 && strcmp(s, "udp") != 0 &&
	    strcmp(s, "tcp") != 0) {
		p_err("resolveprotocol: %s: fake, udp or tcp", s);
		return;
	}
	if (strcmp(s, "fake") != 0)
		p_warn("resolveprotocol: %s: gsocks never resolves "
		    "destination names; the proxy does", s);
}

static void
p_once(unsigned int bit, const char *what)
{
	if (p_set & bit)
		p_err("%s given twice in one route", what);
	p_set |= bit;
}

static void
p_route_begin(void)
{
	if ((p_cur = calloc(1, sizeof(*p_cur))) == NULL)
		fatal("%s", __func__);
	(void)snprintf(p_cur->r_where, sizeof(p_cur->r_where), "%s:%d",
	    file.name, yylval.lineno);
	p_cur->r_conf = *p_defconf;
	p_cur->r_conf.gc_proxyai = NULL;
	p_cur->r_cmds = GS_RCMD_ALL;
	p_set = 0;
	p_cmds = p_protos = GS_RCMD_ALL;
}

static void
p_route_end(void)
{
	struct gs_conf	*conf = &p_cur->r_conf;

	p_cur->r_cmds = p_cmds & p_protos;
	if (p_cur->r_cmds == 0)
		p_err("the route's command: and protocol: leave no command");
	if (!(p_set & RS_VIA))
		p_err("a route without via:");
	else if (file.errors == 0 &&
	    conf_resolve(conf, &p_via, p_family) != 0)
		p_err("cannot resolve the proxy of this route");
	if (p_set & RS_SERVICE)
		conf->gc_service = p_cur->r_service;
	if (conf->gc_nomethod && (p_set & (RS_NEC | RS_ENCTYPE | RS_SERVICE)))
		p_err("method none takes no GSS-API settings");
	*p_tail = p_cur;
	p_tail = &p_cur->r_next;
	p_cur = NULL;
}

static void
p_addrword(char *s)
{
	const char	*err = NULL;

	if (route_addr(&p_addr, s, &err) == -1)
		p_err("%s: %s", s, err);
	(void)strlcpy(p_addrstr, s, sizeof(p_addrstr));
	free(s);
}

static void
p_port(const char *op, char *p1, char *p2, char *p3)
{
	const char	*err = NULL;
	int		 r;

	if (p3 != NULL) {
		if (strcmp(p2, "-") != 0) {
			p_err("port %s %s %s: expected port N - M", p1, p2,
			    p3);
			r = 0;
		} else
			r = route_port(&p_addr, NULL, p1, p3, &err);
	} else if (p2 != NULL)
		r = route_port(&p_addr, p1, p2, NULL, &err);
	else
		r = route_port(&p_addr, op, p1, NULL, &err);
	if (r == -1)
		p_err("port: %s", err);
	free(p1);
	free(p2);
	free(p3);
}

static void
p_route_addr(struct gs_raddr *ra, unsigned int bit, const char *what)
{
	p_once(bit, what);
	*ra = p_addr;
}

static void
p_route_via(char *direct)
{
	p_once(RS_VIA, "via:");
	if (direct != NULL) {
		p_err("via: direct is not supported: gsocks reaches every "
		    "destination through a proxy");
		return;
	}
	if (p_addr.ra_kind == GS_RA_DOMAIN || p_addr.ra_kind == GS_RA_ANY ||
	    strchr(p_addrstr, '/') != NULL) {
		p_err("via: %s: a proxy is one host", p_addrstr);
		return;
	}
	if (p_addr.ra_portop != GS_PORT_EQ || p_addr.ra_port == 0) {
		p_err("via: %s needs port = N", p_addrstr);
		return;
	}
	(void)strlcpy(p_via.hp_host, p_addrstr, sizeof(p_via.hp_host));
	p_via.hp_portnum = p_addr.ra_port;
	(void)snprintf(p_via.hp_port, sizeof(p_via.hp_port), "%u",
	    p_addr.ra_port);
	p_via.hp_bracketed = p_addr.ra_kind == GS_RA_INET6;
}

static void
p_proxyprotocol(void)
{
	p_once(RS_PROTO, "proxyprotocol:");
	if (!list_has("socks_v5"))
		p_err("proxyprotocol: gsocks speaks socks_v5 only");
	else if (p_nlist > 1)
		p_warn("proxyprotocol: only socks_v5 is used");
	list_reset();
}

static void
p_method(void)
{
	struct gs_conf	*conf = &p_cur->r_conf;
	size_t		 i;

	p_once(RS_METHOD, "method:");
	for (i = 0; i < p_nlist; i++)
		if (strcmp(p_list[i], "gssapi") != 0 &&
		    strcmp(p_list[i], "none") != 0)
			p_warn("method %s is not supported: not offered",
			    p_list[i]);
	if (list_has("gssapi"))
		conf->gc_nomethod = 0;
	else if (list_has("none"))
		conf->gc_nomethod = 1;
	else
		p_err("method: gsocks offers gssapi or none");
	list_reset();
}

static void
p_clientcompat(void)
{
	p_once(RS_NEC, "clientcompatibility:");
	if (p_nlist != 1 || strcmp(p_list[0], "necgssapi") != 0)
		p_err("clientcompatibility: necgssapi is the only value");
	else {
		p_cur->r_conf.gc_nec = 1;
		p_warn("clientcompatibility: necgssapi: the protection level "
		    "is exchanged without protection (NEC's variant); someone "
		    "on the path can lower it");
	}
	list_reset();
}

static void
p_service(char *s)
{
	p_once(RS_SERVICE, "gssapi.servicename:");
	if (*s == '\0' || strlcpy(p_cur->r_service, s,
	    sizeof(p_cur->r_service)) >= sizeof(p_cur->r_service))
		p_err("gssapi.servicename: empty or too long");
	free(s);
}

static void
p_enctype(void)
{
	struct gs_conf	*conf = &p_cur->r_conf;
	size_t		 i;
	int		 l, lo = GS_LEVEL_CONF, hi = GS_LEVEL_CLEAR;

	p_once(RS_ENCTYPE, "gssapi.enctype:");
	for (i = 0; i < p_nlist; i++) {
		if (strcmp(p_list[i], "any") == 0) {
			lo = GS_LEVEL_CLEAR;
			hi = GS_LEVEL_CONF;
			continue;
		}
		if ((l = sec_levelbyname(p_list[i])) == -1) {
			p_err("gssapi.enctype: %s: clear, integrity, "
			    "confidentiality or any", p_list[i]);
			continue;
		}
		lo = l < lo ? l : lo;
		hi = l > hi ? l : hi;
	}
	conf->gc_level = hi;
	conf->gc_minlevel = lo;
	list_reset();
}

static void
p_command(void)
{
	size_t	i;

	p_once(RS_COMMAND, "command:");
	p_cmds = 0;
	for (i = 0; i < p_nlist; i++) {
		if (strcmp(p_list[i], "connect") == 0)
			p_cmds |= GS_RCMD_CONNECT;
		else if (strcmp(p_list[i], "bind") == 0 ||
		    strcmp(p_list[i], "bindreply") == 0)
			p_cmds |= GS_RCMD_BIND;
		else if (strcmp(p_list[i], "udpassociate") == 0 ||
		    strcmp(p_list[i], "udpreply") == 0)
			p_cmds |= GS_RCMD_UDP;
		else
			p_err("command: %s: connect, bind, bindreply, "
			    "udpassociate or udpreply", p_list[i]);
	}
	list_reset();
}

static void
p_protocol(void)
{
	size_t	i;

	p_protos = 0;
	for (i = 0; i < p_nlist; i++) {
		if (strcmp(p_list[i], "tcp") == 0)
			p_protos |= GS_RCMD_CONNECT | GS_RCMD_BIND;
		else if (strcmp(p_list[i], "udp") == 0)
			p_protos |= GS_RCMD_UDP;
		else
			p_err("protocol: %s: tcp or udp", p_list[i]);
	}
	list_reset();
}

/*
 * Read the routes of socks.conf; conf holds the command line's settings,
 * the defaults of every route.  NULL, with every problem logged, if the
 * file is not right.
 */
struct gs_route *
parse_config(const char *path, const struct gs_conf *conf, int family)
{
	struct gs_route	*r;

	if ((file.f = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return (NULL);
	}
	file.name = path;
	file.lineno = 1;
	file.errors = 0;
	p_nback = 0;
	p_line = 1;
	p_defconf = conf;
	p_family = family;
	p_routes = NULL;
	p_tail = &p_routes;
	if (yyparse() != 0 && file.errors == 0)
		file.errors++;
	list_reset();
	fclose(file.f);
	free(p_cur);
	p_cur = NULL;
	if (file.errors == 0 && p_routes == NULL) {
		log_warnx("%s: no route { }", path);
		file.errors++;
	}
	r = p_routes;
	/* The caller owns the routes now: config_free() frees them. */
	p_routes = NULL;
	p_tail = &p_routes;
	if (file.errors > 0) {
		config_free(r);
		return (NULL);
	}
	return (r);
}

/* The routes parse_config() returned, their proxies' addresses too. */
void
config_free(struct gs_route *routes)
{
	struct gs_route	*r;

	while ((r = routes) != NULL) {
		routes = r->r_next;
		if (r->r_conf.gc_proxyai != NULL)
			freeaddrinfo(r->r_conf.gc_proxyai);
		free(r);
	}
}

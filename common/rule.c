/*
 * Rule matching: Dante's "first match is best match" over the rules the
 * parser produced.  Nothing here allocates or logs, so every process
 * can call it from its event loop, sandboxed.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "rule.h"

/* An address reduced to what matching needs. */
struct rule_sa {
	int		 rs_family;
	const uint8_t	*rs_addr;
	in_port_t	 rs_port;	/* host byte order */
};

static int	 rule_sa_get(const struct sockaddr *, struct rule_sa *);
static int	 rule_prefix_match(const uint8_t *, const uint8_t *, int);
static int	 rule_port_match(const struct addrmatch *, in_port_t);
static int	 rule_name_match(const char *, const char *);
static int	 rule_user_match(const struct rule *, const char *);
static int	 rule_socks_auth_match(const struct rule *,
		    const struct rule_ctx *);

/*
 * An IPv4-mapped IPv6 address (a dual-stack socket's view of an IPv4
 * peer) is taken as the IPv4 address, so that an IPv4 block rule cannot
 * be passed by way of an IPv6 listener.
 */
static int
rule_sa_get(const struct sockaddr *sa, struct rule_sa *rs)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (sa == NULL)
		return (-1);
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		rs->rs_family = AF_INET;
		rs->rs_addr = (const uint8_t *)&sin->sin_addr;
		rs->rs_port = ntohs(sin->sin_port);
		return (0);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		rs->rs_port = ntohs(sin6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			rs->rs_family = AF_INET;
			rs->rs_addr = &sin6->sin6_addr.s6_addr[12];
		} else {
			rs->rs_family = AF_INET6;
			rs->rs_addr = sin6->sin6_addr.s6_addr;
		}
		return (0);
	default:
		return (-1);
	}
}

static int
rule_prefix_match(const uint8_t *a, const uint8_t *net, int prefixlen)
{
	int	 bytes = prefixlen / 8, bits = prefixlen % 8;
	uint8_t	 mask;

	if (bytes > 0 && memcmp(a, net, bytes) != 0)
		return (0);
	if (bits == 0)
		return (1);
	mask = (uint8_t)(0xff << (8 - bits));
	return ((a[bytes] & mask) == (net[bytes] & mask));
}

static int
rule_port_match(const struct addrmatch *am, in_port_t port)
{
	switch (am->am_portop) {
	case PORT_ANY:
		return (1);
	case PORT_EQ:
		return (port == am->am_port1);
	case PORT_NE:
		return (port != am->am_port1);
	case PORT_GE:
		return (port >= am->am_port1);
	case PORT_LE:
		return (port <= am->am_port1);
	case PORT_GT:
		return (port > am->am_port1);
	case PORT_LT:
		return (port < am->am_port1);
	case PORT_RANGE:
		return (port >= am->am_port1 && port <= am->am_port2);
	}
	/* An operator we do not know must not widen a rule. */
	return (0);
}

/*
 * ".example.com" matches example.com and every name below it; any other
 * name matches only itself; "." matches every name.  DNS names compare
 * without case, and a trailing root dot on the name is ignored so that
 * "host.example.com." cannot slip past a rule for "host.example.com".
 */
static int
rule_name_match(const char *pattern, const char *name)
{
	size_t	 plen, nlen;

	nlen = strlen(name);
	if (nlen > 1 && name[nlen - 1] == '.')
		nlen--;
	if (nlen == 0)
		return (0);
	if (strcmp(pattern, ".") == 0)
		return (1);
	if (pattern[0] != '.') {
		plen = strlen(pattern);
		return (plen == nlen && strncasecmp(pattern, name, nlen) == 0);
	}
	plen = strlen(pattern + 1);
	if (plen == nlen && strncasecmp(pattern + 1, name, nlen) == 0)
		return (1);
	plen++;
	return (nlen > plen &&
	    strncasecmp(pattern, name + nlen - plen, plen) == 0);
}

int
rule_addr_match(const struct addrmatch *am, const struct sockaddr *sa,
    const char *name)
{
	struct rule_sa	 rs;
	in_port_t	 port;

	if (name != NULL) {
		port = rule_sa_get(sa, &rs) == 0 ? rs.rs_port : 0;
		switch (am->am_type) {
		case ADDR_ANY:
			break;
		case ADDR_DOMAIN:
			if (!rule_name_match(am->am_domain, name))
				return (0);
			break;
		default:
			return (0);
		}
		return (rule_port_match(am, port));
	}

	if (rule_sa_get(sa, &rs) == -1)
		return (0);
	switch (am->am_type) {
	case ADDR_ANY:
		break;
	case ADDR_NET:
		if (am->am_family != rs.rs_family)
			return (0);
		if (!rule_prefix_match(rs.rs_addr,
		    (const uint8_t *)&am->am_addr, am->am_prefixlen))
			return (0);
		break;
	default:
		return (0);
	}
	return (rule_port_match(am, rs.rs_port));
}

const struct rule *
rule_match_client(const struct rule *rules, int n, const struct sockaddr *from,
    const struct sockaddr *to)
{
	int	 i;

	for (i = 0; rules != NULL && i < n; i++) {
		if (rules[i].r_type != RULE_CLIENT)
			continue;
		if (rule_addr_match(&rules[i].r_from, from, NULL) &&
		    rule_addr_match(&rules[i].r_to, to, NULL))
			return (&rules[i]);
	}
	return (NULL);
}

/* r_users holds the names of user: one after the other, NUL separated. */
static int
rule_user_match(const struct rule *r, const char *principal)
{
	size_t	 off, len;

	if (principal == NULL)
		return (0);
	for (off = 0; off < r->r_userslen && off < sizeof(r->r_users);
	    off += len + 1) {
		len = strnlen(r->r_users + off, sizeof(r->r_users) - off);
		if (len == sizeof(r->r_users) - off)
			break;
		if (strcmp(r->r_users + off, principal) == 0)
			return (1);
	}
	return (0);
}

static int
rule_socks_auth_match(const struct rule *r, const struct rule_ctx *ctx)
{
	/* Replies come from hosts that never authenticated to us. */
	if (ctx->rc_command == CMD_BINDREPLY ||
	    ctx->rc_command == CMD_UDPREPLY)
		return (1);
	if (r->r_methods.ml_n > 0 &&
	    !rule_method_allowed(&r->r_methods, ctx->rc_method))
		return (0);
	if (r->r_userslen > 0 && !rule_user_match(r, ctx->rc_principal))
		return (0);
	if (r->r_gss_set & GC_SET_LEVELS) {
		if (ctx->rc_level < 0 || ctx->rc_level > GSS_LEVEL_PERMESSAGE)
			return (0);
		if ((r->r_gss.gc_levels & GSS_LEVEL_BIT(ctx->rc_level)) == 0)
			return (0);
	}
	return (1);
}

const struct rule *
rule_match_socks(const struct rule *rules, int n, const struct rule_ctx *ctx)
{
	const struct rule	*r;
	int			 i;

	for (i = 0; rules != NULL && i < n; i++) {
		r = &rules[i];
		if (r->r_type != RULE_SOCKS)
			continue;
		if (r->r_commands != 0 &&
		    (r->r_commands & ctx->rc_command) == 0)
			continue;
		if (!rule_addr_match(&r->r_from, ctx->rc_from, NULL))
			continue;
		if (!rule_addr_match(&r->r_to, ctx->rc_to, ctx->rc_toname))
			continue;
		if (!rule_socks_auth_match(r, ctx))
			continue;
		return (r);
	}
	return (NULL);
}

int
rule_method_allowed(const struct methodlist *ml, int method)
{
	int	 i;

	if (method == METHOD_NOACCEPT)
		return (0);
	if (ml->ml_n == 0)
		return (1);
	for (i = 0; i < ml->ml_n && i < METHODLIST_MAX; i++)
		if (ml->ml_m[i] == method)
			return (1);
	return (0);
}

const char *
rule_str(const struct rule *r, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%s %s rule #%d (%s:%d)",
	    r->r_type == RULE_CLIENT ? "client" : "socks",
	    r->r_action == RULE_PASS ? "pass" : "block",
	    r->r_num, r->r_file, r->r_line);
	return (buf);
}

const char *
rule_addr_str(const struct addrmatch *am, char *buf, size_t len)
{
	char		 a[INET6_ADDRSTRLEN], port[32];
	const char	*op;

	switch (am->am_portop) {
	case PORT_EQ:
		op = "=";
		break;
	case PORT_NE:
		op = "!=";
		break;
	case PORT_GE:
		op = ">=";
		break;
	case PORT_LE:
		op = "<=";
		break;
	case PORT_GT:
		op = ">";
		break;
	case PORT_LT:
		op = "<";
		break;
	default:
		op = NULL;
		break;
	}
	port[0] = '\0';
	if (am->am_portop == PORT_RANGE)
		(void)snprintf(port, sizeof(port), " port %u - %u",
		    am->am_port1, am->am_port2);
	else if (op != NULL)
		(void)snprintf(port, sizeof(port), " port %s %u", op,
		    am->am_port1);

	switch (am->am_type) {
	case ADDR_NET:
		if (inet_ntop(am->am_family, &am->am_addr, a, sizeof(a)) ==
		    NULL)
			(void)strlcpy(a, "?", sizeof(a));
		(void)snprintf(buf, len, "%s/%d%s", a, am->am_prefixlen,
		    port);
		break;
	case ADDR_DOMAIN:
		(void)snprintf(buf, len, "%s%s", am->am_domain, port);
		break;
	default:
		(void)snprintf(buf, len, "0/0%s", port);
		break;
	}
	return (buf);
}

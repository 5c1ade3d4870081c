/*
 * Routes of Dante's client socks.conf: which proxy a request goes
 * through.  parse.y builds them; here are their addresses, ports and
 * matching.  Nothing here resolves a name: a destination given as a
 * name matches a route by that name, or a route for every address.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "gsocks.h"

static int	route_prefix(const char *, int, void *, const char **);
static int	route_addr_match(const struct gs_raddr *,
		    const struct socks_addr *);
static int	route_port_match(const struct gs_raddr *, in_port_t);

static unsigned int
route_cmdbit(uint8_t cmd)
{
	switch (cmd) {
	case SOCKS_CMD_CONNECT:
		return (GS_RCMD_CONNECT);
	case SOCKS_CMD_BIND:
		return (GS_RCMD_BIND);
	case SOCKS_CMD_UDPASSOCIATE:
		return (GS_RCMD_UDP);
	default:
		return (0);
	}
}

/* A mask of bits prefix-length ones, or a netmask in address form. */
static int
route_prefix(const char *s, int af, void *mask, const char **err)
{
	uint8_t		*m = mask;
	const char	*e = NULL;
	size_t		 size = af == AF_INET ? 4 : 16, i;
	long long	 bits;

	if (strchr(s, af == AF_INET ? '.' : ':') != NULL) {
		if (inet_pton(af, s, mask) != 1) {
			*err = "bad netmask";
			return (-1);
		}
		return (0);
	}
	bits = strtonum(s, 0, size * 8, &e);
	if (e != NULL) {
		*err = af == AF_INET ? "the prefix length is 0 to 32" :
		    "the prefix length is 0 to 128";
		return (-1);
	}
	memset(m, 0, size);
	for (i = 0; i < size && bits > 0; i++, bits -= 8)
		m[i] = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
	return (0);
}

/*
 * ADDR of from: or to:  an address with /prefix or /netmask (no prefix
 * is one host), 0/0, a host name, or .domain for a domain and the names
 * below it.
 */
int
route_addr(struct gs_raddr *ra, const char *arg, const char **err)
{
	char		 buf[256], *slash;
	const char	*plen = NULL;
	size_t		 i, size;
	uint8_t		*a, *m;
	int		 af;

	memset(ra, 0, sizeof(*ra));
	if (strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf)) {
		*err = "address too long";
		return (-1);
	}
	if (strcmp(buf, "0/0") == 0) {
		ra->ra_kind = GS_RA_ANY;
		return (0);
	}
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		plen = slash + 1;
	}
	if (inet_pton(AF_INET, buf, &ra->ra_addr.v4) == 1) {
		af = AF_INET;
		ra->ra_kind = GS_RA_INET;
		size = 4;
	} else if (inet_pton(AF_INET6, buf, &ra->ra_addr.v6) == 1) {
		af = AF_INET6;
		ra->ra_kind = GS_RA_INET6;
		size = 16;
	} else {
		if (plen != NULL || buf[0] == '\0' || strspn(buf,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-_") != strlen(buf)) {
			*err = "not an address/prefix or a host name";
			return (-1);
		}
		ra->ra_kind = buf[0] == '.' ? GS_RA_DOMAIN : GS_RA_NAME;
		(void)strlcpy(ra->ra_name, buf[0] == '.' ? buf + 1 : buf,
		    sizeof(ra->ra_name));
		return (0);
	}
	if (route_prefix(plen != NULL ? plen : (af == AF_INET ? "32" :
	    "128"), af, &ra->ra_mask, err) == -1)
		return (-1);
	a = (uint8_t *)&ra->ra_addr;
	m = (uint8_t *)&ra->ra_mask;
	for (i = 0; i < size; i++)
		a[i] &= m[i];
	/* Dante's 0.0.0.0/0 is every destination, names included. */
	for (i = 0; i < size && m[i] == 0; i++)
		;
	if (i == size)
		ra->ra_kind = GS_RA_ANY;
	return (0);
}

static int
route_portnum(const char *s, in_port_t *port, const char **err)
{
	const char	*e = NULL;

	*port = strtonum(s, 0, 65535, &e);
	if (e != NULL) {
		*err = "a port is a number from 0 to 65535";
		return (-1);
	}
	return (0);
}

/*
 * port OP N (OP one of = != >= <= > < or eq neq ge le gt lt), port N,
 * and the ranges port N - M and port N-M.  op is NULL when there was
 * none, last NULL unless there were three words.
 */
int
route_port(struct gs_raddr *ra, const char *op, const char *p1,
    const char *p2, const char **err)
{
	static const struct {
		const char	*sym, *word;
		enum gs_portop	 op;
	} ops[] = {
		{ "=", "eq", GS_PORT_EQ }, { "!=", "neq", GS_PORT_NE },
		{ ">=", "ge", GS_PORT_GE }, { "<=", "le", GS_PORT_LE },
		{ ">", "gt", GS_PORT_GT }, { "<", "lt", GS_PORT_LT }
	};
	char	 buf[32], *dash;
	size_t	 i;

	if (op != NULL) {
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (strcmp(op, ops[i].sym) == 0 ||
			    strcasecmp(op, ops[i].word) == 0)
				break;
		if (i == sizeof(ops) / sizeof(ops[0])) {
			*err = "unknown port operator";
			return (-1);
		}
		ra->ra_portop = ops[i].op;
		return (route_portnum(p1, &ra->ra_port, err));
	}
	if (p2 != NULL) {
		ra->ra_portop = GS_PORT_RANGE;
		if (route_portnum(p1, &ra->ra_port, err) == -1 ||
		    route_portnum(p2, &ra->ra_port2, err) == -1)
			return (-1);
	} else if (strlcpy(buf, p1, sizeof(buf)) < sizeof(buf) &&
	    (dash = strchr(buf, '-')) != NULL) {
		*dash = '\0';
		ra->ra_portop = GS_PORT_RANGE;
		if (route_portnum(buf, &ra->ra_port, err) == -1 ||
		    route_portnum(dash + 1, &ra->ra_port2, err) == -1)
			return (-1);
	} else {
		ra->ra_portop = GS_PORT_EQ;
		return (route_portnum(p1, &ra->ra_port, err));
	}
	if (ra->ra_port > ra->ra_port2) {
		*err = "the range's first port is above its last";
		return (-1);
	}
	return (0);
}

static int
route_port_match(const struct gs_raddr *ra, in_port_t port)
{
	switch (ra->ra_portop) {
	case GS_PORT_ANY:
		return (1);
	case GS_PORT_EQ:
		return (port == ra->ra_port);
	case GS_PORT_NE:
		return (port != ra->ra_port);
	case GS_PORT_GE:
		return (port >= ra->ra_port);
	case GS_PORT_LE:
		return (port <= ra->ra_port);
	case GS_PORT_GT:
		return (port > ra->ra_port);
	case GS_PORT_LT:
		return (port < ra->ra_port);
	case GS_PORT_RANGE:
		return (port >= ra->ra_port && port <= ra->ra_port2);
	}
	return (0);
}

static int
route_masked(const void *addr, const void *net, const void *mask,
    size_t size)
{
	const uint8_t	*a = addr, *n = net, *m = mask;
	size_t		 i;

	for (i = 0; i < size; i++)
		if ((a[i] & m[i]) != n[i])
			return (0);
	return (1);
}

static int
route_addr_match(const struct gs_raddr *ra, const struct socks_addr *sa)
{
	size_t	nl, dl;

	if (!route_port_match(ra, sa->sa_port))
		return (0);
	switch (ra->ra_kind) {
	case GS_RA_ANY:
		return (1);
	case GS_RA_INET:
		return (sa->sa_atyp == SOCKS_ATYP_IPV4 &&
		    route_masked(&sa->sa_ip.v4, &ra->ra_addr.v4,
		    &ra->ra_mask.v4, 4));
	case GS_RA_INET6:
		return (sa->sa_atyp == SOCKS_ATYP_IPV6 &&
		    route_masked(&sa->sa_ip.v6, &ra->ra_addr.v6,
		    &ra->ra_mask.v6, 16));
	case GS_RA_NAME:
		return (sa->sa_atyp == SOCKS_ATYP_DOMAIN &&
		    strcasecmp(sa->sa_domain, ra->ra_name) == 0);
	case GS_RA_DOMAIN:
		if (sa->sa_atyp != SOCKS_ATYP_DOMAIN)
			return (0);
		if (strcasecmp(sa->sa_domain, ra->ra_name) == 0)
			return (1);
		nl = strlen(ra->ra_name);
		dl = strlen(sa->sa_domain);
		return (dl > nl && sa->sa_domain[dl - nl - 1] == '.' &&
		    strcasecmp(sa->sa_domain + dl - nl, ra->ra_name) == 0);
	}
	return (0);
}

/* The first route for this client, command and destination, or NULL. */
const struct gs_route *
route_match(const struct gs_route *r, const struct sockaddr *from,
    uint8_t cmd, const struct socks_addr *to)
{
	struct socks_addr	src;
	unsigned int		bit = route_cmdbit(cmd);

	if (socks_addr_from_sockaddr(&src, from) == -1)
		return (NULL);
	for (; r != NULL; r = r->r_next)
		if ((r->r_cmds & bit) != 0 &&
		    route_addr_match(&r->r_from, &src) &&
		    route_addr_match(&r->r_to, to))
			return (r);
	return (NULL);
}

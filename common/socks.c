/*
 * RFC 1928 messages: the greeting, the method reply, the request, the
 * reply and the UDP header.  Only encoding and decoding: no I/O, no
 * policy and no allocation, so that the front end, the relays and the
 * client share one parser.
 *
 * The decoders are strict.  A VER other than 5 and a non-zero RSV are
 * malformed even though a liberal reader could skip them: RFC 1928 fixes
 * both, every implementation we talk to sends them right, and a byte
 * that is wrong here means the peer is not speaking SOCKS 5 at all.
 * Decoders report -1 as soon as the bytes read so far can never become a
 * valid message, and 0 while a valid prefix is still incomplete.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <vis.h>

#include "socks.h"

#ifdef VIS_NOLOCALE
#define SOCKS_VISFLAGS	(VIS_OCTAL | VIS_CSTYLE | VIS_WHITE | VIS_DQ | \
			    VIS_NOLOCALE)
#else
#define SOCKS_VISFLAGS	(VIS_OCTAL | VIS_CSTYLE | VIS_WHITE | VIS_DQ)
#endif

static ssize_t	socks_addr_decode(const uint8_t *, size_t, uint8_t,
		    struct socks_addr *, uint8_t *);
static size_t	socks_addr_encode(uint8_t *, size_t,
		    const struct socks_addr *);
static void	socks_setrep(uint8_t *, uint8_t);

static void
socks_setrep(uint8_t *rep, uint8_t code)
{
	if (rep != NULL)
		*rep = code;
}

ssize_t
socks_greeting_parse(const uint8_t *buf, size_t len, uint8_t *methods,
    size_t *nmethods)
{
	size_t	n;

	if (len < 1)
		return (0);
	if (buf[0] != SOCKS_VERSION)
		return (-1);
	if (len < 2)
		return (0);
	n = buf[1];
	/* A client that offers no method cannot be answered with one. */
	if (n == 0)
		return (-1);
	if (len < 2 + n)
		return (0);
	memcpy(methods, buf + 2, n);
	*nmethods = n;
	return (2 + n);
}

size_t
socks_greeting_encode(uint8_t *out, size_t outlen, const uint8_t *methods,
    size_t nmethods)
{
	if (nmethods == 0 || nmethods > 255 || outlen < 2 + nmethods)
		return (0);
	out[0] = SOCKS_VERSION;
	out[1] = nmethods;
	memcpy(out + 2, methods, nmethods);
	return (2 + nmethods);
}

ssize_t
socks_method_parse(const uint8_t *buf, size_t len, uint8_t *method)
{
	if (len < 1)
		return (0);
	if (buf[0] != SOCKS_VERSION)
		return (-1);
	if (len < 2)
		return (0);
	*method = buf[1];
	return (2);
}

size_t
socks_method_encode(uint8_t *out, size_t outlen, uint8_t method)
{
	if (outlen < 2)
		return (0);
	out[0] = SOCKS_VERSION;
	out[1] = method;
	return (2);
}

/*
 * DST.ADDR DST.PORT for an address type read just before p.  Returns the
 * number of bytes they take, 0 if more are needed, -1 with *rep set if
 * they are malformed.
 */
static ssize_t
socks_addr_decode(const uint8_t *p, size_t len, uint8_t atyp,
    struct socks_addr *addr, uint8_t *rep)
{
	size_t	alen, skip = 0;

	switch (atyp) {
	case SOCKS_ATYP_IPV4:
		alen = sizeof(addr->sa_ip.v4);
		break;
	case SOCKS_ATYP_IPV6:
		alen = sizeof(addr->sa_ip.v6);
		break;
	case SOCKS_ATYP_DOMAIN:
		if (len < 1)
			return (0);
		alen = p[0];
		skip = 1;
		/* An empty name names nothing; treat it as garbage. */
		if (alen == 0) {
			socks_setrep(rep, SOCKS_REP_FAILURE);
			return (-1);
		}
		break;
	default:
		socks_setrep(rep, SOCKS_REP_ATYPUNSUPP);
		return (-1);
	}
	if (len < skip + alen + 2)
		return (0);

	memset(addr, 0, sizeof(*addr));
	addr->sa_atyp = atyp;
	if (atyp == SOCKS_ATYP_DOMAIN) {
		/* A NUL would let the name mean two things. */
		if (memchr(p + skip, '\0', alen) != NULL) {
			socks_setrep(rep, SOCKS_REP_FAILURE);
			return (-1);
		}
		memcpy(addr->sa_domain, p + skip, alen);
		addr->sa_domain[alen] = '\0';
	} else
		memcpy(&addr->sa_ip, p, alen);
	addr->sa_port = (p[skip + alen] << 8) | p[skip + alen + 1];
	return (skip + alen + 2);
}

static size_t
socks_addr_encode(uint8_t *out, size_t outlen, const struct socks_addr *addr)
{
	size_t	alen, skip = 0;

	switch (addr->sa_atyp) {
	case SOCKS_ATYP_IPV4:
		alen = sizeof(addr->sa_ip.v4);
		break;
	case SOCKS_ATYP_IPV6:
		alen = sizeof(addr->sa_ip.v6);
		break;
	case SOCKS_ATYP_DOMAIN:
		alen = strnlen(addr->sa_domain, sizeof(addr->sa_domain));
		if (alen == 0 || alen > 255)
			return (0);
		skip = 1;
		break;
	default:
		return (0);
	}
	if (outlen < 1 + skip + alen + 2)
		return (0);
	out[0] = addr->sa_atyp;
	if (skip) {
		out[1] = alen;
		memcpy(out + 2, addr->sa_domain, alen);
	} else
		memcpy(out + 1, &addr->sa_ip, alen);
	out[1 + skip + alen] = addr->sa_port >> 8;
	out[1 + skip + alen + 1] = addr->sa_port & 0xff;
	return (1 + skip + alen + 2);
}

ssize_t
socks_request_parse(const uint8_t *buf, size_t len, struct socks_req *req,
    uint8_t *rep)
{
	ssize_t	n;

	if (len < 1)
		return (0);
	if (buf[0] != SOCKS_VERSION) {
		socks_setrep(rep, SOCKS_REP_FAILURE);
		return (-1);
	}
	if (len < 3)
		return (0);
	if (buf[2] != 0) {
		socks_setrep(rep, SOCKS_REP_FAILURE);
		return (-1);
	}
	if (len < 4)
		return (0);
	if ((n = socks_addr_decode(buf + 4, len - 4, buf[3], &req->sr_addr,
	    rep)) <= 0)
		return (n);
	req->sr_cmd = buf[1];

	/*
	 * Only now, with the whole request read, can the server answer an
	 * unknown command without losing the framing of the stream.
	 */
	switch (req->sr_cmd) {
	case SOCKS_CMD_CONNECT:
	case SOCKS_CMD_BIND:
	case SOCKS_CMD_UDPASSOCIATE:
		break;
	default:
		socks_setrep(rep, SOCKS_REP_CMDUNSUPP);
		return (-1);
	}
	socks_setrep(rep, SOCKS_REP_SUCCEEDED);
	return (4 + n);
}

size_t
socks_request_encode(uint8_t *out, size_t outlen, uint8_t cmd,
    const struct socks_addr *addr)
{
	size_t	n;

	if (outlen < 3)
		return (0);
	if ((n = socks_addr_encode(out + 3, outlen - 3, addr)) == 0)
		return (0);
	out[0] = SOCKS_VERSION;
	out[1] = cmd;
	out[2] = 0;
	return (3 + n);
}

ssize_t
socks_reply_parse(const uint8_t *buf, size_t len, uint8_t *rep,
    struct socks_addr *addr)
{
	ssize_t	n;

	if (len < 1)
		return (0);
	if (buf[0] != SOCKS_VERSION)
		return (-1);
	if (len < 3)
		return (0);
	if (buf[2] != 0)
		return (-1);
	if (len < 4)
		return (0);
	if ((n = socks_addr_decode(buf + 4, len - 4, buf[3], addr, NULL)) <= 0)
		return (n);
	*rep = buf[1];
	return (4 + n);
}

size_t
socks_reply_encode(uint8_t *out, size_t outlen, uint8_t rep,
    const struct socks_addr *addr)
{
	struct socks_addr	 any;
	size_t			 n;

	/* A failure reply has no address worth sending: 0.0.0.0:0. */
	if (addr == NULL) {
		memset(&any, 0, sizeof(any));
		any.sa_atyp = SOCKS_ATYP_IPV4;
		addr = &any;
	}
	if (outlen < 3)
		return (0);
	if ((n = socks_addr_encode(out + 3, outlen - 3, addr)) == 0)
		return (0);
	out[0] = SOCKS_VERSION;
	out[1] = rep;
	out[2] = 0;
	return (3 + n);
}

ssize_t
socks_udp_parse(const uint8_t *buf, size_t len, uint8_t *frag,
    struct socks_addr *addr)
{
	ssize_t	n;

	if (len < 2)
		return (0);
	if (buf[0] != 0 || buf[1] != 0)
		return (-1);
	if (len < 4)
		return (0);
	if ((n = socks_addr_decode(buf + 4, len - 4, buf[3], addr, NULL)) <= 0)
		return (n);
	*frag = buf[2];
	return (4 + n);
}

size_t
socks_udp_encode(uint8_t *out, size_t outlen, const struct socks_addr *addr)
{
	size_t	n;

	if (outlen < 3)
		return (0);
	if ((n = socks_addr_encode(out + 3, outlen - 3, addr)) == 0)
		return (0);
	out[0] = 0;
	out[1] = 0;
	out[2] = 0;	/* FRAG: we never fragment */
	return (3 + n);
}

int
socks_addr_from_sockaddr(struct socks_addr *addr, const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(addr, 0, sizeof(*addr));
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		addr->sa_atyp = SOCKS_ATYP_IPV4;
		addr->sa_ip.v4 = sin->sin_addr;
		addr->sa_port = ntohs(sin->sin_port);
		return (0);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		addr->sa_atyp = SOCKS_ATYP_IPV6;
		addr->sa_ip.v6 = sin6->sin6_addr;
		addr->sa_port = ntohs(sin6->sin6_port);
		return (0);
	default:
		return (-1);
	}
}

int
socks_addr_to_sockaddr(const struct socks_addr *addr,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	memset(ss, 0, sizeof(*ss));
	switch (addr->sa_atyp) {
	case SOCKS_ATYP_IPV4:
		sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_addr = addr->sa_ip.v4;
		sin->sin_port = htons(addr->sa_port);
		*sslen = sizeof(*sin);
		return (0);
	case SOCKS_ATYP_IPV6:
		sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = addr->sa_ip.v6;
		sin6->sin6_port = htons(addr->sa_port);
		*sslen = sizeof(*sin6);
		return (0);
	default:
		return (-1);
	}
}

/* The domain name escaped one byte at a time, truncated to fit. */
static void
socks_domain_vis(const char *name, size_t max, char *buf, size_t len)
{
	char	 tmp[5];
	size_t	 i, l, n = 0;
	int	 next;

	for (i = 0; i < max && name[i] != '\0'; i++) {
		next = i + 1 < max ? (unsigned char)name[i + 1] : '\0';
		(void)vis(tmp, (unsigned char)name[i], SOCKS_VISFLAGS, next);
		l = strlen(tmp);
		if (n + l >= len)
			break;
		memcpy(buf + n, tmp, l);
		n += l;
	}
	buf[n] = '\0';
}

const char *
socks_addr_str(const struct socks_addr *addr, char *buf, size_t len)
{
	char	 host[SOCKS_ADDRSTRLEN];

	if (len == 0)
		return (buf);
	switch (addr->sa_atyp) {
	case SOCKS_ATYP_IPV4:
		if (inet_ntop(AF_INET, &addr->sa_ip.v4, host,
		    sizeof(host)) == NULL)
			break;
		(void)snprintf(buf, len, "%s:%u", host, addr->sa_port);
		return (buf);
	case SOCKS_ATYP_IPV6:
		if (inet_ntop(AF_INET6, &addr->sa_ip.v6, host,
		    sizeof(host)) == NULL)
			break;
		(void)snprintf(buf, len, "[%s]:%u", host, addr->sa_port);
		return (buf);
	case SOCKS_ATYP_DOMAIN:
		socks_domain_vis(addr->sa_domain, sizeof(addr->sa_domain),
		    host, sizeof(host));
		(void)snprintf(buf, len, "%s:%u", host, addr->sa_port);
		return (buf);
	default:
		break;
	}
	(void)snprintf(buf, len, "(address type %u)", addr->sa_atyp);
	return (buf);
}

const char *
socks_rep_str(uint8_t rep)
{
	switch (rep) {
	case SOCKS_REP_SUCCEEDED:
		return ("succeeded");
	case SOCKS_REP_FAILURE:
		return ("general SOCKS server failure");
	case SOCKS_REP_NOTALLOWED:
		return ("connection not allowed by the server's rules");
	case SOCKS_REP_NETUNREACH:
		return ("network unreachable");
	case SOCKS_REP_HOSTUNREACH:
		return ("host unreachable");
	case SOCKS_REP_REFUSED:
		return ("connection refused by the destination host");
	case SOCKS_REP_TTLEXPIRED:
		return ("TTL expired");
	case SOCKS_REP_CMDUNSUPP:
		return ("command not supported");
	case SOCKS_REP_ATYPUNSUPP:
		return ("address type not supported");
	default:
		return ("unknown reply code");
	}
}

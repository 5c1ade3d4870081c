/*
 * Unit tests for common/socks.c: every decoder and encoder, each error
 * path, byte-at-a-time parsing and random input that must never make a
 * decoder read past what it was given (each input sits in a heap buffer
 * of exactly its length, so that AddressSanitizer catches an overread).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "socks.h"

/* Bounded so that the suite stays fast; a fixed seed keeps it repeatable. */
#define FUZZ_ROUNDS	200000
#define FUZZ_SEED	1961

static const uint8_t req_v4[] = {
	0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0x00, 0x50
};
static const uint8_t req_v6[] = {
	0x05, 0x01, 0x00, 0x04,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x01, 0xbb
};
static const uint8_t req_dom[] = {
	0x05, 0x03, 0x00, 0x03, 11,
	'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o', 'r', 'g',
	0x00, 0x16
};

/* A copy of len bytes in a buffer of exactly that size. */
static uint8_t *
dup_exact(const uint8_t *p, size_t len)
{
	uint8_t	*q;

	q = malloc(len == 0 ? 1 : len);
	ATF_REQUIRE(q != NULL);
	if (len > 0)
		memcpy(q, p, len);
	return (q);
}

static ssize_t
parse_request_exact(const uint8_t *p, size_t len, struct socks_req *req,
    uint8_t *rep)
{
	uint8_t	*q;
	ssize_t	 n;

	q = dup_exact(p, len);
	n = socks_request_parse(q, len, req, rep);
	free(q);
	return (n);
}

static void
addr_v4(struct socks_addr *a, const char *ip, in_port_t port)
{
	memset(a, 0, sizeof(*a));
	a->sa_atyp = SOCKS_ATYP_IPV4;
	ATF_REQUIRE(inet_pton(AF_INET, ip, &a->sa_ip.v4) == 1);
	a->sa_port = port;
}

static void
addr_v6(struct socks_addr *a, const char *ip, in_port_t port)
{
	memset(a, 0, sizeof(*a));
	a->sa_atyp = SOCKS_ATYP_IPV6;
	ATF_REQUIRE(inet_pton(AF_INET6, ip, &a->sa_ip.v6) == 1);
	a->sa_port = port;
}

static void
addr_dom(struct socks_addr *a, const char *name, in_port_t port)
{
	memset(a, 0, sizeof(*a));
	a->sa_atyp = SOCKS_ATYP_DOMAIN;
	ATF_REQUIRE(strlcpy(a->sa_domain, name, sizeof(a->sa_domain)) <
	    sizeof(a->sa_domain));
	a->sa_port = port;
}

/* Feeding a valid message one byte at a time: 0 until the last byte. */
static void
check_request_incremental(const uint8_t *msg, size_t len)
{
	struct socks_req	req;
	uint8_t			rep;
	size_t			i;

	for (i = 0; i < len; i++)
		ATF_CHECK_EQ_MSG(parse_request_exact(msg, i, &req, &rep), 0,
		    "prefix of %zu bytes", i);
	ATF_CHECK_EQ(parse_request_exact(msg, len, &req, &rep),
	    (ssize_t)len);
	ATF_CHECK_EQ(rep, SOCKS_REP_SUCCEEDED);
}

ATF_TC_WITHOUT_HEAD(greeting_parse);
ATF_TC_BODY(greeting_parse, tc)
{
	const uint8_t	 g[] = { 0x05, 0x02, 0x00, 0x01, 0xaa };
	uint8_t		 methods[255];
	size_t		 n = 0, i;

	ATF_CHECK_EQ(socks_greeting_parse(g, sizeof(g), methods, &n), 4);
	ATF_CHECK_EQ(n, 2);
	ATF_CHECK_EQ(methods[0], 0x00);
	ATF_CHECK_EQ(methods[1], 0x01);
	for (i = 0; i < 4; i++)
		ATF_CHECK_EQ(socks_greeting_parse(g, i, methods, &n), 0);
}

ATF_TC_WITHOUT_HEAD(greeting_errors);
ATF_TC_BODY(greeting_errors, tc)
{
	const uint8_t	 v4[] = { 0x04, 0x01, 0x00 };
	const uint8_t	 none[] = { 0x05, 0x00 };
	uint8_t		 methods[255];
	size_t		 n;

	/* A wrong version is known from the first byte. */
	ATF_CHECK_EQ(socks_greeting_parse(v4, 1, methods, &n), -1);
	ATF_CHECK_EQ(socks_greeting_parse(v4, sizeof(v4), methods, &n), -1);
	ATF_CHECK_EQ(socks_greeting_parse(none, sizeof(none), methods, &n),
	    -1);
}

ATF_TC_WITHOUT_HEAD(greeting_max);
ATF_TC_BODY(greeting_max, tc)
{
	uint8_t	 g[SOCKS_GREETING_MAX], methods[255], out[SOCKS_GREETING_MAX];
	size_t	 n, i;

	for (i = 0; i < 255; i++)
		methods[i] = i;
	ATF_REQUIRE_EQ(socks_greeting_encode(g, sizeof(g), methods, 255),
	    SOCKS_GREETING_MAX);
	memset(methods, 0, sizeof(methods));
	ATF_CHECK_EQ(socks_greeting_parse(g, sizeof(g), methods, &n),
	    SOCKS_GREETING_MAX);
	ATF_CHECK_EQ(n, 255);
	for (i = 0; i < 255; i++)
		ATF_CHECK_EQ(methods[i], i);
	ATF_CHECK_EQ(socks_greeting_encode(out, sizeof(out) - 1, methods,
	    255), 0);
}

ATF_TC_WITHOUT_HEAD(greeting_encode);
ATF_TC_BODY(greeting_encode, tc)
{
	const uint8_t	 m[] = { 0x01 };
	uint8_t		 out[8];

	ATF_CHECK_EQ(socks_greeting_encode(out, sizeof(out), m, 1), 3);
	ATF_CHECK(memcmp(out, "\x05\x01\x01", 3) == 0);
	ATF_CHECK_EQ(socks_greeting_encode(out, 2, m, 1), 0);
	ATF_CHECK_EQ(socks_greeting_encode(out, sizeof(out), m, 0), 0);
	ATF_CHECK_EQ(socks_greeting_encode(out, sizeof(out), m, 256), 0);
}

ATF_TC_WITHOUT_HEAD(method);
ATF_TC_BODY(method, tc)
{
	const uint8_t	 ok[] = { 0x05, 0x01 }, refused[] = { 0x05, 0xff };
	const uint8_t	 bad[] = { 0x01, 0x01 };
	uint8_t		 out[2], m = 0x42;

	ATF_CHECK_EQ(socks_method_parse(ok, 0, &m), 0);
	ATF_CHECK_EQ(socks_method_parse(ok, 1, &m), 0);
	ATF_CHECK_EQ(m, 0x42);
	ATF_CHECK_EQ(socks_method_parse(ok, 2, &m), 2);
	ATF_CHECK_EQ(m, SOCKS_METHOD_GSSAPI);
	ATF_CHECK_EQ(socks_method_parse(refused, 2, &m), 2);
	ATF_CHECK_EQ(m, SOCKS_METHOD_NOACCEPT);
	ATF_CHECK_EQ(socks_method_parse(bad, 1, &m), -1);
	ATF_CHECK_EQ(socks_method_encode(out, sizeof(out), 0x00), 2);
	ATF_CHECK(memcmp(out, "\x05\x00", 2) == 0);
	ATF_CHECK_EQ(socks_method_encode(out, 1, 0x00), 0);
}

ATF_TC_WITHOUT_HEAD(request_ipv4);
ATF_TC_BODY(request_ipv4, tc)
{
	struct socks_req	req;
	uint8_t			rep = 0xee;

	ATF_CHECK_EQ(parse_request_exact(req_v4, sizeof(req_v4), &req, &rep),
	    (ssize_t)sizeof(req_v4));
	ATF_CHECK_EQ(rep, SOCKS_REP_SUCCEEDED);
	ATF_CHECK_EQ(req.sr_cmd, SOCKS_CMD_CONNECT);
	ATF_CHECK_EQ(req.sr_addr.sa_atyp, SOCKS_ATYP_IPV4);
	ATF_CHECK_EQ(req.sr_addr.sa_ip.v4.s_addr, htonl(INADDR_LOOPBACK));
	ATF_CHECK_EQ(req.sr_addr.sa_port, 80);
	check_request_incremental(req_v4, sizeof(req_v4));
}

ATF_TC_WITHOUT_HEAD(request_ipv6);
ATF_TC_BODY(request_ipv6, tc)
{
	struct socks_req	req;
	uint8_t			rep;

	ATF_CHECK_EQ(parse_request_exact(req_v6, sizeof(req_v6), &req, &rep),
	    (ssize_t)sizeof(req_v6));
	ATF_CHECK_EQ(req.sr_addr.sa_atyp, SOCKS_ATYP_IPV6);
	ATF_CHECK(IN6_IS_ADDR_LOOPBACK(&req.sr_addr.sa_ip.v6));
	ATF_CHECK_EQ(req.sr_addr.sa_port, 443);
	check_request_incremental(req_v6, sizeof(req_v6));
}

ATF_TC_WITHOUT_HEAD(request_domain);
ATF_TC_BODY(request_domain, tc)
{
	struct socks_req	req;
	uint8_t			rep;

	ATF_CHECK_EQ(parse_request_exact(req_dom, sizeof(req_dom), &req,
	    &rep), (ssize_t)sizeof(req_dom));
	ATF_CHECK_EQ(req.sr_cmd, SOCKS_CMD_UDPASSOCIATE);
	ATF_CHECK_EQ(req.sr_addr.sa_atyp, SOCKS_ATYP_DOMAIN);
	ATF_CHECK_STREQ(req.sr_addr.sa_domain, "example.org");
	ATF_CHECK_EQ(req.sr_addr.sa_port, 22);
	check_request_incremental(req_dom, sizeof(req_dom));
}

ATF_TC_WITHOUT_HEAD(request_domain_max);
ATF_TC_BODY(request_domain_max, tc)
{
	struct socks_req	req;
	struct socks_addr	a;
	uint8_t			buf[SOCKS_MSG_MAX], rep;
	char			name[256];

	memset(name, 'a', 255);
	name[255] = '\0';
	addr_dom(&a, name, 65535);
	ATF_REQUIRE_EQ(socks_request_encode(buf, sizeof(buf),
	    SOCKS_CMD_BIND, &a), SOCKS_MSG_MAX);
	ATF_CHECK_EQ(parse_request_exact(buf, sizeof(buf), &req, &rep),
	    SOCKS_MSG_MAX);
	ATF_CHECK_EQ(strlen(req.sr_addr.sa_domain), 255);
	ATF_CHECK_EQ(req.sr_addr.sa_port, 65535);
	ATF_CHECK_EQ(req.sr_cmd, SOCKS_CMD_BIND);
	/* One byte short of room. */
	ATF_CHECK_EQ(socks_request_encode(buf, sizeof(buf) - 1,
	    SOCKS_CMD_BIND, &a), 0);
}

ATF_TC_WITHOUT_HEAD(request_badver);
ATF_TC_BODY(request_badver, tc)
{
	uint8_t			m[sizeof(req_v4)], rep = 0xee;
	struct socks_req	req;

	memcpy(m, req_v4, sizeof(m));
	m[0] = 0x04;
	ATF_CHECK_EQ(parse_request_exact(m, 1, &req, &rep), -1);
	ATF_CHECK_EQ(rep, SOCKS_REP_FAILURE);
	ATF_CHECK_EQ(parse_request_exact(m, sizeof(m), &req, &rep), -1);
}

ATF_TC_WITHOUT_HEAD(request_rsv);
ATF_TC_BODY(request_rsv, tc)
{
	uint8_t			m[sizeof(req_v4)], rep = 0xee;
	struct socks_req	req;

	memcpy(m, req_v4, sizeof(m));
	m[2] = 0x01;
	ATF_CHECK_EQ(parse_request_exact(m, 3, &req, &rep), -1);
	ATF_CHECK_EQ(rep, SOCKS_REP_FAILURE);
}

ATF_TC_WITHOUT_HEAD(request_atyp);
ATF_TC_BODY(request_atyp, tc)
{
	uint8_t			m[sizeof(req_v4)], rep = 0xee;
	struct socks_req	req;
	int			atyp;

	memcpy(m, req_v4, sizeof(m));
	for (atyp = 0; atyp < 256; atyp++) {
		if (atyp == SOCKS_ATYP_IPV4 || atyp == SOCKS_ATYP_IPV6 ||
		    atyp == SOCKS_ATYP_DOMAIN)
			continue;
		m[3] = atyp;
		rep = 0xee;
		/* The length is unknowable: fail at once. */
		ATF_CHECK_EQ(parse_request_exact(m, 4, &req, &rep), -1);
		ATF_CHECK_EQ(rep, SOCKS_REP_ATYPUNSUPP);
	}
}

ATF_TC_WITHOUT_HEAD(request_cmd);
ATF_TC_BODY(request_cmd, tc)
{
	uint8_t			m[sizeof(req_dom)], rep = 0xee;
	struct socks_req	req;
	size_t			i;

	memcpy(m, req_dom, sizeof(m));
	m[1] = 0x09;
	/* Not before the whole request is there... */
	for (i = 0; i < sizeof(m); i++)
		ATF_CHECK_EQ(parse_request_exact(m, i, &req, &rep), 0);
	/* ...and then with the request filled in for the log. */
	ATF_CHECK_EQ(parse_request_exact(m, sizeof(m), &req, &rep), -1);
	ATF_CHECK_EQ(rep, SOCKS_REP_CMDUNSUPP);
	ATF_CHECK_EQ(req.sr_cmd, 0x09);
	ATF_CHECK_STREQ(req.sr_addr.sa_domain, "example.org");
	m[1] = 0x00;
	ATF_CHECK_EQ(parse_request_exact(m, sizeof(m), &req, &rep), -1);
	ATF_CHECK_EQ(rep, SOCKS_REP_CMDUNSUPP);
}

ATF_TC_WITHOUT_HEAD(request_domain_bad);
ATF_TC_BODY(request_domain_bad, tc)
{
	const uint8_t		empty[] = { 0x05, 0x01, 0x00, 0x03, 0x00,
				    0x00, 0x50 };
	uint8_t			m[sizeof(req_dom)], rep;
	struct socks_req	req;

	rep = 0xee;
	ATF_CHECK_EQ(parse_request_exact(empty, 5, &req, &rep), -1);
	ATF_CHECK_EQ(rep, SOCKS_REP_FAILURE);

	memcpy(m, req_dom, sizeof(m));
	m[9] = '\0';
	rep = 0xee;
	ATF_CHECK_EQ(parse_request_exact(m, sizeof(m), &req, &rep), -1);
	ATF_CHECK_EQ(rep, SOCKS_REP_FAILURE);
	/* A NUL in the last byte of the name too. */
	memcpy(m, req_dom, sizeof(m));
	m[5 + 10] = '\0';
	ATF_CHECK_EQ(parse_request_exact(m, sizeof(m), &req, &rep), -1);
}

ATF_TC_WITHOUT_HEAD(request_nullrep);
ATF_TC_BODY(request_nullrep, tc)
{
	struct socks_req	req;
	uint8_t			m[sizeof(req_v4)];

	memcpy(m, req_v4, sizeof(m));
	ATF_CHECK_EQ(socks_request_parse(m, sizeof(m), &req, NULL),
	    (ssize_t)sizeof(m));
	m[3] = 0x02;
	ATF_CHECK_EQ(socks_request_parse(m, sizeof(m), &req, NULL), -1);
}

ATF_TC_WITHOUT_HEAD(request_encode);
ATF_TC_BODY(request_encode, tc)
{
	struct socks_addr	a;
	uint8_t			out[SOCKS_MSG_MAX];
	size_t			i;

	addr_v4(&a, "127.0.0.1", 80);
	ATF_CHECK_EQ(socks_request_encode(out, sizeof(out),
	    SOCKS_CMD_CONNECT, &a), sizeof(req_v4));
	ATF_CHECK(memcmp(out, req_v4, sizeof(req_v4)) == 0);
	for (i = 0; i < sizeof(req_v4); i++)
		ATF_CHECK_EQ(socks_request_encode(out, i, SOCKS_CMD_CONNECT,
		    &a), 0);

	addr_v6(&a, "::1", 443);
	ATF_CHECK_EQ(socks_request_encode(out, sizeof(out),
	    SOCKS_CMD_CONNECT, &a), sizeof(req_v6));
	ATF_CHECK(memcmp(out, req_v6, sizeof(req_v6)) == 0);

	addr_dom(&a, "example.org", 22);
	ATF_CHECK_EQ(socks_request_encode(out, sizeof(out),
	    SOCKS_CMD_UDPASSOCIATE, &a), sizeof(req_dom));
	ATF_CHECK(memcmp(out, req_dom, sizeof(req_dom)) == 0);

	/* Nothing to encode: an empty name or an unknown type. */
	addr_dom(&a, "", 22);
	ATF_CHECK_EQ(socks_request_encode(out, sizeof(out),
	    SOCKS_CMD_CONNECT, &a), 0);
	a.sa_atyp = 0x02;
	ATF_CHECK_EQ(socks_request_encode(out, sizeof(out),
	    SOCKS_CMD_CONNECT, &a), 0);
}

ATF_TC_WITHOUT_HEAD(reply);
ATF_TC_BODY(reply, tc)
{
	struct socks_addr	a, b;
	uint8_t			out[SOCKS_MSG_MAX], rep;
	size_t			n, i;

	addr_v6(&a, "fe80::1", 1080);
	n = socks_reply_encode(out, sizeof(out), SOCKS_REP_REFUSED, &a);
	ATF_REQUIRE_EQ(n, 22);
	ATF_CHECK_EQ(out[0], 5);
	ATF_CHECK_EQ(out[1], SOCKS_REP_REFUSED);
	ATF_CHECK_EQ(out[2], 0);
	for (i = 0; i < n; i++)
		ATF_CHECK_EQ(socks_reply_parse(out, i, &rep, &b), 0);
	ATF_CHECK_EQ(socks_reply_parse(out, n, &rep, &b), (ssize_t)n);
	ATF_CHECK_EQ(rep, SOCKS_REP_REFUSED);
	ATF_CHECK(memcmp(&a.sa_ip.v6, &b.sa_ip.v6, 16) == 0);
	ATF_CHECK_EQ(b.sa_port, 1080);

	/* Any reply code is passed on, even one RFC 1928 lacks. */
	out[1] = 0x42;
	ATF_CHECK_EQ(socks_reply_parse(out, n, &rep, &b), (ssize_t)n);
	ATF_CHECK_EQ(rep, 0x42);

	for (i = 0; i < n; i++)
		ATF_CHECK_EQ(socks_reply_encode(out, i, 0, &a), 0);
}

ATF_TC_WITHOUT_HEAD(reply_null_addr);
ATF_TC_BODY(reply_null_addr, tc)
{
	const uint8_t	 want[] = { 5, 1, 0, 1, 0, 0, 0, 0, 0, 0 };
	uint8_t		 out[SOCKS_MSG_MAX];

	ATF_CHECK_EQ(socks_reply_encode(out, sizeof(out), SOCKS_REP_FAILURE,
	    NULL), sizeof(want));
	ATF_CHECK(memcmp(out, want, sizeof(want)) == 0);
}

ATF_TC_WITHOUT_HEAD(reply_errors);
ATF_TC_BODY(reply_errors, tc)
{
	uint8_t			m[] = { 5, 0, 0, 1, 10, 0, 0, 1, 0, 80 };
	struct socks_addr	a;
	uint8_t			rep;

	m[0] = 4;
	ATF_CHECK_EQ(socks_reply_parse(m, 1, &rep, &a), -1);
	m[0] = 5;
	m[2] = 1;
	ATF_CHECK_EQ(socks_reply_parse(m, 3, &rep, &a), -1);
	m[2] = 0;
	m[3] = 7;
	ATF_CHECK_EQ(socks_reply_parse(m, 4, &rep, &a), -1);
	m[3] = SOCKS_ATYP_DOMAIN;
	m[4] = 0;
	ATF_CHECK_EQ(socks_reply_parse(m, 5, &rep, &a), -1);
}

ATF_TC_WITHOUT_HEAD(udp);
ATF_TC_BODY(udp, tc)
{
	struct socks_addr	a, b;
	uint8_t			out[SOCKS_MSG_MAX], frag = 0xee;
	size_t			n, i;

	addr_dom(&a, "host.example", 53);
	n = socks_udp_encode(out, sizeof(out), &a);
	ATF_REQUIRE_EQ(n, 4 + 1 + 12 + 2);
	ATF_CHECK(memcmp(out, "\0\0\0\x03\x0c", 5) == 0);
	for (i = 0; i < n; i++)
		ATF_CHECK_EQ(socks_udp_parse(out, i, &frag, &b), 0);
	ATF_CHECK_EQ(socks_udp_parse(out, n, &frag, &b), (ssize_t)n);
	ATF_CHECK_EQ(frag, 0);
	ATF_CHECK_STREQ(b.sa_domain, "host.example");
	ATF_CHECK_EQ(b.sa_port, 53);

	out[2] = 3;
	ATF_CHECK_EQ(socks_udp_parse(out, n, &frag, &b), (ssize_t)n);
	ATF_CHECK_EQ(frag, 3);

	out[1] = 1;
	ATF_CHECK_EQ(socks_udp_parse(out, 2, &frag, &b), -1);
	out[1] = 0;
	out[0] = 1;
	ATF_CHECK_EQ(socks_udp_parse(out, 2, &frag, &b), -1);
	out[0] = 0;
	out[3] = 9;
	ATF_CHECK_EQ(socks_udp_parse(out, n, &frag, &b), -1);

	for (i = 0; i < n; i++)
		ATF_CHECK_EQ(socks_udp_encode(out, i, &a), 0);
	a.sa_atyp = 0;
	ATF_CHECK_EQ(socks_udp_encode(out, sizeof(out), &a), 0);
}

ATF_TC_WITHOUT_HEAD(sockaddr);
ATF_TC_BODY(sockaddr, tc)
{
	struct socks_addr	 a, b;
	struct sockaddr_storage	 ss;
	struct sockaddr_un	 sun;
	struct sockaddr_in	*sin;
	socklen_t		 len;

	addr_v4(&a, "192.0.2.7", 8080);
	ATF_REQUIRE_EQ(socks_addr_to_sockaddr(&a, &ss, &len), 0);
	ATF_CHECK_EQ(len, sizeof(struct sockaddr_in));
	sin = (struct sockaddr_in *)&ss;
	ATF_CHECK_EQ(sin->sin_family, AF_INET);
	ATF_CHECK_EQ(ntohs(sin->sin_port), 8080);
	ATF_REQUIRE_EQ(socks_addr_from_sockaddr(&b, (struct sockaddr *)&ss),
	    0);
	ATF_CHECK_EQ(b.sa_atyp, SOCKS_ATYP_IPV4);
	ATF_CHECK_EQ(b.sa_ip.v4.s_addr, a.sa_ip.v4.s_addr);
	ATF_CHECK_EQ(b.sa_port, 8080);

	addr_v6(&a, "2001:db8::5", 1);
	ATF_REQUIRE_EQ(socks_addr_to_sockaddr(&a, &ss, &len), 0);
	ATF_CHECK_EQ(len, sizeof(struct sockaddr_in6));
	ATF_REQUIRE_EQ(socks_addr_from_sockaddr(&b, (struct sockaddr *)&ss),
	    0);
	ATF_CHECK_EQ(b.sa_atyp, SOCKS_ATYP_IPV6);
	ATF_CHECK(memcmp(&a.sa_ip.v6, &b.sa_ip.v6, 16) == 0);
	ATF_CHECK_EQ(b.sa_port, 1);

	addr_dom(&a, "example.org", 1);
	ATF_CHECK_EQ(socks_addr_to_sockaddr(&a, &ss, &len), -1);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ATF_CHECK_EQ(socks_addr_from_sockaddr(&b, (struct sockaddr *)&sun),
	    -1);
}

ATF_TC_WITHOUT_HEAD(addr_str);
ATF_TC_BODY(addr_str, tc)
{
	struct socks_addr	a;
	char			buf[SOCKS_ADDRSTRLEN], small[8];
	size_t			i;

	addr_v4(&a, "127.0.0.1", 80);
	ATF_CHECK_STREQ(socks_addr_str(&a, buf, sizeof(buf)), "127.0.0.1:80");
	addr_v6(&a, "::1", 443);
	ATF_CHECK_STREQ(socks_addr_str(&a, buf, sizeof(buf)), "[::1]:443");
	addr_dom(&a, "example.org", 22);
	ATF_CHECK_STREQ(socks_addr_str(&a, buf, sizeof(buf)),
	    "example.org:22");

	/* Control bytes, spaces, quotes and high bytes come out escaped. */
	addr_dom(&a, "a\nb\033[1m\"c d\351", 7);
	socks_addr_str(&a, buf, sizeof(buf));
	ATF_CHECK(strchr(buf, '\n') == NULL);
	ATF_CHECK(strchr(buf, '\033') == NULL);
	ATF_CHECK(strchr(buf, ' ') == NULL);
	ATF_CHECK(strchr(buf, '\351') == NULL);
	ATF_CHECK_STREQ(buf, "a\\nb\\033[1m\\\"c\\sd\\351:7");

	/* The worst case fits SOCKS_ADDRSTRLEN. */
	memset(a.sa_domain, '\001', 255);
	a.sa_domain[255] = '\0';
	a.sa_port = 65535;
	socks_addr_str(&a, buf, sizeof(buf));
	ATF_CHECK_EQ(strlen(buf), 255 * 4 + 6);
	ATF_CHECK_STREQ(buf + 255 * 4, ":65535");

	/* An unterminated name is still read only within sa_domain. */
	memset(a.sa_domain, 'x', sizeof(a.sa_domain));
	socks_addr_str(&a, buf, sizeof(buf));
	ATF_CHECK_EQ(strlen(buf), sizeof(a.sa_domain) + 6);

	/* Truncation keeps the string terminated. */
	addr_dom(&a, "a-rather-long-name.example", 22);
	ATF_CHECK_EQ(strlen(socks_addr_str(&a, small, sizeof(small))),
	    sizeof(small) - 1);
	for (i = 1; i < sizeof(small); i++)
		ATF_CHECK(strlen(socks_addr_str(&a, small, i)) < i);
	a.sa_atyp = 9;
	ATF_CHECK_STREQ(socks_addr_str(&a, buf, sizeof(buf)),
	    "(address type 9)");
}

ATF_TC_WITHOUT_HEAD(rep_str);
ATF_TC_BODY(rep_str, tc)
{
	int	i, j;

	ATF_CHECK_STREQ(socks_rep_str(SOCKS_REP_REFUSED),
	    "connection refused by the destination host");
	ATF_CHECK_STREQ(socks_rep_str(SOCKS_REP_NOTALLOWED),
	    "connection not allowed by the server's rules");
	ATF_CHECK_STREQ(socks_rep_str(9), "unknown reply code");
	ATF_CHECK_STREQ(socks_rep_str(255), "unknown reply code");
	for (i = 0; i <= SOCKS_REP_ATYPUNSUPP; i++)
		for (j = 0; j < i; j++)
			ATF_CHECK(strcmp(socks_rep_str(i),
			    socks_rep_str(j)) != 0);
}

/* Random bytes, biased so that many get past the first checks. */
static size_t
fuzz_fill(uint8_t *buf, size_t max)
{
	static const uint8_t	atyps[] = { 1, 3, 4, 0, 2, 5 };
	size_t			len, i;

	len = random() % max;
	for (i = 0; i < len; i++)
		buf[i] = random();
	if (len > 0 && random() % 4 != 0)
		buf[0] = SOCKS_VERSION;
	if (len > 2 && random() % 4 != 0)
		buf[2] = 0;
	if (len > 3 && random() % 4 != 0)
		buf[3] = atyps[random() % sizeof(atyps)];
	if (len > 4 && buf[3] == SOCKS_ATYP_DOMAIN && random() % 2)
		buf[4] = random() % (len - 4);
	return (len);
}

ATF_TC_WITHOUT_HEAD(fuzz_request);
ATF_TC_BODY(fuzz_request, tc)
{
	struct socks_req	 req;
	uint8_t			 src[SOCKS_MSG_MAX + 8], out[SOCKS_MSG_MAX];
	uint8_t			*p, rep;
	size_t			 len;
	ssize_t			 n;
	int			 i, ok = 0;

	srandom(FUZZ_SEED);
	for (i = 0; i < FUZZ_ROUNDS; i++) {
		len = fuzz_fill(src, sizeof(src));
		p = dup_exact(src, len);
		rep = 0xee;
		n = socks_request_parse(p, len, &req, &rep);
		ATF_REQUIRE(n >= -1 && n <= (ssize_t)len);
		if (n == -1)
			ATF_REQUIRE(rep == SOCKS_REP_FAILURE ||
			    rep == SOCKS_REP_ATYPUNSUPP ||
			    rep == SOCKS_REP_CMDUNSUPP);
		if (n > 0) {
			/* Strict parsing means re-encoding gives the input. */
			ATF_REQUIRE_EQ(socks_request_encode(out, sizeof(out),
			    req.sr_cmd, &req.sr_addr), (size_t)n);
			ATF_REQUIRE(memcmp(out, p, n) == 0);
			ok++;
		}
		free(p);
	}
	ATF_CHECK(ok > 0);
}

ATF_TC_WITHOUT_HEAD(fuzz_reply);
ATF_TC_BODY(fuzz_reply, tc)
{
	struct socks_addr	 a;
	uint8_t			 src[SOCKS_MSG_MAX + 8], out[SOCKS_MSG_MAX];
	uint8_t			*p, rep;
	size_t			 len;
	ssize_t			 n;
	int			 i, ok = 0;

	srandom(FUZZ_SEED + 1);
	for (i = 0; i < FUZZ_ROUNDS; i++) {
		len = fuzz_fill(src, sizeof(src));
		p = dup_exact(src, len);
		n = socks_reply_parse(p, len, &rep, &a);
		ATF_REQUIRE(n >= -1 && n <= (ssize_t)len);
		if (n > 0) {
			ATF_REQUIRE_EQ(socks_reply_encode(out, sizeof(out),
			    rep, &a), (size_t)n);
			ATF_REQUIRE(memcmp(out, p, n) == 0);
			ok++;
		}
		free(p);
	}
	ATF_CHECK(ok > 0);
}

ATF_TC_WITHOUT_HEAD(fuzz_udp);
ATF_TC_BODY(fuzz_udp, tc)
{
	struct socks_addr	 a;
	uint8_t			 src[SOCKS_MSG_MAX + 8], out[SOCKS_MSG_MAX];
	uint8_t			*p, frag;
	size_t			 len;
	ssize_t			 n;
	int			 i, ok = 0;

	srandom(FUZZ_SEED + 2);
	for (i = 0; i < FUZZ_ROUNDS; i++) {
		len = fuzz_fill(src, sizeof(src));
		/* The UDP header starts with RSV 0 0, not VER. */
		if (len > 1 && random() % 4 != 0)
			src[0] = src[1] = 0;
		p = dup_exact(src, len);
		n = socks_udp_parse(p, len, &frag, &a);
		ATF_REQUIRE(n >= -1 && n <= (ssize_t)len);
		if (n > 0) {
			ATF_REQUIRE_EQ(socks_udp_encode(out, sizeof(out), &a),
			    (size_t)n);
			out[2] = frag;
			ATF_REQUIRE(memcmp(out, p, n) == 0);
			ok++;
		}
		free(p);
	}
	ATF_CHECK(ok > 0);
}

ATF_TC_WITHOUT_HEAD(fuzz_greeting);
ATF_TC_BODY(fuzz_greeting, tc)
{
	uint8_t		 src[SOCKS_GREETING_MAX + 8], out[SOCKS_GREETING_MAX];
	uint8_t		 methods[255], *p, m;
	size_t		 len, nm;
	ssize_t		 n;
	int		 i, ok = 0;

	srandom(FUZZ_SEED + 3);
	for (i = 0; i < FUZZ_ROUNDS; i++) {
		len = fuzz_fill(src, sizeof(src));
		if (len > 1 && random() % 2)
			src[1] = random() % len;
		p = dup_exact(src, len);
		n = socks_greeting_parse(p, len, methods, &nm);
		ATF_REQUIRE(n >= -1 && n <= (ssize_t)len);
		if (n > 0) {
			ATF_REQUIRE_EQ(socks_greeting_encode(out, sizeof(out),
			    methods, nm), (size_t)n);
			ATF_REQUIRE(memcmp(out, p, n) == 0);
			ok++;
		}
		n = socks_method_parse(p, len, &m);
		ATF_REQUIRE(n >= -1 && n <= (ssize_t)len);
		free(p);
	}
	ATF_CHECK(ok > 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, greeting_parse);
	ATF_TP_ADD_TC(tp, greeting_errors);
	ATF_TP_ADD_TC(tp, greeting_max);
	ATF_TP_ADD_TC(tp, greeting_encode);
	ATF_TP_ADD_TC(tp, method);
	ATF_TP_ADD_TC(tp, request_ipv4);
	ATF_TP_ADD_TC(tp, request_ipv6);
	ATF_TP_ADD_TC(tp, request_domain);
	ATF_TP_ADD_TC(tp, request_domain_max);
	ATF_TP_ADD_TC(tp, request_badver);
	ATF_TP_ADD_TC(tp, request_rsv);
	ATF_TP_ADD_TC(tp, request_atyp);
	ATF_TP_ADD_TC(tp, request_cmd);
	ATF_TP_ADD_TC(tp, request_domain_bad);
	ATF_TP_ADD_TC(tp, request_nullrep);
	ATF_TP_ADD_TC(tp, request_encode);
	ATF_TP_ADD_TC(tp, reply);
	ATF_TP_ADD_TC(tp, reply_null_addr);
	ATF_TP_ADD_TC(tp, reply_errors);
	ATF_TP_ADD_TC(tp, udp);
	ATF_TP_ADD_TC(tp, sockaddr);
	ATF_TP_ADD_TC(tp, addr_str);
	ATF_TP_ADD_TC(tp, rep_str);
	ATF_TP_ADD_TC(tp, fuzz_request);
	ATF_TP_ADD_TC(tp, fuzz_reply);
	ATF_TP_ADD_TC(tp, fuzz_udp);
	ATF_TP_ADD_TC(tp, fuzz_greeting);
	return (atf_no_error());
}

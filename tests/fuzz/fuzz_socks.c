/*
 * libFuzzer harness for the RFC 1928 decoders of common/socks.c: the
 * greeting, the method reply, the request, the reply and the UDP
 * header.  Every input goes through all of them.
 *
 * Besides not crashing, each decoder must keep the promise socks.h
 * makes: as bytes arrive, the answer is 0 (need more) until it becomes
 * the message's length or -1, and then stays so; the message's length
 * is never more than the longest message; and whatever it accepts, the
 * matching encoder writes back byte for byte.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <string.h>

#include "socks.h"
#include "fuzz.h"

/* Longest UDP header: RSV(2) FRAG ATYP, a 255-byte name and the port. */
#define UDPHDR_MAX	(4 + 1 + 255 + 2)

typedef ssize_t	(*parse_fn)(const uint8_t *, size_t);

static ssize_t
p_greeting(const uint8_t *buf, size_t len)
{
	uint8_t	 methods[255];
	size_t	 n;

	return (socks_greeting_parse(buf, len, methods, &n));
}

static ssize_t
p_method(const uint8_t *buf, size_t len)
{
	uint8_t	 m;

	return (socks_method_parse(buf, len, &m));
}

static ssize_t
p_request(const uint8_t *buf, size_t len)
{
	struct socks_req	 req;

	return (socks_request_parse(buf, len, &req, NULL));
}

static ssize_t
p_reply(const uint8_t *buf, size_t len)
{
	struct socks_addr	 addr;
	uint8_t			 rep;

	return (socks_reply_parse(buf, len, &rep, &addr));
}

static ssize_t
p_udp(const uint8_t *buf, size_t len)
{
	struct socks_addr	 addr;
	uint8_t			 frag;

	return (socks_udp_parse(buf, len, &frag, &addr));
}

/*
 * The answers for every prefix of the input, up to one byte more than
 * the longest message: 0 first, then one value for good, and a length
 * appears exactly when that many bytes are there.  With max bytes in
 * hand a decoder must have decided: the relay takes 0 at
 * SOCKS_MSG_MAX bytes for a malformed request.
 */
static void
check_prefixes(const char *name, parse_fn fn, const uint8_t *buf, size_t len,
    size_t max)
{
	ssize_t	 r, last = 0;
	size_t	 k, cap = len < max + 1 ? len : max + 1;

	for (k = 0; k <= cap; k++) {
		r = fn(buf, k);
		FUZZ_CHECK(r >= -1 && r <= (ssize_t)k,
		    "%s: %zd for %zu bytes", name, r, k);
		if (last == 0) {
			FUZZ_CHECK(r <= 0 || (size_t)r == k,
			    "%s: length %zd appears at %zu bytes", name, r, k);
		} else
			FUZZ_CHECK(r == last, "%s: %zd after %zd at %zu bytes",
			    name, r, last, k);
		last = r;
		if (k >= max)
			FUZZ_CHECK(r != 0, "%s: undecided after %zu bytes",
			    name, k);
	}
	/* Past the longest message nothing may change. */
	if (len > cap)
		FUZZ_CHECK(fn(buf, len) == last, "%s: the whole input differs",
		    name);
}

static void
check_addr(const struct socks_addr *addr)
{
	struct socks_addr	 back;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 str[SOCKS_ADDRSTRLEN], small[8];
	size_t			 n;

	if (addr->sa_atyp == SOCKS_ATYP_DOMAIN) {
		n = strnlen(addr->sa_domain, sizeof(addr->sa_domain));
		FUZZ_CHECK(n > 0 && n < sizeof(addr->sa_domain),
		    "domain of length %zu", n);
	}
	(void)socks_addr_str(addr, str, sizeof(str));
	FUZZ_CHECK(strnlen(str, sizeof(str)) < sizeof(str), "str not ended");
	(void)socks_addr_str(addr, small, sizeof(small));
	FUZZ_CHECK(strnlen(small, sizeof(small)) < sizeof(small),
	    "small str not ended");
	if (socks_addr_to_sockaddr(addr, &ss, &sslen) == -1) {
		FUZZ_CHECK(addr->sa_atyp == SOCKS_ATYP_DOMAIN,
		    "atyp %u has no sockaddr", addr->sa_atyp);
		return;
	}
	FUZZ_CHECK(socks_addr_from_sockaddr(&back,
	    (struct sockaddr *)&ss) == 0, "no way back");
	FUZZ_CHECK(back.sa_atyp == addr->sa_atyp &&
	    back.sa_port == addr->sa_port &&
	    memcmp(&back.sa_ip, &addr->sa_ip, addr->sa_atyp ==
	    SOCKS_ATYP_IPV4 ? sizeof(back.sa_ip.v4) : sizeof(back.sa_ip.v6))
	    == 0, "sockaddr round trip");
}

static void
check_same(const char *name, const uint8_t *out, size_t olen,
    const uint8_t *buf, size_t n)
{
	FUZZ_CHECK(olen == n, "%s: encoded %zu bytes, parsed %zu", name,
	    olen, n);
	FUZZ_CHECK(memcmp(out, buf, n) == 0, "%s: encoding differs", name);
}

static void
fuzz_greeting(const uint8_t *buf, size_t len)
{
	uint8_t	 methods[255], out[SOCKS_GREETING_MAX], m;
	size_t	 nm;
	ssize_t	 n;

	check_prefixes("greeting", p_greeting, buf, len, SOCKS_GREETING_MAX);
	if ((n = socks_greeting_parse(buf, len, methods, &nm)) > 0)
		check_same("greeting", out, socks_greeting_encode(out,
		    sizeof(out), methods, nm), buf, n);

	check_prefixes("method", p_method, buf, len, 2);
	if ((n = socks_method_parse(buf, len, &m)) > 0)
		check_same("method", out, socks_method_encode(out,
		    sizeof(out), m), buf, n);
}

static void
fuzz_request(const uint8_t *buf, size_t len)
{
	struct socks_req	 req;
	uint8_t			 out[SOCKS_MSG_MAX], rep = 0xee;
	ssize_t			 n;
	size_t			 olen;

	check_prefixes("request", p_request, buf, len, SOCKS_MSG_MAX);
	memset(&req, 0, sizeof(req));
	n = socks_request_parse(buf, len, &req, &rep);
	if (n > 0) {
		FUZZ_CHECK(rep == SOCKS_REP_SUCCEEDED, "rep %u", rep);
		check_addr(&req.sr_addr);
		check_same("request", out, socks_request_encode(out,
		    sizeof(out), req.sr_cmd, &req.sr_addr), buf, n);
	} else if (n == -1) {
		FUZZ_CHECK(rep == SOCKS_REP_FAILURE ||
		    rep == SOCKS_REP_ATYPUNSUPP ||
		    rep == SOCKS_REP_CMDUNSUPP, "rep %u on -1", rep);
		/* An unknown command comes with the request filled in. */
		if (rep == SOCKS_REP_CMDUNSUPP) {
			check_addr(&req.sr_addr);
			olen = socks_request_encode(out, sizeof(out),
			    req.sr_cmd, &req.sr_addr);
			FUZZ_CHECK(olen > 0 && olen <= len, "cmd %u: %zu",
			    req.sr_cmd, olen);
			check_same("request (unknown command)", out, olen,
			    buf, olen);
		}
	}
}

static void
fuzz_reply(const uint8_t *buf, size_t len)
{
	struct socks_addr	 addr;
	uint8_t			 out[SOCKS_MSG_MAX], rep;
	ssize_t			 n;

	check_prefixes("reply", p_reply, buf, len, SOCKS_MSG_MAX);
	if ((n = socks_reply_parse(buf, len, &rep, &addr)) > 0) {
		check_addr(&addr);
		check_same("reply", out, socks_reply_encode(out, sizeof(out),
		    rep, &addr), buf, n);
		(void)socks_rep_str(rep);
	}
}

static void
fuzz_udp(const uint8_t *buf, size_t len)
{
	struct socks_addr	 addr;
	uint8_t			 out[UDPHDR_MAX], frag;
	ssize_t			 n;
	size_t			 olen;

	check_prefixes("udp", p_udp, buf, len, UDPHDR_MAX);
	if ((n = socks_udp_parse(buf, len, &frag, &addr)) <= 0)
		return;
	check_addr(&addr);
	/* The encoder always writes FRAG 0; the rest must match. */
	olen = socks_udp_encode(out, sizeof(out), &addr);
	FUZZ_CHECK(olen == (size_t)n, "udp: encoded %zu, parsed %zd", olen,
	    n);
	FUZZ_CHECK(out[2] == 0 && frag == buf[2], "udp: frag");
	FUZZ_CHECK(memcmp(out, buf, 2) == 0 &&
	    memcmp(out + 3, buf + 3, n - 3) == 0, "udp: encoding differs");
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	fuzz_greeting(buf, len);
	fuzz_request(buf, len);
	fuzz_reply(buf, len);
	fuzz_udp(buf, len);
	return (0);
}

/*
 * Rule matching (common/rule.c) on rules built by hand, so that each
 * case shows exactly the condition it tests.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "config.h"
#include "rule.h"

/* A socket address from text, kept in caller's storage. */
static const struct sockaddr *
sa(struct sockaddr_storage *ss, const char *addr, int port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else {
		ATF_REQUIRE(inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	}
	return ((const struct sockaddr *)ss);
}

static void
am_any(struct addrmatch *am)
{
	memset(am, 0, sizeof(*am));
	am->am_type = ADDR_ANY;
}

static void
am_net(struct addrmatch *am, const char *addr, int prefixlen)
{
	memset(am, 0, sizeof(*am));
	am->am_type = ADDR_NET;
	if (inet_pton(AF_INET, addr, &am->am_addr.v4) == 1)
		am->am_family = AF_INET;
	else {
		ATF_REQUIRE(inet_pton(AF_INET6, addr, &am->am_addr.v6) == 1);
		am->am_family = AF_INET6;
	}
	am->am_prefixlen = prefixlen;
}

static void
am_domain(struct addrmatch *am, const char *name)
{
	memset(am, 0, sizeof(*am));
	am->am_type = ADDR_DOMAIN;
	(void)strlcpy(am->am_domain, name, sizeof(am->am_domain));
}

static void
am_port(struct addrmatch *am, enum portop op, int p1, int p2)
{
	am->am_portop = op;
	am->am_port1 = p1;
	am->am_port2 = p2;
}

static void
mkrule(struct rule *r, enum ruletype type, enum ruleaction action, int num)
{
	memset(r, 0, sizeof(*r));
	r->r_type = type;
	r->r_action = action;
	r->r_num = num;
	(void)strlcpy(r->r_file, "sockd.conf", sizeof(r->r_file));
	r->r_line = 10 + num;
	am_any(&r->r_from);
	am_any(&r->r_to);
}

static void
adduser(struct rule *r, const char *name)
{
	size_t	 len = strlen(name) + 1;

	ATF_REQUIRE(r->r_userslen + len <= sizeof(r->r_users));
	memcpy(r->r_users + r->r_userslen, name, len);
	r->r_userslen += len;
}

/* A CONNECT by an unauthenticated client from 10.0.0.1 to an address. */
static void
ctx_init(struct rule_ctx *ctx, struct sockaddr_storage *from,
    struct sockaddr_storage *to, const char *toaddr, int port)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->rc_from = sa(from, "10.0.0.1", 40000);
	ctx->rc_to = toaddr != NULL ? sa(to, toaddr, port) : NULL;
	ctx->rc_command = CMD_CONNECT;
	ctx->rc_method = METHOD_NONE;
	ctx->rc_level = -1;
}

static int
match(const struct addrmatch *am, const char *addr, int port)
{
	struct sockaddr_storage	 ss;

	return (rule_addr_match(am, sa(&ss, addr, port), NULL));
}

static int
match_name(const struct addrmatch *am, const char *name, int port)
{
	struct sockaddr_storage	 ss;

	return (rule_addr_match(am, sa(&ss, "0.0.0.0", port), name));
}

ATF_TC_WITHOUT_HEAD(first_match_wins);
ATF_TC_BODY(first_match_wins, tc)
{
	struct rule		 rules[4];
	struct sockaddr_storage	 from, to;
	const struct rule	*r;

	mkrule(&rules[0], RULE_SOCKS, RULE_PASS, 1);
	mkrule(&rules[1], RULE_CLIENT, RULE_BLOCK, 1);
	am_net(&rules[1].r_from, "10.1.0.0", 16);
	mkrule(&rules[2], RULE_CLIENT, RULE_PASS, 2);
	am_net(&rules[2].r_from, "10.0.0.0", 8);
	mkrule(&rules[3], RULE_CLIENT, RULE_PASS, 3);

	sa(&to, "127.0.0.1", 1080);
	r = rule_match_client(rules, 4, sa(&from, "10.1.2.3", 5000),
	    (struct sockaddr *)&to);
	ATF_CHECK(r == &rules[1]);
	r = rule_match_client(rules, 4, sa(&from, "10.2.3.4", 5000),
	    (struct sockaddr *)&to);
	ATF_CHECK(r == &rules[2]);
	r = rule_match_client(rules, 4, sa(&from, "192.0.2.1", 5000),
	    (struct sockaddr *)&to);
	ATF_CHECK(r == &rules[3]);
	/* Only the first n rules count. */
	ATF_CHECK(rule_match_client(rules, 1, (struct sockaddr *)&from,
	    (struct sockaddr *)&to) == NULL);
}

ATF_TC_WITHOUT_HEAD(no_match);
ATF_TC_BODY(no_match, tc)
{
	struct rule		 rules[2];
	struct rule_ctx		 ctx;
	struct sockaddr_storage	 from, to;

	mkrule(&rules[0], RULE_CLIENT, RULE_PASS, 1);
	am_net(&rules[0].r_from, "192.0.2.0", 24);
	mkrule(&rules[1], RULE_SOCKS, RULE_PASS, 1);
	am_net(&rules[1].r_to, "192.0.2.0", 24);

	ATF_CHECK(rule_match_client(rules, 2, sa(&from, "10.0.0.1", 1),
	    sa(&to, "127.0.0.1", 1080)) == NULL);
	ctx_init(&ctx, &from, &to, "198.51.100.1", 80);
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == NULL);
	ATF_CHECK(rule_match_socks(rules, 0, &ctx) == NULL);
	ATF_CHECK(rule_match_socks(NULL, 2, &ctx) == NULL);
	ATF_CHECK(rule_match_client(NULL, 0, (struct sockaddr *)&from,
	    (struct sockaddr *)&to) == NULL);
	/* A client rule never answers a socks request, nor the reverse. */
	ctx_init(&ctx, &from, &to, "192.0.2.1", 80);
	ATF_CHECK(rule_match_socks(rules, 1, &ctx) == NULL);
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ATF_CHECK(rule_match_client(&rules[1], 1, sa(&from, "192.0.2.1", 1),
	    (struct sockaddr *)&to) == NULL);
}

ATF_TC_WITHOUT_HEAD(port_operators);
ATF_TC_BODY(port_operators, tc)
{
	struct addrmatch	 am;

	am_any(&am);
	ATF_CHECK(match(&am, "10.0.0.1", 0));
	ATF_CHECK(match(&am, "10.0.0.1", 65535));

	am_port(&am, PORT_EQ, 80, 0);
	ATF_CHECK(match(&am, "10.0.0.1", 80));
	ATF_CHECK(!match(&am, "10.0.0.1", 81));
	ATF_CHECK(!match(&am, "10.0.0.1", 79));

	am_port(&am, PORT_NE, 80, 0);
	ATF_CHECK(!match(&am, "10.0.0.1", 80));
	ATF_CHECK(match(&am, "10.0.0.1", 81));

	am_port(&am, PORT_GE, 1024, 0);
	ATF_CHECK(match(&am, "10.0.0.1", 1024));
	ATF_CHECK(match(&am, "10.0.0.1", 65535));
	ATF_CHECK(!match(&am, "10.0.0.1", 1023));

	am_port(&am, PORT_LE, 1024, 0);
	ATF_CHECK(match(&am, "10.0.0.1", 1024));
	ATF_CHECK(match(&am, "10.0.0.1", 0));
	ATF_CHECK(!match(&am, "10.0.0.1", 1025));

	am_port(&am, PORT_GT, 1024, 0);
	ATF_CHECK(!match(&am, "10.0.0.1", 1024));
	ATF_CHECK(match(&am, "10.0.0.1", 1025));

	am_port(&am, PORT_LT, 1024, 0);
	ATF_CHECK(!match(&am, "10.0.0.1", 1024));
	ATF_CHECK(match(&am, "10.0.0.1", 1023));

	am_port(&am, PORT_RANGE, 1000, 2000);
	ATF_CHECK(!match(&am, "10.0.0.1", 999));
	ATF_CHECK(match(&am, "10.0.0.1", 1000));
	ATF_CHECK(match(&am, "10.0.0.1", 1500));
	ATF_CHECK(match(&am, "10.0.0.1", 2000));
	ATF_CHECK(!match(&am, "10.0.0.1", 2001));

	/* The port applies to IPv6 and to names too. */
	am_port(&am, PORT_EQ, 443, 0);
	ATF_CHECK(match(&am, "::1", 443));
	ATF_CHECK(!match(&am, "::1", 80));
	ATF_CHECK(match_name(&am, "www.example.com", 443));
	ATF_CHECK(!match_name(&am, "www.example.com", 80));
	/* A name without a port is port 0. */
	ATF_CHECK(!rule_addr_match(&am, NULL, "www.example.com"));
	am_port(&am, PORT_EQ, 0, 0);
	ATF_CHECK(rule_addr_match(&am, NULL, "www.example.com"));

	/* An operator that is none of ours never widens a rule. */
	am.am_portop = (enum portop)99;
	ATF_CHECK(!match(&am, "10.0.0.1", 0));
}

ATF_TC_WITHOUT_HEAD(prefix_v4);
ATF_TC_BODY(prefix_v4, tc)
{
	struct addrmatch	 am;

	am_net(&am, "10.0.0.0", 8);
	ATF_CHECK(match(&am, "10.0.0.0", 1));
	ATF_CHECK(match(&am, "10.255.255.255", 1));
	ATF_CHECK(!match(&am, "11.0.0.0", 1));
	ATF_CHECK(!match(&am, "9.255.255.255", 1));

	/* A prefix that ends inside an octet. */
	am_net(&am, "192.168.128.0", 17);
	ATF_CHECK(match(&am, "192.168.128.1", 1));
	ATF_CHECK(match(&am, "192.168.255.255", 1));
	ATF_CHECK(!match(&am, "192.168.127.255", 1));
	ATF_CHECK(!match(&am, "192.169.128.1", 1));

	am_net(&am, "192.0.2.2", 31);
	ATF_CHECK(match(&am, "192.0.2.2", 1));
	ATF_CHECK(match(&am, "192.0.2.3", 1));
	ATF_CHECK(!match(&am, "192.0.2.4", 1));
	ATF_CHECK(!match(&am, "192.0.2.1", 1));

	am_net(&am, "192.0.2.7", 32);
	ATF_CHECK(match(&am, "192.0.2.7", 1));
	ATF_CHECK(!match(&am, "192.0.2.6", 1));

	/* IPv4 rules see an IPv4-mapped IPv6 peer as the IPv4 address. */
	am_net(&am, "10.0.0.0", 8);
	ATF_CHECK(match(&am, "::ffff:10.1.2.3", 1));
	ATF_CHECK(!match(&am, "::ffff:11.1.2.3", 1));
	ATF_CHECK(!match(&am, "::a01:203", 1));

	/* No address family crosses over, and a name is no address. */
	ATF_CHECK(!match(&am, "::1", 1));
	ATF_CHECK(!match_name(&am, "10.1.2.3", 1));
	ATF_CHECK(!rule_addr_match(&am, NULL, NULL));
}

ATF_TC_WITHOUT_HEAD(prefix_v6);
ATF_TC_BODY(prefix_v6, tc)
{
	struct addrmatch	 am;

	am_net(&am, "2001:db8::", 32);
	ATF_CHECK(match(&am, "2001:db8::1", 1));
	ATF_CHECK(match(&am, "2001:db8:ffff:ffff::1", 1));
	ATF_CHECK(!match(&am, "2001:db9::1", 1));

	am_net(&am, "2001:db8:8000::", 33);
	ATF_CHECK(match(&am, "2001:db8:8000::1", 1));
	ATF_CHECK(match(&am, "2001:db8:ffff::1", 1));
	ATF_CHECK(!match(&am, "2001:db8:7fff::1", 1));

	am_net(&am, "fe80::2", 127);
	ATF_CHECK(match(&am, "fe80::2", 1));
	ATF_CHECK(match(&am, "fe80::3", 1));
	ATF_CHECK(!match(&am, "fe80::4", 1));

	am_net(&am, "::1", 128);
	ATF_CHECK(match(&am, "::1", 1));
	ATF_CHECK(!match(&am, "::2", 1));
	ATF_CHECK(!match(&am, "127.0.0.1", 1));
}

/* 0/0 is every address and name; 0.0.0.0/0 all IPv4; ::/0 all IPv6. */
ATF_TC_WITHOUT_HEAD(any_addresses);
ATF_TC_BODY(any_addresses, tc)
{
	struct addrmatch	 any, v4, v6;

	am_any(&any);
	am_net(&v4, "0.0.0.0", 0);
	am_net(&v6, "::", 0);

	ATF_CHECK(match(&any, "192.0.2.1", 1));
	ATF_CHECK(match(&any, "2001:db8::1", 1));
	ATF_CHECK(match_name(&any, "www.example.com", 1));
	ATF_CHECK(!rule_addr_match(&any, NULL, NULL));

	ATF_CHECK(match(&v4, "192.0.2.1", 1));
	ATF_CHECK(match(&v4, "::ffff:192.0.2.1", 1));
	ATF_CHECK(!match(&v4, "2001:db8::1", 1));
	ATF_CHECK(!match_name(&v4, "www.example.com", 1));

	ATF_CHECK(match(&v6, "2001:db8::1", 1));
	ATF_CHECK(match(&v6, "::", 1));
	ATF_CHECK(!match(&v6, "192.0.2.1", 1));
	ATF_CHECK(!match(&v6, "::ffff:192.0.2.1", 1));
	ATF_CHECK(!match_name(&v6, "www.example.com", 1));
}

ATF_TC_WITHOUT_HEAD(domains);
ATF_TC_BODY(domains, tc)
{
	struct addrmatch	 am;

	am_domain(&am, ".example.com");
	ATF_CHECK(match_name(&am, "www.example.com", 1));
	ATF_CHECK(match_name(&am, "a.b.example.com", 1));
	ATF_CHECK(match_name(&am, "example.com", 1));
	ATF_CHECK(match_name(&am, "WWW.Example.COM", 1));
	ATF_CHECK(match_name(&am, "www.example.com.", 1));
	ATF_CHECK(!match_name(&am, "badexample.com", 1));
	ATF_CHECK(!match_name(&am, "example.com.evil.net", 1));
	ATF_CHECK(!match_name(&am, "com", 1));
	ATF_CHECK(!match_name(&am, "", 1));
	/* A domain rule never matches an address. */
	ATF_CHECK(!match(&am, "192.0.2.1", 1));

	am_domain(&am, "host.example.com");
	ATF_CHECK(match_name(&am, "host.example.com", 1));
	ATF_CHECK(match_name(&am, "HOST.example.com.", 1));
	ATF_CHECK(!match_name(&am, "www.host.example.com", 1));
	ATF_CHECK(!match_name(&am, "host.example.co", 1));
	ATF_CHECK(!match_name(&am, "ost.example.com", 1));

	am_domain(&am, ".");
	ATF_CHECK(match_name(&am, "anything.example", 1));
	ATF_CHECK(match_name(&am, "localhost", 1));
	ATF_CHECK(!match(&am, "127.0.0.1", 1));

	am_domain(&am, ".example.com");
	am_port(&am, PORT_RANGE, 80, 443);
	ATF_CHECK(match_name(&am, "www.example.com", 443));
	ATF_CHECK(!match_name(&am, "www.example.com", 444));
}

ATF_TC_WITHOUT_HEAD(socks_names);
ATF_TC_BODY(socks_names, tc)
{
	struct rule		 rules[2];
	struct rule_ctx		 ctx;
	struct sockaddr_storage	 from, to;

	mkrule(&rules[0], RULE_SOCKS, RULE_BLOCK, 1);
	am_domain(&rules[0].r_to, ".example.com");
	mkrule(&rules[1], RULE_SOCKS, RULE_PASS, 2);
	am_net(&rules[1].r_to, "0.0.0.0", 0);

	ctx_init(&ctx, &from, &to, "0.0.0.0", 80);
	ctx.rc_toname = "www.example.com";
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[0]);
	/* A name matches no address rule, not even 0.0.0.0/0. */
	ctx.rc_toname = "www.example.net";
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == NULL);
	/* The same target by address passes the domain rule by. */
	ctx_init(&ctx, &from, &to, "192.0.2.1", 80);
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
}

ATF_TC_WITHOUT_HEAD(users);
ATF_TC_BODY(users, tc)
{
	struct rule		 rules[2];
	struct rule_ctx		 ctx;
	struct sockaddr_storage	 from, to;

	mkrule(&rules[0], RULE_SOCKS, RULE_PASS, 1);
	adduser(&rules[0], "alice@EXAMPLE.COM");
	adduser(&rules[0], "bob@EXAMPLE.COM");
	mkrule(&rules[1], RULE_SOCKS, RULE_BLOCK, 2);

	ctx_init(&ctx, &from, &to, "192.0.2.1", 80);
	ctx.rc_method = METHOD_GSSAPI;
	ctx.rc_level = GSS_LEVEL_CONF;
	ctx.rc_principal = "alice@EXAMPLE.COM";
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[0]);
	ctx.rc_principal = "bob@EXAMPLE.COM";
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[0]);
	/* Exactly: case, realm and all. */
	ctx.rc_principal = "Alice@EXAMPLE.COM";
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ctx.rc_principal = "alice@example.com";
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ctx.rc_principal = "alice";
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ctx.rc_principal = "alice@EXAMPLE.COM.EVIL";
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ctx.rc_principal = "bob@EXAMPLE.CO";
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ctx.rc_principal = NULL;
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ctx.rc_principal = "";
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
}

ATF_TC_WITHOUT_HEAD(socksmethod);
ATF_TC_BODY(socksmethod, tc)
{
	struct rule		 rules[2];
	struct rule_ctx		 ctx;
	struct sockaddr_storage	 from, to;

	mkrule(&rules[0], RULE_SOCKS, RULE_PASS, 1);
	rules[0].r_methods.ml_n = 1;
	rules[0].r_methods.ml_m[0] = METHOD_GSSAPI;
	mkrule(&rules[1], RULE_SOCKS, RULE_BLOCK, 2);

	ctx_init(&ctx, &from, &to, "192.0.2.1", 80);
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ctx.rc_method = METHOD_GSSAPI;
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[0]);
	/* No socksmethod: in a rule means any method. */
	ctx.rc_method = METHOD_NONE;
	ATF_CHECK(rule_match_socks(&rules[1], 1, &ctx) == &rules[1]);
}

ATF_TC_WITHOUT_HEAD(commands);
ATF_TC_BODY(commands, tc)
{
	struct rule		 rules[3];
	struct rule_ctx		 ctx;
	struct sockaddr_storage	 from, to;

	mkrule(&rules[0], RULE_SOCKS, RULE_PASS, 1);
	rules[0].r_commands = CMD_CONNECT;
	mkrule(&rules[1], RULE_SOCKS, RULE_PASS, 2);
	rules[1].r_commands = CMD_BIND | CMD_UDPASSOCIATE;
	mkrule(&rules[2], RULE_SOCKS, RULE_BLOCK, 3);	/* 0: all */

	ctx_init(&ctx, &from, &to, "192.0.2.1", 80);
	ATF_CHECK(rule_match_socks(rules, 3, &ctx) == &rules[0]);
	ctx.rc_command = CMD_BIND;
	ATF_CHECK(rule_match_socks(rules, 3, &ctx) == &rules[1]);
	ctx.rc_command = CMD_UDPASSOCIATE;
	ATF_CHECK(rule_match_socks(rules, 3, &ctx) == &rules[1]);
	ctx.rc_command = CMD_BINDREPLY;
	ATF_CHECK(rule_match_socks(rules, 3, &ctx) == &rules[2]);
	ctx.rc_command = CMD_UDPREPLY;
	ATF_CHECK(rule_match_socks(rules, 3, &ctx) == &rules[2]);
}

ATF_TC_WITHOUT_HEAD(enctype_level);
ATF_TC_BODY(enctype_level, tc)
{
	struct rule		 rules[2];
	struct rule_ctx		 ctx;
	struct sockaddr_storage	 from, to;

	mkrule(&rules[0], RULE_SOCKS, RULE_PASS, 1);
	rules[0].r_gss_set = GC_SET_LEVELS;
	rules[0].r_gss.gc_levels = GSS_LEVEL_BIT(GSS_LEVEL_CONF);
	mkrule(&rules[1], RULE_SOCKS, RULE_BLOCK, 2);
	/* Inherited levels are no condition. */
	rules[1].r_gss.gc_levels = GSS_LEVEL_BIT(GSS_LEVEL_CONF);

	ctx_init(&ctx, &from, &to, "192.0.2.1", 80);
	ctx.rc_method = METHOD_GSSAPI;
	ctx.rc_level = GSS_LEVEL_CONF;
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[0]);
	ctx.rc_level = GSS_LEVEL_INTEGRITY;
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ctx.rc_level = GSS_LEVEL_CLEAR;
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ctx.rc_level = -1;
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ctx.rc_level = 40;
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);

	rules[0].r_gss.gc_levels |= GSS_LEVEL_BIT(GSS_LEVEL_CLEAR);
	ctx.rc_level = GSS_LEVEL_CLEAR;
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[0]);
}

/* Dante never asks a reply for the authentication of the session. */
ATF_TC_WITHOUT_HEAD(replies);
ATF_TC_BODY(replies, tc)
{
	struct rule		 rules[2];
	struct rule_ctx		 ctx;
	struct sockaddr_storage	 from, to;

	mkrule(&rules[0], RULE_SOCKS, RULE_PASS, 1);
	rules[0].r_methods.ml_n = 1;
	rules[0].r_methods.ml_m[0] = METHOD_GSSAPI;
	adduser(&rules[0], "alice@EXAMPLE.COM");
	rules[0].r_gss_set = GC_SET_LEVELS;
	rules[0].r_gss.gc_levels = GSS_LEVEL_BIT(GSS_LEVEL_CONF);
	mkrule(&rules[1], RULE_SOCKS, RULE_BLOCK, 2);

	ctx_init(&ctx, &from, &to, "192.0.2.1", 80);
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ctx.rc_command = CMD_BINDREPLY;
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[0]);
	ctx.rc_command = CMD_UDPREPLY;
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[0]);
}

ATF_TC_WITHOUT_HEAD(socks_addresses);
ATF_TC_BODY(socks_addresses, tc)
{
	struct rule		 rules[2];
	struct rule_ctx		 ctx;
	struct sockaddr_storage	 from, to;

	mkrule(&rules[0], RULE_SOCKS, RULE_PASS, 1);
	am_net(&rules[0].r_from, "10.0.0.0", 8);
	am_net(&rules[0].r_to, "2001:db8::", 32);
	am_port(&rules[0].r_to, PORT_EQ, 22, 0);
	mkrule(&rules[1], RULE_SOCKS, RULE_BLOCK, 2);

	ctx_init(&ctx, &from, &to, "2001:db8::5", 22);
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[0]);
	ctx_init(&ctx, &from, &to, "2001:db8::5", 23);
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ctx_init(&ctx, &from, &to, "2001:db9::5", 22);
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
	ctx_init(&ctx, &from, &to, "2001:db8::5", 22);
	ctx.rc_from = sa(&from, "11.0.0.1", 40000);
	ATF_CHECK(rule_match_socks(rules, 2, &ctx) == &rules[1]);
}

ATF_TC_WITHOUT_HEAD(method_allowed);
ATF_TC_BODY(method_allowed, tc)
{
	struct methodlist	 ml;

	memset(&ml, 0, sizeof(ml));
	ATF_CHECK(rule_method_allowed(&ml, METHOD_NONE));
	ATF_CHECK(rule_method_allowed(&ml, METHOD_GSSAPI));
	ATF_CHECK(!rule_method_allowed(&ml, METHOD_NOACCEPT));
	ml.ml_n = 2;
	ml.ml_m[0] = METHOD_GSSAPI;
	ml.ml_m[1] = METHOD_NONE;
	ATF_CHECK(rule_method_allowed(&ml, METHOD_NONE));
	ATF_CHECK(rule_method_allowed(&ml, METHOD_GSSAPI));
	ATF_CHECK(!rule_method_allowed(&ml, METHOD_UNAME));
	ATF_CHECK(!rule_method_allowed(&ml, METHOD_NOACCEPT));
	ml.ml_n = 1;
	ATF_CHECK(!rule_method_allowed(&ml, METHOD_NONE));
}

ATF_TC_WITHOUT_HEAD(strings);
ATF_TC_BODY(strings, tc)
{
	struct rule	 r;
	struct addrmatch am;
	char		 buf[256], small[8];

	mkrule(&r, RULE_SOCKS, RULE_PASS, 3);
	ATF_CHECK_STREQ(rule_str(&r, buf, sizeof(buf)),
	    "socks pass rule #3 (sockd.conf:13)");
	mkrule(&r, RULE_CLIENT, RULE_BLOCK, 1);
	ATF_CHECK_STREQ(rule_str(&r, buf, sizeof(buf)),
	    "client block rule #1 (sockd.conf:11)");
	ATF_CHECK_STREQ(rule_str(&r, small, sizeof(small)), "client ");

	am_any(&am);
	ATF_CHECK_STREQ(rule_addr_str(&am, buf, sizeof(buf)), "0/0");
	am_net(&am, "10.0.0.0", 8);
	am_port(&am, PORT_NE, 25, 0);
	ATF_CHECK_STREQ(rule_addr_str(&am, buf, sizeof(buf)),
	    "10.0.0.0/8 port != 25");
	am_net(&am, "2001:db8::", 32);
	am_port(&am, PORT_RANGE, 1, 1023);
	ATF_CHECK_STREQ(rule_addr_str(&am, buf, sizeof(buf)),
	    "2001:db8::/32 port 1 - 1023");
	am_domain(&am, ".example.com");
	am_port(&am, PORT_GE, 1024, 0);
	ATF_CHECK_STREQ(rule_addr_str(&am, buf, sizeof(buf)),
	    ".example.com port >= 1024");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, first_match_wins);
	ATF_TP_ADD_TC(tp, no_match);
	ATF_TP_ADD_TC(tp, port_operators);
	ATF_TP_ADD_TC(tp, prefix_v4);
	ATF_TP_ADD_TC(tp, prefix_v6);
	ATF_TP_ADD_TC(tp, any_addresses);
	ATF_TP_ADD_TC(tp, domains);
	ATF_TP_ADD_TC(tp, socks_names);
	ATF_TP_ADD_TC(tp, users);
	ATF_TP_ADD_TC(tp, socksmethod);
	ATF_TP_ADD_TC(tp, commands);
	ATF_TP_ADD_TC(tp, enctype_level);
	ATF_TP_ADD_TC(tp, replies);
	ATF_TP_ADD_TC(tp, socks_addresses);
	ATF_TP_ADD_TC(tp, method_allowed);
	ATF_TP_ADD_TC(tp, strings);
	return (atf_no_error());
}

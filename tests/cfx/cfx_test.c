/*
 * Cross-checks of relayd's RFC 4121 fast path (relayd/cfx.c, called
 * through relay_gss.c exactly as the relay calls it) against the GSS-API
 * libraries, not against itself: tokens our wrap makes are unwrapped by
 * Heimdal's gss_unwrap (in this process) and by MIT's (cfx_mitpeer, over
 * a pipe), and tokens their gss_wrap makes are unwrapped by ours, for
 * each enctype the fast path implements, at integrity and at
 * confidentiality, sizes 0 to the library's limit for 65535-byte tokens,
 * with our side as the acceptor (as in the relay) and as the initiator.
 * Then what must be refused: every byte of a token tampered with,
 * truncated tokens, our own tokens reflected, replayed, reordered and
 * skipped tokens on a stream, duplicate and too old datagrams, a token
 * without confidentiality at that level.  Contexts the fast path does not
 * implement (des3, arcfour) and relayd -G stay on the library.
 *
 * Each context first goes through RFC 1961's protection subnegotiation,
 * one token each way, as authd does before exporting it.
 */

#include <sys/types.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <atf-c.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

#include "cfx.h"
#include "cfxenv.h"
#include "log.h"
#include "relayd.h"

/* relay_gss.c's, until relayd.h declares them. */
extern int	 relay_gss_library;
void		 relay_gss_release(struct relay_session *, gss_buffer_t);
const char	*relay_gss_protect(const struct relay_session *);

#define BUFCAP		(GSSF_MAXTOKEN + 1024)
#define NRANDOM		16	/* random sizes per level */
#define NBURST		400	/* consecutive tokens each way */
#define NDGRAM		80

/* The other end: a Heimdal context here, or MIT's in cfx_mitpeer. */
struct peer {
	gss_ctx_id_t	 p_ctx;
	pid_t		 p_pid;
	int		 p_wfd;
	int		 p_rfd;
};

struct buf {
	uint8_t		*b;
	size_t		 len;
};

static const struct {
	int		 type;
	const char	*protect;
} expect[] = {
	{ CFX_AES128_SHA1, "cfx-aes128-sha1" },
	{ CFX_AES256_SHA1, "cfx-aes256-sha1" },
	{ CFX_AES128_SHA256, "cfx-aes128-sha256" },
	{ CFX_AES256_SHA384, "cfx-aes256-sha384" }
};

static void
buf_init(struct buf *b)
{
	ATF_REQUIRE((b->b = malloc(BUFCAP)) != NULL);
	b->len = 0;
}

static void
buf_set(struct buf *b, const void *p, size_t len)
{
	ATF_REQUIRE(len <= BUFCAP);
	if (len > 0)
		memcpy(b->b, p, len);
	b->len = len;
}

static void
setup_log(void)
{
	log_init(1, LOG_DAEMON);
	log_setverbose(0);
}

/* The MIT helper, over a pipe. */

static void
mit_io(int fd, void *buf, size_t len, int wr)
{
	uint8_t	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		n = wr ? write(fd, p, len) : read(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		ATF_REQUIRE_MSG(n > 0, "cfx_mitpeer: %s", n == 0 ? "gone" :
		    strerror(errno));
		p += n;
		len -= n;
	}
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* One request; the answer's data in out, its major status returned. */
static OM_uint32
mit_call(struct peer *p, char op, int flag, const void *data, size_t len,
    struct buf *out, int *oflag)
{
	uint8_t		 hdr[13];
	OM_uint32	 major;
	size_t		 olen;

	hdr[0] = op;
	hdr[1] = flag;
	put32(hdr + 2, len);
	mit_io(p->p_wfd, hdr, 6, 1);
	if (len > 0)
		mit_io(p->p_wfd, (void *)(uintptr_t)data, len, 1);
	mit_io(p->p_rfd, hdr, sizeof(hdr), 0);
	major = get32(hdr + 1);
	olen = get32(hdr + 9);
	ATF_REQUIRE(olen <= BUFCAP);
	if (olen > 0)
		mit_io(p->p_rfd, out->b, olen, 0);
	out->len = olen;
	if (oflag != NULL)
		*oflag = hdr[0];
	if (GSS_ERROR(major))
		fprintf(stderr, "cfx_mitpeer %c: major %#x minor %#x\n", op,
		    major, get32(hdr + 5));
	return (major);
}

/*
 * MIT's acceptor picks the acceptor subkey's enctype by its own
 * preference among those the initiator offers (RFC 4537), so it gets a
 * krb5.conf of its own that permits the realm's enctype alone.
 */
static void
mit_conf(struct cfx_env *e, char *path, size_t len)
{
	uint8_t	*buf;
	size_t	 n;
	FILE	*f;

	ATF_REQUIRE((size_t)snprintf(path, len, "%s/krb5-mit.conf",
	    e->ce_realm.tk_dir) < len);
	buf = tk_readfile(e->ce_realm.tk_conf, &n);
	ATF_REQUIRE((f = fopen(path, "w")) != NULL);
	ATF_REQUIRE(fwrite(buf, 1, n, f) == n);
	fprintf(f, "[libdefaults]\n\tpermitted_enctypes = %s\n",
	    ce_enctype_name(e->ce_enctype));
	ATF_REQUIRE(fclose(f) == 0);
	free(buf);
}

static void
mit_start(struct peer *p, const atf_tc_t *tc, struct cfx_env *e,
    const char *mode)
{
	char	 prog[PATH_MAX], kt[PATH_MAX + 8], conf[PATH_MAX];
	int	 in[2], out[2];

	(void)snprintf(prog, sizeof(prog), "%s/cfx_mitpeer",
	    atf_tc_get_config_var(tc, "srcdir"));
	(void)snprintf(kt, sizeof(kt), "FILE:%s", e->ce_keytab);
	mit_conf(e, conf, sizeof(conf));
	ATF_REQUIRE(pipe(in) == 0 && pipe(out) == 0);
	memset(p, 0, sizeof(*p));
	p->p_ctx = GSS_C_NO_CONTEXT;
	ATF_REQUIRE((p->p_pid = fork()) != -1);
	if (p->p_pid == 0) {
#ifdef __linux__
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		(void)dup2(in[0], STDIN_FILENO);
		(void)dup2(out[1], STDOUT_FILENO);
		(void)close(in[1]);
		(void)close(out[0]);
		(void)setenv("KRB5_CONFIG", conf, 1);
		(void)setenv("KRB5CCNAME", e->ce_ccache, 1);
		(void)setenv("KRB5_KTNAME", kt, 1);
		(void)setenv("KRB5RCACHETYPE", "none", 1);
		if (strcmp(mode, "init") == 0)
			execl(prog, "cfx_mitpeer", "init", CE_SERVICE,
			    (char *)NULL);
		else
			execl(prog, "cfx_mitpeer", "accept", (char *)NULL);
		_exit(127);
	}
	(void)close(in[0]);
	(void)close(out[1]);
	p->p_wfd = in[1];
	p->p_rfd = out[0];
}

static void
mit_stop(struct peer *p)
{
	int	 status, i;

	(void)close(p->p_wfd);
	(void)close(p->p_rfd);
	for (i = 0; i < 500; i++) {
		if (waitpid(p->p_pid, &status, WNOHANG) == p->p_pid)
			return;
		(void)usleep(10000);
	}
	(void)kill(p->p_pid, SIGKILL);
	(void)waitpid(p->p_pid, &status, 0);
}

/* What either peer does. */

static void
peer_wrap(struct peer *p, int conf, const void *data, size_t len,
    struct buf *out)
{
	gss_buffer_desc	 in, tok = GSS_C_EMPTY_BUFFER;
	OM_uint32	 major, minor;
	int		 state = 0;

	if (p->p_ctx == GSS_C_NO_CONTEXT) {
		major = mit_call(p, 'W', conf, data, len, out, &state);
		ATF_REQUIRE_MSG(major == GSS_S_COMPLETE && state == conf,
		    "MIT gss_wrap of %zu: major %#x", len, major);
		return;
	}
	in.value = (void *)(uintptr_t)data;
	in.length = len;
	major = gss_wrap(&minor, p->p_ctx, conf, GSS_C_QOP_DEFAULT, &in,
	    &state, &tok);
	if (major != GSS_S_COMPLETE)
		ce_fail_gss("gss_wrap", major, minor);
	ATF_REQUIRE(state == conf);
	buf_set(out, tok.value, tok.length);
	(void)gss_release_buffer(&minor, &tok);
}

static OM_uint32
peer_unwrap(struct peer *p, const void *data, size_t len, struct buf *out,
    int *conf)
{
	gss_buffer_desc	 in, pt = GSS_C_EMPTY_BUFFER;
	OM_uint32	 major, minor;
	uint8_t		*copy;

	*conf = -1;
	if (p->p_ctx == GSS_C_NO_CONTEXT)
		return (mit_call(p, 'U', 0, data, len, out, conf));
	/* Heimdal rotates the token in place. */
	ATF_REQUIRE((copy = malloc(len + 1)) != NULL);
	memcpy(copy, data, len);
	in.value = copy;
	in.length = len;
	major = gss_unwrap(&minor, p->p_ctx, &in, &pt, conf, NULL);
	if (major == GSS_S_COMPLETE)
		buf_set(out, pt.value, pt.length);
	(void)gss_release_buffer(&minor, &pt);
	free(copy);
	return (major);
}

static size_t
peer_limit(struct peer *p, int conf)
{
	OM_uint32	 major, minor, max = 0;
	struct buf	 b;

	if (p->p_ctx == GSS_C_NO_CONTEXT) {
		buf_init(&b);
		major = mit_call(p, 'L', conf, NULL, 0, &b, NULL);
		ATF_REQUIRE(major == GSS_S_COMPLETE && b.len == 4);
		max = get32(b.b);
		free(b.b);
		return (max);
	}
	major = gss_wrap_size_limit(&minor, p->p_ctx, conf, GSS_C_QOP_DEFAULT,
	    GSSF_MAXTOKEN, &max);
	if (GSS_ERROR(major))
		ce_fail_gss("gss_wrap_size_limit", major, minor);
	return (max);
}

/* A context step of MIT's; 1 when its side is complete. */
static int
peer_step(struct peer *p, gss_buffer_t in, struct buf *out)
{
	OM_uint32	 major;
	int		 done = 0;

	major = mit_call(p, 'C', 0, in->value, in->length, out, &done);
	ATF_REQUIRE_MSG(!GSS_ERROR(major), "MIT context step: major %#x",
	    major);
	return (done);
}

/* The subnegotiation's two tokens between a Heimdal context and MIT. */
static void
peer_subneg(struct peer *p, gss_ctx_id_t ctx)
{
	struct peer	 here;
	struct buf	 t, pt;
	uint8_t		 level = 2;
	int		 conf;

	buf_init(&t);
	buf_init(&pt);
	memset(&here, 0, sizeof(here));
	here.p_ctx = ctx;
	peer_wrap(p, 0, &level, 1, &t);
	ATF_REQUIRE(peer_unwrap(&here, t.b, t.len, &pt, &conf) ==
	    GSS_S_COMPLETE && pt.len == 1 && pt.b[0] == level);
	peer_wrap(&here, 0, &level, 1, &t);
	ATF_REQUIRE(peer_unwrap(p, t.b, t.len, &pt, &conf) ==
	    GSS_S_COMPLETE && pt.len == 1 && pt.b[0] == level);
	free(t.b);
	free(pt.b);
}

/* MIT's initiator, Heimdal's acceptor in *acc. */
static void
mit_handshake_init(struct cfx_env *e, struct peer *p, gss_ctx_id_t *acc)
{
	gss_buffer_desc	 in = GSS_C_EMPTY_BUFFER, resp = GSS_C_EMPTY_BUFFER;
	OM_uint32	 minor;
	struct buf	 out;
	int		 pdone = 0, adone = 0, round;

	buf_init(&out);
	*acc = GSS_C_NO_CONTEXT;
	for (round = 0; round < 5 && !(pdone && adone); round++) {
		if (!pdone)
			pdone = peer_step(p, &in, &out);
		(void)gss_release_buffer(&minor, &resp);
		in.value = NULL;
		in.length = 0;
		if (out.len > 0) {
			in.value = out.b;
			in.length = out.len;
			adone = ce_accept_step(e, acc, &in, &resp);
			in = resp;
		}
	}
	ATF_REQUIRE_MSG(pdone && adone, "no context with MIT's initiator");
	(void)gss_release_buffer(&minor, &resp);
	free(out.b);
}

/* Heimdal's initiator in *ini, MIT's acceptor. */
static void
mit_handshake_accept(struct cfx_env *e, struct peer *p, gss_ctx_id_t *ini)
{
	gss_buffer_desc	 in = GSS_C_EMPTY_BUFFER, tok = GSS_C_EMPTY_BUFFER;
	OM_uint32	 minor;
	struct buf	 out;
	int		 idone = 0, pdone = 0, round;

	buf_init(&out);
	*ini = GSS_C_NO_CONTEXT;
	for (round = 0; round < 5 && !(idone && pdone); round++) {
		if (!idone)
			idone = ce_init_step(e, ini, &in, &tok);
		in.value = NULL;
		in.length = 0;
		if (tok.length > 0) {
			pdone = peer_step(p, &tok, &out);
			(void)gss_release_buffer(&minor, &tok);
			in.value = out.b;
			in.length = out.len;
		}
	}
	ATF_REQUIRE_MSG(idone && pdone, "no context with MIT's acceptor");
	free(out.b);
}

/* The checks, on a relay session and its peer. */

static void
ours_to_peer(struct relay_session *rs, struct peer *p, const uint8_t *msg,
    size_t len)
{
	gss_buffer_desc	 tok = GSS_C_EMPTY_BUFFER;
	struct buf	 pt;
	OM_uint32	 major;
	int		 conf, want = rs->rs_level == GSS_LEVEL_CONF;

	buf_init(&pt);
	ATF_REQUIRE_MSG(relay_gss_wrap(rs, msg, len, &tok) == 0,
	    "our wrap of %zu bytes failed", len);
	major = peer_unwrap(p, tok.value, tok.length, &pt, &conf);
	ATF_REQUIRE_MSG(major == GSS_S_COMPLETE, "the library's gss_unwrap of "
	    "our %s token of %zu bytes: major %#x", want ? "sealed" :
	    "signed", len, major);
	ATF_REQUIRE_MSG(conf == want, "conf_state %d, wanted %d", conf, want);
	ATF_REQUIRE_MSG(pt.len == len && (len == 0 ||
	    memcmp(pt.b, msg, len) == 0), "plaintext of %zu bytes differs "
	    "(%zu back)", len, pt.len);
	relay_gss_release(rs, &tok);
	free(pt.b);
}

/* The peer's token for msg, through our unwrap: 0 taken, -1 refused. */
static int
ours_unwrap(struct relay_session *rs, const struct buf *t, const uint8_t *msg,
    size_t len, int dgram)
{
	gss_buffer_desc	 out = GSS_C_EMPTY_BUFFER;
	int		 r;

	r = dgram ? relay_gss_unwrap_dgram(rs, t->b, t->len, &out) :
	    relay_gss_unwrap(rs, t->b, t->len, &out);
	if (r == -1)
		return (-1);
	ATF_REQUIRE_MSG(msg == NULL || (out.length == len && (len == 0 ||
	    memcmp(out.value, msg, len) == 0)), "our unwrap of %zu bytes "
	    "gave %zu different ones", len, out.length);
	relay_gss_release(rs, &out);
	return (0);
}

static void
peer_to_ours(struct relay_session *rs, struct peer *p, const uint8_t *msg,
    size_t len)
{
	struct buf	 t;
	int		 conf = rs->rs_level == GSS_LEVEL_CONF;

	buf_init(&t);
	peer_wrap(p, conf, msg, len, &t);
	ATF_REQUIRE_MSG(ours_unwrap(rs, &t, msg, len, 0) == 0,
	    "our unwrap of the library's %s token of %zu bytes (%zu) failed",
	    conf ? "sealed" : "signed", len, t.len);
	free(t.b);
}

static void
roundtrip(struct relay_session *rs, struct peer *p, size_t len)
{
	uint8_t	*msg;

	ATF_REQUIRE((msg = malloc(len + 1)) != NULL);
	ce_random(msg, len);
	ours_to_peer(rs, p, msg, len);
	peer_to_ours(rs, p, msg, len);
	free(msg);
}

/* Sizes 0 to the limit, which must be the library's, both ways. */
static void
check_sizes(struct relay_session *rs, struct peer *p, int level)
{
	static const size_t	 fixed[] = { 0, 1, 15, 16, 17, 31, 32, 33, 47,
				    48, 49, 100, 1000, 4095, 4096, 4097 };
	gss_buffer_desc		 tok = GSS_C_EMPTY_BUFFER;
	uint8_t			*big;
	size_t			 max, i;
	int			 conf = level == GSS_LEVEL_CONF;

	rs->rs_level = level;
	max = peer_limit(p, conf);
	ATF_REQUIRE_MSG(cfx_wrap_limit(rs->rs_cfx, conf, GSSF_MAXTOKEN) ==
	    max, "our limit %zu, the library's %zu",
	    cfx_wrap_limit(rs->rs_cfx, conf, GSSF_MAXTOKEN), max);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		roundtrip(rs, p, fixed[i]);
	for (i = 0; i < NRANDOM; i++)
		roundtrip(rs, p, arc4random_uniform(max + 1));
	roundtrip(rs, p, max - 1);
	roundtrip(rs, p, max);
	/* One more byte would not fit a 65535-byte token. */
	ATF_REQUIRE((big = calloc(1, max + 1)) != NULL);
	ATF_REQUIRE(relay_gss_wrap(rs, big, max + 1, &tok) == -1);
	free(big);
	roundtrip(rs, p, 5);
}

/* Many consecutive sequence numbers, levels mixed. */
static void
check_burst(struct relay_session *rs, struct peer *p)
{
	int	 i;

	for (i = 0; i < NBURST; i++) {
		rs->rs_level = i % 3 == 0 ? GSS_LEVEL_INTEGRITY :
		    GSS_LEVEL_CONF;
		roundtrip(rs, p, arc4random_uniform(600));
	}
}

/*
 * The peer's token with one byte changed, for each byte (a sample of a
 * long one's body): refused, except a change of RRC to the same rotation
 * (RRC is not protected, RFC 4121 section 4.2.5).  The token itself is
 * still taken after all that.
 */
static void
check_tamper(struct relay_session *rs, struct peer *p, int level, size_t len)
{
	static const uint8_t	 masks[] = { 0x01, 0x80 };
	struct buf		 t, bad;
	uint8_t			*msg;
	size_t			 i, j, body, rrc, nrrc;
	int			 conf = level == GSS_LEVEL_CONF;

	rs->rs_level = level;
	ATF_REQUIRE((msg = malloc(len + 1)) != NULL);
	ce_random(msg, len);
	buf_init(&t);
	buf_init(&bad);
	peer_wrap(p, conf, msg, len, &t);
	body = t.len - CFX_HDRLEN;
	rrc = ((size_t)t.b[6] << 8 | t.b[7]) % body;
	for (i = 0; i < t.len; i++) {
		if (t.len > 160 && i >= 48 && i < t.len - 48 &&
		    arc4random_uniform(t.len / 32) != 0)
			continue;
		for (j = 0; j < sizeof(masks); j++) {
			buf_set(&bad, t.b, t.len);
			bad.b[i] ^= masks[j];
			nrrc = ((size_t)bad.b[6] << 8 | bad.b[7]) % body;
			if ((i == 6 || i == 7) && nrrc == rrc)
				continue;
			ATF_REQUIRE_MSG(ours_unwrap(rs, &bad, NULL, 0, 0) == -1,
			    "%s token of %zu bytes: byte %zu ^ %#x taken",
			    conf ? "sealed" : "signed", t.len, i, masks[j]);
		}
	}
	/* Shorter, longer. */
	for (i = 1; i <= t.len; i = i < 40 ? i + 1 : i * 2) {
		buf_set(&bad, t.b, t.len - i);
		ATF_REQUIRE_MSG(ours_unwrap(rs, &bad, NULL, 0, 0) == -1,
		    "token cut by %zu taken", i);
	}
	buf_set(&bad, t.b, t.len);
	bad.b[bad.len++] = 0;
	ATF_REQUIRE(ours_unwrap(rs, &bad, NULL, 0, 0) == -1);
	ATF_REQUIRE_MSG(ours_unwrap(rs, &t, msg, len, 0) == 0,
	    "the untampered token was refused");
	free(t.b);
	free(bad.b);
	free(msg);
}

/* Our own token, reflected back to us, is refused; the peer takes it. */
static void
check_reflect(struct relay_session *rs, struct peer *p)
{
	gss_buffer_desc	 tok = GSS_C_EMPTY_BUFFER;
	struct buf	 t, pt;
	int		 conf;

	buf_init(&t);
	buf_init(&pt);
	ATF_REQUIRE(relay_gss_wrap(rs, "x", 1, &tok) == 0);
	buf_set(&t, tok.value, tok.length);
	relay_gss_release(rs, &tok);
	ATF_REQUIRE(ours_unwrap(rs, &t, NULL, 0, 0) == -1);
	ATF_REQUIRE(peer_unwrap(p, t.b, t.len, &pt, &conf) ==
	    GSS_S_COMPLETE && pt.len == 1 && pt.b[0] == 'x');
	free(t.b);
	free(pt.b);
}

/*
 * A stream takes the next sequence number only: a skipped, a replayed
 * or a reordered token is refused, and the right one still taken.
 */
static void
check_stream_order(struct relay_session *rs, struct peer *p,
    const struct buf *first)
{
	struct buf	 t[6];
	uint8_t		 msg[6][8];
	int		 i, conf = rs->rs_level == GSS_LEVEL_CONF;

	for (i = 0; i < 6; i++) {
		buf_init(&t[i]);
		ce_random(msg[i], sizeof(msg[i]));
		peer_wrap(p, conf, msg[i], sizeof(msg[i]), &t[i]);
	}
#define TAKE(n)	ATF_REQUIRE_MSG(ours_unwrap(rs, &t[n], msg[n], \
		    sizeof(msg[n]), 0) == 0, "token %d refused", n)
#define REFUSE(n) ATF_REQUIRE_MSG(ours_unwrap(rs, &t[n], NULL, 0, 0) == \
		    -1, "token %d taken out of order", n)
	REFUSE(1);
	TAKE(0);
	REFUSE(0);
	REFUSE(2);
	TAKE(1);
	TAKE(2);
	REFUSE(1);
	REFUSE(0);
	REFUSE(4);
	TAKE(3);
	TAKE(4);
	TAKE(5);
	REFUSE(5);
#undef TAKE
#undef REFUSE
	/* The session's first token, checked by the library, replayed. */
	ATF_REQUIRE_MSG(ours_unwrap(rs, first, NULL, 0, 0) == -1,
	    "the first token replayed was taken");
	for (i = 0; i < 6; i++)
		free(t[i].b);
}

/*
 * Datagrams (a window of 64, cfx.c's CFX_WINDOW): late and out of
 * order within the window are taken once;
 * duplicates and those older than the window are refused; and a stream
 * token after them carries on from the highest.
 */
static void
check_dgram(struct relay_session *rs, struct peer *p)
{
	struct buf	 t[NDGRAM];
	uint8_t		 msg[NDGRAM][4];
	int		 i, conf = rs->rs_level == GSS_LEVEL_CONF;

	for (i = 0; i < NDGRAM; i++) {
		buf_init(&t[i]);
		ce_random(msg[i], sizeof(msg[i]));
		peer_wrap(p, conf, msg[i], sizeof(msg[i]), &t[i]);
	}
#define TAKE(n)	ATF_REQUIRE_MSG(ours_unwrap(rs, &t[n], msg[n], \
		    sizeof(msg[n]), 1) == 0, "datagram %d refused", n)
#define REFUSE(n) ATF_REQUIRE_MSG(ours_unwrap(rs, &t[n], NULL, 0, 1) == \
		    -1, "datagram %d taken", n)
	TAKE(2);
	TAKE(0);
	REFUSE(2);
	TAKE(1);
	REFUSE(0);
	TAKE(9);
	TAKE(5);
	REFUSE(5);
	TAKE(NDGRAM - 1);
	REFUSE(9);		/* 70 back: outside the window */
	REFUSE(10);		/* 69 back, never seen, but too old */
	REFUSE(15);		/* 64 back: just outside */
	TAKE(16);		/* 63 back, never seen: just inside */
	REFUSE(16);
	TAKE(20);
	REFUSE(20);
	TAKE(NDGRAM - 2);
#undef TAKE
#undef REFUSE
	for (i = 0; i < NDGRAM; i++)
		free(t[i].b);
	roundtrip(rs, p, 10);
}

/* At confidentiality a token without it is refused (no downgrade). */
static void
check_downgrade(struct relay_session *rs, struct peer *p)
{
	struct buf	 t;

	buf_init(&t);
	rs->rs_level = GSS_LEVEL_CONF;
	peer_wrap(p, 0, "abc", 3, &t);
	ATF_REQUIRE_MSG(ours_unwrap(rs, &t, NULL, 0, 0) == -1,
	    "a token without confidentiality taken at confidentiality");
	free(t.b);
}

static void
check_fastpath(struct relay_session *rs, int enctype)
{
	size_t	 i;

	ATF_REQUIRE_MSG(rs->rs_cfx != NULL, "the fast path was not taken "
	    "(%s); see the debug log", relay_gss_protect(rs));
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		if (expect[i].type == enctype)
			ATF_REQUIRE_STREQ(relay_gss_protect(rs),
			    expect[i].protect);
}

/* Everything, on a fresh session whose first token has not come yet. */
static void
crosscheck(struct relay_session *rs, struct peer *p, int enctype)
{
	struct buf	 first;
	uint8_t		 msg[5] = "hello";

	check_fastpath(rs, enctype);
	ATF_REQUIRE(!cfx_recv_started(rs->rs_cfx));
	/* Our tokens go before the first one from the peer has come. */
	ours_to_peer(rs, p, msg, sizeof(msg));
	buf_init(&first);
	peer_wrap(p, 1, msg, sizeof(msg), &first);
	ATF_REQUIRE(ours_unwrap(rs, &first, msg, sizeof(msg), 0) == 0);
	ATF_REQUIRE(cfx_recv_started(rs->rs_cfx));

	check_sizes(rs, p, GSS_LEVEL_INTEGRITY);
	check_sizes(rs, p, GSS_LEVEL_CONF);
	check_burst(rs, p);
	check_tamper(rs, p, GSS_LEVEL_INTEGRITY, 0);
	check_tamper(rs, p, GSS_LEVEL_INTEGRITY, 17);
	check_tamper(rs, p, GSS_LEVEL_INTEGRITY, 4000);
	check_tamper(rs, p, GSS_LEVEL_CONF, 0);
	check_tamper(rs, p, GSS_LEVEL_CONF, 1);
	check_tamper(rs, p, GSS_LEVEL_CONF, 16);
	check_tamper(rs, p, GSS_LEVEL_CONF, 33);
	check_tamper(rs, p, GSS_LEVEL_CONF, 4000);
	check_tamper(rs, p, GSS_LEVEL_CONF, peer_limit(p, 1));
	check_reflect(rs, p);
	rs->rs_level = GSS_LEVEL_CONF;
	check_stream_order(rs, p, &first);
	rs->rs_level = GSS_LEVEL_INTEGRITY;
	check_stream_order(rs, p, &first);
	check_dgram(rs, p);
	check_downgrade(rs, p);
	free(first.b);
}

/*
 * A session whose first token from the peer is skipped: the library
 * checks that one, and refuses it.
 */
static void
check_first_skipped(struct relay_session *rs, struct peer *p)
{
	struct buf	 t0, t1;

	buf_init(&t0);
	buf_init(&t1);
	peer_wrap(p, 1, "a", 1, &t0);
	peer_wrap(p, 1, "b", 1, &t1);
	ATF_REQUIRE(ours_unwrap(rs, &t1, NULL, 0, 0) == -1);
	ATF_REQUIRE(!cfx_recv_started(rs->rs_cfx));
	free(t0.b);
	free(t1.b);
}

static void
run_heimdal(int enctype)
{
	struct cfx_env		 e;
	struct relay_session	 rs;
	struct peer		 p;
	gss_ctx_id_t		 ini, acc;
	OM_uint32		 minor;

	setup_log();
	ce_setup(&e, enctype);
	memset(&p, 0, sizeof(p));

	/* Our side the acceptor, as in the relay. */
	ce_handshake(&e, &ini, &acc);
	ce_subneg(ini, acc);
	ce_relay(&rs, &acc, GSS_LEVEL_CONF);
	p.p_ctx = ini;
	crosscheck(&rs, &p, enctype);
	relay_gss_free(&rs);
	(void)gss_delete_sec_context(&minor, &ini, GSS_C_NO_BUFFER);

	/* Our side the initiator. */
	ce_handshake(&e, &ini, &acc);
	ce_subneg(ini, acc);
	ce_relay(&rs, &ini, GSS_LEVEL_CONF);
	p.p_ctx = acc;
	crosscheck(&rs, &p, enctype);
	relay_gss_free(&rs);
	(void)gss_delete_sec_context(&minor, &acc, GSS_C_NO_BUFFER);

	ce_handshake(&e, &ini, &acc);
	ce_subneg(ini, acc);
	ce_relay(&rs, &acc, GSS_LEVEL_CONF);
	p.p_ctx = ini;
	check_fastpath(&rs, enctype);
	check_first_skipped(&rs, &p);
	relay_gss_free(&rs);
	(void)gss_delete_sec_context(&minor, &ini, GSS_C_NO_BUFFER);
	ce_free(&e);
}

static void
run_mit(const atf_tc_t *tc, int enctype)
{
	struct cfx_env		 e;
	struct relay_session	 rs;
	struct peer		 p;
	gss_ctx_id_t		 ctx;

	setup_log();
	ce_setup(&e, enctype);

	/* MIT's initiator, our side the acceptor, as in the relay. */
	mit_start(&p, tc, &e, "init");
	mit_handshake_init(&e, &p, &ctx);
	peer_subneg(&p, ctx);
	ce_relay(&rs, &ctx, GSS_LEVEL_CONF);
	crosscheck(&rs, &p, enctype);
	relay_gss_free(&rs);
	mit_stop(&p);

	/* MIT's acceptor, our side the initiator. */
	mit_start(&p, tc, &e, "accept");
	mit_handshake_accept(&e, &p, &ctx);
	peer_subneg(&p, ctx);
	ce_relay(&rs, &ctx, GSS_LEVEL_CONF);
	crosscheck(&rs, &p, enctype);
	relay_gss_free(&rs);
	mit_stop(&p);
	ce_free(&e);
}

/* Contexts the fast path leaves to the library, and relayd -G. */
static void
run_library(int enctype, int flag)
{
	struct cfx_env		 e;
	struct relay_session	 rs;
	struct peer		 p;
	gss_ctx_id_t		 ini, acc;
	OM_uint32		 minor;
	int			 i;

	setup_log();
	ce_setup(&e, enctype);
	memset(&p, 0, sizeof(p));
	relay_gss_library = flag;
	ce_handshake(&e, &ini, &acc);
	ce_subneg(ini, acc);
	ce_relay(&rs, &acc, GSS_LEVEL_CONF);
	relay_gss_library = 0;
	ATF_REQUIRE_MSG(rs.rs_cfx == NULL, "the fast path was taken");
	ATF_REQUIRE_STREQ(relay_gss_protect(&rs), "gssapi");
	p.p_ctx = ini;
	for (i = 0; i < 20; i++) {
		rs.rs_level = i % 2 ? GSS_LEVEL_CONF : GSS_LEVEL_INTEGRITY;
		roundtrip(&rs, &p, arc4random_uniform(rs.rs_maxplain));
	}
	relay_gss_free(&rs);
	(void)gss_delete_sec_context(&minor, &ini, GSS_C_NO_BUFFER);
	ce_free(&e);
}

#define KDC_TC(name, descr)						\
	ATF_TC_WITH_CLEANUP(name);					\
	ATF_TC_HEAD(name, tc)						\
	{								\
		atf_tc_set_md_var(tc, "descr", descr);			\
		atf_tc_set_md_var(tc, "require.progs", "kadmin");	\
		atf_tc_set_md_var(tc, "timeout", "300");		\
	}								\
	ATF_TC_CLEANUP(name, tc)					\
	{								\
		(void)tc;						\
		tk_kdc_cleanup();					\
	}

ATF_TC_WITHOUT_HEAD(nfold);
ATF_TC_BODY(nfold, tc)
{
	/* RFC 3961 appendix A.1. */
	static const struct {
		const char	*in;
		size_t		 bits;
		const char	*out;
	} v[] = {
		{ "012345", 64, "be072631276b1955" },
		{ "password", 56, "78a07b6caf85fa" },
		{ "Rough Consensus, and Running Code", 64,
		    "bb6ed30870b7f0e0" },
		{ "password", 168,
		    "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e" },
		{ "MASSACHVSETTS INSTITVTE OF TECHNOLOGY", 192,
		    "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b" },
		{ "Q", 168, "518a54a215a8452a518a54a215a8452a518a54a215" },
		{ "ba", 168, "fb25d531ae8974499f52fd92ea9857c4ba24cf297e" },
		{ "kerberos", 64, "6b65726265726f73" },
		{ "kerberos", 128, "6b65726265726f737b9b5b2b93132b93" },
		{ "kerberos", 168,
		    "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4" },
		{ "kerberos", 256, "6b65726265726f737b9b5b2b93132b935c9bdcda"
		    "d95c9899c4cae4dee6d6cae4" }
	};
	uint8_t	 out[32];
	char	 hex[65];
	size_t	 i, j;

	(void)tc;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cfx_nfold((const uint8_t *)v[i].in, strlen(v[i].in), out,
		    v[i].bits / 8);
		for (j = 0; j < v[i].bits / 8; j++)
			(void)snprintf(hex + 2 * j, 3, "%02x", out[j]);
		ATF_CHECK_STREQ_MSG(hex, v[i].out, "%zu-fold(\"%s\")",
		    v[i].bits, v[i].in);
	}
}

#define HEIMDAL_TC(name, type)						\
	KDC_TC(name, "fast path against Heimdal's gss_wrap/gss_unwrap, "\
	    #type)							\
	ATF_TC_BODY(name, tc)						\
	{								\
		(void)tc;						\
		run_heimdal(type);					\
	}

#define MIT_TC(name, type)						\
	KDC_TC(name, "fast path against MIT's gss_wrap/gss_unwrap, "	\
	    #type)							\
	ATF_TC_BODY(name, tc)						\
	{								\
		run_mit(tc, type);					\
	}

HEIMDAL_TC(heimdal_aes128_sha1, CFX_AES128_SHA1)
HEIMDAL_TC(heimdal_aes256_sha1, CFX_AES256_SHA1)
HEIMDAL_TC(heimdal_aes128_sha256, CFX_AES128_SHA256)
HEIMDAL_TC(heimdal_aes256_sha384, CFX_AES256_SHA384)
MIT_TC(mit_aes128_sha1, CFX_AES128_SHA1)
MIT_TC(mit_aes256_sha1, CFX_AES256_SHA1)
MIT_TC(mit_aes128_sha256, CFX_AES128_SHA256)
MIT_TC(mit_aes256_sha384, CFX_AES256_SHA384)

KDC_TC(library_des3, "a des3 context stays on the library")
ATF_TC_BODY(library_des3, tc)
{
	(void)tc;
	run_library(16, 0);
}

KDC_TC(library_arcfour, "an arcfour context stays on the library")
ATF_TC_BODY(library_arcfour, tc)
{
	(void)tc;
	run_library(23, 0);
}

KDC_TC(library_flag, "relayd -G: an aes256 context on the library")
ATF_TC_BODY(library_flag, tc)
{
	(void)tc;
	run_library(CFX_AES256_SHA1, 1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, nfold);
	ATF_TP_ADD_TC(tp, heimdal_aes128_sha1);
	ATF_TP_ADD_TC(tp, heimdal_aes256_sha1);
	ATF_TP_ADD_TC(tp, heimdal_aes128_sha256);
	ATF_TP_ADD_TC(tp, heimdal_aes256_sha384);
	ATF_TP_ADD_TC(tp, mit_aes128_sha1);
	ATF_TP_ADD_TC(tp, mit_aes256_sha1);
	ATF_TP_ADD_TC(tp, mit_aes128_sha256);
	ATF_TP_ADD_TC(tp, mit_aes256_sha384);
	ATF_TP_ADD_TC(tp, library_des3);
	ATF_TP_ADD_TC(tp, library_arcfour);
	ATF_TP_ADD_TC(tp, library_flag);
	return (atf_no_error());
}

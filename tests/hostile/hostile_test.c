/*
 * Hostile peers inside the machine.  The front end is the process that
 * reads the network; if it is taken over, what it can send to authd and
 * to a relay over their imsg channels is all it has.  These tests start
 * the real sockd-auth and sockd-relay, as the parent would (fork+exec,
 * the parent channel on descriptor 3, the configuration, the peer
 * channels), then act as a front end gone bad: oversized and truncated
 * messages, unknown types, bytes that break the imsg framing, session
 * ids never begun or begun twice, messages out of order, another
 * session's id, a context in garbage, a method the configuration has
 * not got.
 *
 * After each, the child must still run, and must never have granted
 * anything: authd no IMSG_AUTH_OK to the front end nor IMSG_RELAY_CONTEXT
 * to the relay, a relay no connection to a target; and it must still
 * serve (authd refuses a session it can judge, a relay carries a good
 * one).  The control tests make real Kerberos negotiations (a KDC on
 * 127.0.0.1) through the same harness and see the grants, so that a
 * harness that cannot see grants cannot pass.
 *
 * The children chroot to /var/empty and drop to "nobody": root only.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include "auth.h"
#include "config.h"
#include "imsg.h"
#include "proto.h"
#include "krbtest.h"

#define AUTHD_PATH	"authd/sockd-auth"
#define RELAY_PATH	"relayd/sockd-relay"
#define CHROOT_DIR	"/var/empty"
#define UNPRIV_USER	"nobody"
#define SERVICE		"rcmd/host.test"

#define WAIT_START	15000	/* ms for a child to say it is ready */
#define WAIT_REPLY	3000	/* ms for an answer that must come */
#define WAIT_QUIET	400	/* ms of silence taken as "nothing" */
#define PIDFILE		"children.pid"

#define REQ_FLAGS	(GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | \
			    GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG | \
			    GSS_C_CONF_FLAG)

/* Rules as the parent sends them: a client pass rule, a socks pass rule. */
#define NRULES		2

struct chan {
	struct imsgbuf	 c_ib;
	int		 c_fd;
};

struct child {
	const char	*ch_name;
	pid_t		 ch_pid;
	struct chan	 ch_parent;
	struct chan	 ch_front;	/* our end of its channel to the front */
	struct chan	 ch_peer;	/* authd: relay 0; a relay: authd */
};

/* What came back from a child within a while. */
struct seen {
	int		 s_token;	/* IMSG_AUTH_TOKEN */
	int		 s_fail;	/* IMSG_AUTH_FAIL */
	int		 s_ok;		/* IMSG_AUTH_OK: a grant */
	int		 s_context;	/* IMSG_RELAY_CONTEXT: a grant */
	int		 s_end;		/* IMSG_RELAY_END */
	int		 s_other;
	int		 s_eof;		/* a channel closed */
	uint64_t	 s_failsid;	/* of the last IMSG_AUTH_FAIL */
	char		 s_reason[256];
};

/* A realm, the user's credentials, the service keytab's bytes. */
struct krbenv {
	struct tk_realm	 k_realm;
	krb5_context	 k_ctx;
	krb5_ccache	 k_cc;
	gss_cred_id_t	 k_icred;
	uint8_t		*k_keytab;
	size_t		 k_keytablen;
};

struct initiator {
	gss_ctx_id_t	 i_ctx;
	OM_uint32	 i_flags;
	int		 i_open;
};

static pid_t		 children[8];
static int		 nchildren;
/* The client pass rule's GSS-API settings, as the front end sends them. */
static struct gssconf	 good_gss;

/* ------------------------------------------------------------------ */
/* Processes. */

static void
sleep_ms(long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
children_kill(void)
{
	int	 i, status;

	for (i = 0; i < nchildren; i++) {
		if (children[i] <= 0)
			continue;
		(void)kill(children[i], SIGKILL);
		(void)waitpid(children[i], &status, 0);
		children[i] = 0;
	}
}

/* For the cleanup routine, another process: the pids from the file. */
static void
children_cleanup(void)
{
	FILE	*f;
	long	 pid;

	if ((f = fopen(PIDFILE, "r")) == NULL)
		return;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 1)
			(void)kill((pid_t)pid, SIGKILL);
	(void)fclose(f);
	(void)unlink(PIDFILE);
}

static void
show_log(const char *name)
{
	char	 path[64], line[512];
	FILE	*f;

	(void)snprintf(path, sizeof(path), "%s.log", name);
	if ((f = fopen(path, "r")) == NULL)
		return;
	fprintf(stderr, "--- %s:\n", path);
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stderr);
	(void)fclose(f);
}

/* The child still runs; if not, how it ended, with its log. */
static void
alive(struct child *ch)
{
	int	 status;
	pid_t	 r;

	r = waitpid(ch->ch_pid, &status, WNOHANG);
	if (r == 0)
		return;
	show_log(ch->ch_name);
	if (r == ch->ch_pid && WIFSIGNALED(status))
		atf_tc_fail("%s died of signal %d", ch->ch_name,
		    WTERMSIG(status));
	if (r == ch->ch_pid)
		atf_tc_fail("%s exited with status %d", ch->ch_name,
		    WEXITSTATUS(status));
	atf_tc_fail("%s: waitpid: %s", ch->ch_name, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* Channels. */

static void
chan_init(struct chan *c, int fd)
{
	memset(c, 0, sizeof(*c));
	ATF_REQUIRE(imsgbuf_init(&c->c_ib, fd) == 0);
	imsgbuf_allow_fdpass(&c->c_ib);
	ATF_REQUIRE(imsgbuf_set_maxsize(&c->c_ib, PROC_MAX_IMSGSIZE) == 0);
	c->c_fd = fd;
}

static void
chan_close(struct chan *c)
{
	if (c->c_fd == -1)
		return;
	imsgbuf_clear(&c->c_ib);
	(void)close(c->c_fd);
	c->c_fd = -1;
}

/* A socketpair: ours as a channel, theirs to hand over. */
static int
chan_pair(struct chan *ours)
{
	int	 sp[2];

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp) == 0);
	chan_init(ours, sp[0]);
	return (sp[1]);
}

static void
chan_sendv(struct chan *c, uint32_t type, int fd, const struct iovec *iov,
    int iovcnt)
{
	ATF_REQUIRE_MSG(imsg_composev(&c->c_ib, type, 0, 0, fd, iov,
	    iovcnt) != -1, "imsg_composev %u: %s", type, strerror(errno));
	ATF_REQUIRE_MSG(imsgbuf_flush(&c->c_ib) == 0, "imsgbuf_flush: %s",
	    strerror(errno));
}

static void
chan_send(struct chan *c, uint32_t type, int fd, const void *data,
    size_t len)
{
	struct iovec	 iov;

	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	chan_sendv(c, type, fd, &iov, len > 0 ? 1 : 0);
}

/* Bytes that need not be an imsg at all. */
static void
chan_raw(struct chan *c, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	if (c->c_fd == -1)
		return;		/* we saw it closed */
	while (len > 0) {
		n = write(c->c_fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EPIPE || errno == ECONNRESET))
			return;		/* the child dropped the channel */
		ATF_REQUIRE_MSG(n > 0, "write: %s", strerror(errno));
		p += n;
		len -= n;
	}
}

/* 1: a message; 0: nothing within ms; -1: the channel closed. */
static int
chan_recv(struct chan *c, int ms, struct imsg *imsg)
{
	struct pollfd	 pfd;
	long long	 end = now_ms() + ms;
	ssize_t		 n;
	int		 left;

	if (c->c_fd == -1)
		return (-1);
	for (;;) {
		n = imsg_get(&c->c_ib, imsg);
		if (n == -1)
			return (-1);
		if (n > 0)
			return (1);
		left = (int)(end - now_ms());
		if (left < 0)
			left = 0;
		pfd.fd = c->c_fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) == 0)
			return (0);
		n = imsgbuf_read(&c->c_ib);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			return (-1);
	}
}

static void
seen_add(struct seen *s, struct imsg *imsg)
{
	struct auth_fail	 af;

	switch (imsg_get_type(imsg)) {
	case IMSG_AUTH_TOKEN:
		s->s_token++;
		break;
	case IMSG_AUTH_FAIL:
		s->s_fail++;
		if (imsg_get_len(imsg) >= sizeof(af)) {
			memcpy(&af, imsg->data, sizeof(af));
			af.af_reason[sizeof(af.af_reason) - 1] = '\0';
			s->s_failsid = af.af_sid;
			(void)strlcpy(s->s_reason, af.af_reason,
			    sizeof(s->s_reason));
		}
		break;
	case IMSG_AUTH_OK:
		s->s_ok++;
		break;
	case IMSG_RELAY_CONTEXT:
		s->s_context++;
		break;
	case IMSG_RELAY_END:
		s->s_end++;
		break;
	default:
		s->s_other++;
		break;
	}
}

/*
 * Everything the child says on its front and peer channels within ms, or
 * until it has sent fails refusals (0: the whole time).
 */
static void
observe_until(struct child *ch, int ms, struct seen *s, int fails)
{
	struct chan	*cs[2] = { &ch->ch_front, &ch->ch_peer };
	struct imsg	 imsg;
	long long	 end = now_ms() + ms;
	int		 i, r, any;

	memset(s, 0, sizeof(*s));
	do {
		any = 0;
		for (i = 0; i < 2; i++) {
			if (cs[i]->c_fd == -1)
				continue;
			r = chan_recv(cs[i], 20, &imsg);
			if (r == 1) {
				seen_add(s, &imsg);
				imsg_free(&imsg);
				any = 1;
			} else if (r == -1) {
				s->s_eof++;
				chan_close(cs[i]);
			}
		}
		if (fails > 0 && s->s_fail >= fails)
			break;
	} while (any || now_ms() < end);
}

static void
observe(struct child *ch, int ms, struct seen *s)
{
	observe_until(ch, ms, s, 0);
}

/* The rule of every test: the child runs and granted nothing. */
static void
no_grant(struct child *ch, struct seen *s)
{
	observe(ch, WAIT_QUIET, s);
	alive(ch);
	ATF_CHECK_EQ_MSG(s->s_ok, 0, "%s sent IMSG_AUTH_OK", ch->ch_name);
	ATF_CHECK_EQ_MSG(s->s_context, 0, "%s sent IMSG_RELAY_CONTEXT",
	    ch->ch_name);
}

/* ------------------------------------------------------------------ */
/* Starting a child as the parent would. */

static void
child_path(const atf_tc_t *tc, const char *rel, char *buf, size_t len)
{
	const char	*top = getenv("SOCKD_TOP");
	int		 n;

	if (top != NULL)
		n = snprintf(buf, len, "%s/%s", top, rel);
	else
		n = snprintf(buf, len, "%s/../../%s",
		    atf_tc_get_config_var(tc, "srcdir"), rel);
	ATF_REQUIRE(n > 0 && (size_t)n < len);
	if (access(buf, X_OK) == -1)
		atf_tc_fail("%s is not built (make)", buf);
}

static void
spawn(const atf_tc_t *tc, struct child *ch, const char *name,
    const char *rel, char *const argv[])
{
	char	 path[PATH_MAX], log[64];
	FILE	*f;
	int	 sp[2], fd;

	child_path(tc, rel, path, sizeof(path));
	if (mkdir(CHROOT_DIR, 0755) == -1 && errno != EEXIST)
		atf_tc_fail("mkdir %s: %s", CHROOT_DIR, strerror(errno));
	memset(ch, 0, sizeof(*ch));
	ch->ch_name = name;
	ch->ch_front.c_fd = ch->ch_peer.c_fd = -1;
	(void)snprintf(log, sizeof(log), "%s.log", name);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	ATF_REQUIRE((ch->ch_pid = fork()) != -1);
	if (ch->ch_pid == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) == -1)
			_exit(126);
		(void)dup2(fd, STDERR_FILENO);
		if (dup2(sp[1], PROC_PARENT_FD) == -1)
			_exit(126);
		closefrom(PROC_PARENT_FD + 1);
		execv(path, argv);
		_exit(127);
	}
	(void)close(sp[1]);
	chan_init(&ch->ch_parent, sp[0]);
	if (nchildren < (int)(sizeof(children) / sizeof(children[0])))
		children[nchildren++] = ch->ch_pid;
	if ((f = fopen(PIDFILE, "a")) != NULL) {
		fprintf(f, "%ld\n", (long)ch->ch_pid);
		(void)fclose(f);
	}
}

static void
peer_send(struct child *ch, enum proctype proc, int instance, int fd)
{
	struct ctl_peer	 cp;

	memset(&cp, 0, sizeof(cp));
	cp.cp_proc = proc;
	cp.cp_instance = instance;
	chan_send(&ch->ch_parent, IMSG_CTL_PEER, fd, &cp, sizeof(cp));
}

/*
 * A new front channel, as the parent gives a restarted front end: only
 * after the old one is closed and the child had time to see it so (the
 * parent waits for the new front end to start, a second at least).
 */
static void
front_repeer(struct child *ch)
{
	chan_close(&ch->ch_front);
	sleep_ms(200);
	peer_send(ch, PROC_FRONT, 0, chan_pair(&ch->ch_front));
}

static void
gssconf_fill(struct gssconf *gc, const char *keytab)
{
	memset(gc, 0, sizeof(*gc));
	(void)strlcpy(gc->gc_servicename, SERVICE, sizeof(gc->gc_servicename));
	(void)strlcpy(gc->gc_keytab, keytab, sizeof(gc->gc_keytab));
	gc->gc_keytab_id = 0;
	gc->gc_levels = GSS_LEVELS_DEFAULT;
}

/* What parse_config() makes of a minimal sockd.conf, by hand. */
static void
conf_fill(struct sockd_conf *c, const char *keytab, int none)
{
	memset(c, 0, sizeof(*c));
	c->sc_socksmethods.ml_m[c->sc_socksmethods.ml_n++] = METHOD_GSSAPI;
	if (none)
		c->sc_socksmethods.ml_m[c->sc_socksmethods.ml_n++] =
		    METHOD_NONE;
	c->sc_clientmethods.ml_m[c->sc_clientmethods.ml_n++] = METHOD_NONE;
	(void)strlcpy(c->sc_user_priv, "root", sizeof(c->sc_user_priv));
	(void)strlcpy(c->sc_user_unpriv, UNPRIV_USER,
	    sizeof(c->sc_user_unpriv));
	c->sc_logto = LOGTO_STDERR;
	c->sc_debug = 1;
	c->sc_timeout_negotiate = 10;
	c->sc_timeout_connect = 5;
	gssconf_fill(&c->sc_gss, keytab);
	(void)strlcpy(c->sc_keytabs[0], keytab, sizeof(c->sc_keytabs[0]));
	c->sc_nkeytabs = 1;
	c->sc_nrelays = 1;
	c->sc_nrules = NRULES;
}

static void
rules_fill(struct rule r[NRULES], const char *keytab)
{
	memset(r, 0, sizeof(struct rule) * NRULES);
	r[0].r_num = 1;
	r[0].r_type = RULE_CLIENT;
	r[0].r_action = RULE_PASS;
	(void)strlcpy(r[0].r_file, "hostile.conf", sizeof(r[0].r_file));
	r[0].r_line = 1;
	r[0].r_from.am_type = ADDR_ANY;
	r[0].r_to.am_type = ADDR_ANY;
	gssconf_fill(&r[0].r_gss, keytab);
	good_gss = r[0].r_gss;
	r[1] = r[0];
	r[1].r_type = RULE_SOCKS;
	r[1].r_line = 2;
	r[1].r_commands = CMD_CONNECT;
}

static void
config_send(struct child *ch, const char *keytab, int none)
{
	struct sockd_conf	 c;
	struct rule		 r[NRULES];
	int			 i;

	conf_fill(&c, keytab, none);
	rules_fill(r, keytab);
	chan_send(&ch->ch_parent, IMSG_CFG_GLOBAL, -1, &c, sizeof(c));
	for (i = 0; i < NRULES; i++)
		chan_send(&ch->ch_parent, IMSG_CFG_RULE, -1, &r[i],
		    sizeof(r[i]));
}

static void
wait_ready(struct child *ch)
{
	struct imsg	 imsg;
	int		 r;

	r = chan_recv(&ch->ch_parent, WAIT_START, &imsg);
	if (r != 1) {
		alive(ch);
		show_log(ch->ch_name);
		atf_tc_fail("%s did not report ready", ch->ch_name);
	}
	ATF_REQUIRE_EQ_MSG(imsg_get_type(&imsg), IMSG_CTL_START,
	    "%s sent message %u before IMSG_CTL_START", ch->ch_name,
	    imsg_get_type(&imsg));
	imsg_free(&imsg);
}

/* authd with the keytab, the front channel and relay 0's. */
static void
authd_start(const atf_tc_t *tc, struct child *ch, struct krbenv *k)
{
	static char		*argv[] = { "sockd-auth", "-d", "2", NULL };
	struct cfg_keytab	 ck;
	struct iovec		 iov[2];

	spawn(tc, ch, "authd", AUTHD_PATH, argv);
	config_send(ch, k->k_realm.tk_keytab, 0);
	memset(&ck, 0, sizeof(ck));
	ck.ck_id = 0;
	(void)strlcpy(ck.ck_name, k->k_realm.tk_keytab, sizeof(ck.ck_name));
	iov[0].iov_base = &ck;
	iov[0].iov_len = sizeof(ck);
	iov[1].iov_base = k->k_keytab;
	iov[1].iov_len = k->k_keytablen;
	chan_sendv(&ch->ch_parent, IMSG_CFG_KEYTAB, -1, iov, 2);
	peer_send(ch, PROC_FRONT, 0, chan_pair(&ch->ch_front));
	peer_send(ch, PROC_RELAY, 0, chan_pair(&ch->ch_peer));
	chan_send(&ch->ch_parent, IMSG_CFG_DONE, -1, NULL, 0);
	wait_ready(ch);
}

/* A relay, instance 0, with its front and authd channels. */
static void
relay_start(const atf_tc_t *tc, struct child *ch, const char *keytab,
    int none)
{
	static char	*argv[] = { "sockd-relay", "-I", "0", "-d", "2",
			    NULL };

	spawn(tc, ch, "relay", RELAY_PATH, argv);
	config_send(ch, keytab, none);
	peer_send(ch, PROC_FRONT, 0, chan_pair(&ch->ch_front));
	peer_send(ch, PROC_AUTH, 0, chan_pair(&ch->ch_peer));
	chan_send(&ch->ch_parent, IMSG_CFG_DONE, -1, NULL, 0);
	wait_ready(ch);
}

/* ------------------------------------------------------------------ */
/* Kerberos: a realm, the user's credentials, an initiator. */

static void
fail_gss(const char *what, OM_uint32 major, OM_uint32 minor)
{
	gss_buffer_desc	 a, b;
	OM_uint32	 m, ctx = 0;

	(void)gss_display_status(&m, major, GSS_C_GSS_CODE, GSS_C_NO_OID,
	    &ctx, &a);
	ctx = 0;
	(void)gss_display_status(&m, minor, GSS_C_MECH_CODE,
	    GSS_KRB5_MECHANISM, &ctx, &b);
	atf_tc_fail("%s: %.*s: %.*s", what, (int)a.length, (char *)a.value,
	    (int)b.length, (char *)b.value);
}

/* The realm and keytab; with kdc, a KDC and the user's credentials. */
static void
krb_setup(struct krbenv *k, int kdc)
{
	krb5_principal	 user;
	krb5_creds	 creds;
	OM_uint32	 major, minor;
	int		 ret;

	memset(k, 0, sizeof(*k));
	k->k_icred = GSS_C_NO_CREDENTIAL;
	tk_realm_create(&k->k_realm);
	k->k_keytab = tk_readfile(k->k_realm.tk_keytab, &k->k_keytablen);
	if (!kdc)
		return;
	tk_kdc_start(&k->k_realm);
	ATF_REQUIRE(krb5_init_context(&k->k_ctx) == 0);
	ATF_REQUIRE(krb5_parse_name(k->k_ctx, TK_USER, &user) == 0);
	memset(&creds, 0, sizeof(creds));
	ret = krb5_get_init_creds_password(k->k_ctx, &creds, user,
	    TK_PASSWORD, NULL, NULL, 0, NULL, NULL);
	ATF_REQUIRE_MSG(ret == 0, "kinit: %s",
	    krb5_get_error_message(k->k_ctx, ret));
	ATF_REQUIRE(krb5_cc_new_unique(k->k_ctx, "MEMORY", NULL,
	    &k->k_cc) == 0);
	ATF_REQUIRE(krb5_cc_initialize(k->k_ctx, k->k_cc, user) == 0);
	ATF_REQUIRE(krb5_cc_store_cred(k->k_ctx, k->k_cc, &creds) == 0);
	krb5_free_cred_contents(k->k_ctx, &creds);
	krb5_free_principal(k->k_ctx, user);
	major = gss_krb5_import_cred(&minor, k->k_cc, NULL, NULL,
	    &k->k_icred);
	if (GSS_ERROR(major))
		fail_gss("gss_krb5_import_cred", major, minor);
}

/*
 * What krb_setup() made.  The test process exits next, but its leak
 * check must find only real leaks.
 */
static void
krb_teardown(struct krbenv *k)
{
	OM_uint32	 minor;

	if (k->k_icred != GSS_C_NO_CREDENTIAL)
		(void)gss_release_cred(&minor, &k->k_icred);
	if (k->k_cc != NULL)
		(void)krb5_cc_destroy(k->k_ctx, k->k_cc);
	if (k->k_ctx != NULL)
		krb5_free_context(k->k_ctx);
	free(k->k_keytab);
	memset(k, 0, sizeof(*k));
}

/* One initiator step; returns the token to send (maybe empty). */
static void
init_step(struct krbenv *k, struct initiator *in, gss_buffer_t input,
    gss_buffer_t out)
{
	gss_buffer_desc	 nb;
	gss_name_t	 name;
	OM_uint32	 major, minor;

	nb.value = (void *)(uintptr_t)SERVICE "@" TK_REALM;
	nb.length = strlen(nb.value);
	major = gss_import_name(&minor, &nb, GSS_KRB5_NT_PRINCIPAL_NAME,
	    &name);
	if (GSS_ERROR(major))
		fail_gss("gss_import_name", major, minor);
	major = gss_init_sec_context(&minor, k->k_icred, &in->i_ctx, name,
	    GSS_KRB5_MECHANISM, REQ_FLAGS, 0, GSS_C_NO_CHANNEL_BINDINGS,
	    input, NULL, out, &in->i_flags, NULL);
	(void)gss_release_name(&minor, &name);
	if (GSS_ERROR(major))
		fail_gss("gss_init_sec_context", major, minor);
	in->i_open = major == GSS_S_COMPLETE;
}

/* The RFC 1961 level message: the octet, gss_wrap()ed for integrity. */
static void
level_token(struct initiator *in, uint8_t level, gss_buffer_t out)
{
	gss_buffer_desc	 lb;
	OM_uint32	 major, minor;

	lb.value = &level;
	lb.length = 1;
	major = gss_wrap(&minor, in->i_ctx, 0, GSS_C_QOP_DEFAULT, &lb, NULL,
	    out);
	if (GSS_ERROR(major))
		fail_gss("gss_wrap", major, minor);
}

/* ------------------------------------------------------------------ */
/* authd: the front end's messages. */

static void
auth_begin_gss(struct child *ch, uint64_t sid, const struct gssconf *gc,
    int relay)
{
	struct auth_begin	 ab;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ab.ab_client;

	memset(&ab, 0, sizeof(ab));
	ab.ab_sid = sid;
	ab.ab_relay = relay;
	ab.ab_gss = *gc;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(4242);
	chan_send(&ch->ch_front, IMSG_AUTH_BEGIN, -1, &ab, sizeof(ab));
}

/* A session of the client pass rule for relay. */
static void
auth_begin(struct child *ch, uint64_t sid, int relay)
{
	auth_begin_gss(ch, sid, &good_gss, relay);
}

/* IMSG_AUTH_TOKEN, _PROTECT or _ABORT: struct auth_hdr + bytes. */
static void
auth_msg(struct child *ch, uint32_t type, uint64_t sid, const void *tok,
    size_t len)
{
	struct auth_hdr	 ah;
	struct iovec	 iov[2];

	memset(&ah, 0, sizeof(ah));
	ah.ah_sid = sid;
	iov[0].iov_base = &ah;
	iov[0].iov_len = sizeof(ah);
	iov[1].iov_base = (void *)(uintptr_t)tok;
	iov[1].iov_len = len;
	chan_sendv(&ch->ch_front, type, -1, iov, len > 0 ? 2 : 1);
}

/*
 * authd still serves its front channel: a new session with a token that
 * is no Kerberos token gets IMSG_AUTH_FAIL for exactly that session.
 */
static void
authd_answers(struct child *ch, uint64_t sid)
{
	struct seen	 s;

	auth_begin(ch, sid, 0);
	auth_msg(ch, IMSG_AUTH_TOKEN, sid, "not a token", 11);
	observe_until(ch, WAIT_REPLY, &s, 1);
	alive(ch);
	ATF_CHECK_EQ(s.s_ok, 0);
	ATF_CHECK_EQ(s.s_context, 0);
	ATF_REQUIRE_EQ_MSG(s.s_fail, 1, "authd did not refuse session %llx",
	    (unsigned long long)sid);
	ATF_CHECK_EQ(s.s_failsid, sid);
}

/* Wait for the message of type for sid on c; its data is copied out. */
static void
recv_for(struct child *ch, struct chan *c, uint32_t type, uint64_t sid,
    void *buf, size_t *len)
{
	struct imsg	 imsg;
	long long	 end = now_ms() + WAIT_REPLY;
	uint64_t	 got;
	size_t		 n;
	int		 r;

	while (now_ms() < end) {
		got = 0;
		r = chan_recv(c, (int)(end - now_ms()), &imsg);
		if (r != 1)
			break;
		n = imsg_get_len(&imsg);
		if (imsg_get_type(&imsg) == IMSG_AUTH_FAIL) {
			show_log(ch->ch_name);
			atf_tc_fail("authd refused: %.*s", (int)(n > 8 ?
			    n - 8 : 0), (char *)imsg.data + 8);
		}
		memcpy(&got, imsg.data, n >= sizeof(got) ? sizeof(got) : 0);
		if (imsg_get_type(&imsg) == type && n >= sizeof(got) &&
		    got == sid) {
			ATF_REQUIRE(n <= *len);
			memcpy(buf, imsg.data, n);
			*len = n;
			imsg_free(&imsg);
			return;
		}
		imsg_free(&imsg);
	}
	alive(ch);
	atf_tc_fail("no message %u for session %llx", type,
	    (unsigned long long)sid);
}

/*
 * A real negotiation up to the established context: the initiator's
 * token, authd's answer (complete), the initiator done.
 */
static void
auth_establish(struct child *ch, struct krbenv *k, struct initiator *in,
    uint64_t sid, gss_buffer_t first)
{
	static uint8_t	 buf[PROC_MAX_IMSGSIZE];
	gss_buffer_desc	 tok, reply;
	struct auth_hdr	 ah;
	size_t		 len = sizeof(buf);
	OM_uint32	 minor;

	memset(in, 0, sizeof(*in));
	in->i_ctx = GSS_C_NO_CONTEXT;
	auth_begin(ch, sid, 0);
	init_step(k, in, GSS_C_NO_BUFFER, &tok);
	auth_msg(ch, IMSG_AUTH_TOKEN, sid, tok.value, tok.length);
	if (first != NULL) {
		ATF_REQUIRE((first->value = malloc(tok.length)) != NULL);
		memcpy(first->value, tok.value, tok.length);
		first->length = tok.length;
	}
	(void)gss_release_buffer(&minor, &tok);
	recv_for(ch, &ch->ch_front, IMSG_AUTH_TOKEN, sid, buf, &len);
	ATF_REQUIRE(len >= sizeof(ah));
	memcpy(&ah, buf, sizeof(ah));
	ATF_REQUIRE_MSG(ah.ah_flags & AUTH_F_COMPLETE,
	    "authd wants more than one token");
	reply.value = buf + sizeof(ah);
	reply.length = len - sizeof(ah);
	init_step(k, in, &reply, &tok);
	ATF_REQUIRE(in->i_open);
	(void)gss_release_buffer(&minor, &tok);
}

/* ------------------------------------------------------------------ */
/* The relay: clients and targets on 127.0.0.1. */

static int
tcp_listener(in_port_t *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ATF_REQUIRE((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
	    0)) != -1);
	ATF_REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	ATF_REQUIRE(listen(fd, 16) == 0);
	ATF_REQUIRE(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	*port = ntohs(sin.sin_port);
	return (fd);
}

/*
 * A client connection: *ours is the client's end, the return value the
 * accepted end the front end would hand to the relay.
 */
static int
client_pair(int *ours, struct sockaddr_storage *client,
    struct sockaddr_storage *local)
{
	struct sockaddr_in	 sin;
	socklen_t		 len;
	in_port_t		 port;
	int			 l, s;

	l = tcp_listener(&port);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	ATF_REQUIRE((*ours = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
	    0)) != -1);
	ATF_REQUIRE(connect(*ours, (struct sockaddr *)&sin,
	    sizeof(sin)) == 0);
	len = sizeof(*client);
	ATF_REQUIRE((s = accept(l, (struct sockaddr *)client, &len)) != -1);
	len = sizeof(*local);
	ATF_REQUIRE(getsockname(s, (struct sockaddr *)local, &len) == 0);
	(void)close(l);
	return (s);
}

/* IMSG_RELAY_CLIENT for sid; returns our end of the client (or -1). */
static int
relay_client_send(struct child *ch, uint64_t sid, int method, int withfd)
{
	struct relay_client	 rl;
	int			 ours = -1, theirs;

	memset(&rl, 0, sizeof(rl));
	theirs = client_pair(&ours, &rl.rl_client, &rl.rl_local);
	rl.rl_sid = sid;
	rl.rl_method = method;
	rl.rl_accepted = time(NULL);
	if (!withfd) {
		(void)close(theirs);
		theirs = -1;
	}
	chan_send(&ch->ch_front, IMSG_RELAY_CLIENT, theirs, &rl, sizeof(rl));
	return (ours);
}

/* The SOCKS 5 CONNECT request for 127.0.0.1:port. */
static size_t
socks_connect(uint8_t *buf, in_port_t port)
{
	buf[0] = 5;
	buf[1] = 1;
	buf[2] = 0;
	buf[3] = 1;
	buf[4] = 127;
	buf[5] = 0;
	buf[6] = 0;
	buf[7] = 1;
	buf[8] = port >> 8;
	buf[9] = port & 0xff;
	return (10);
}

static void
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return;		/* the relay closed; the caller checks */
		p += n;
		len -= n;
	}
}

/* The request as an RFC 1961 mtyp 3 frame, wrapped at conf, in out. */
static size_t
wrap_frame(struct initiator *in, const void *buf, size_t len, uint8_t *out,
    size_t outlen)
{
	gss_buffer_desc	 pb, wb;
	OM_uint32	 major, minor;
	size_t		 n;

	pb.value = (void *)(uintptr_t)buf;
	pb.length = len;
	major = gss_wrap(&minor, in->i_ctx, 1, GSS_C_QOP_DEFAULT, &pb, NULL,
	    &wb);
	if (GSS_ERROR(major))
		fail_gss("gss_wrap", major, minor);
	ATF_REQUIRE(wb.length + 4 <= outlen);
	out[0] = 1;
	out[1] = 3;
	out[2] = wb.length >> 8;
	out[3] = wb.length & 0xff;
	memcpy(out + 4, wb.value, wb.length);
	n = wb.length + 4;
	(void)gss_release_buffer(&minor, &wb);
	return (n);
}

static void
send_wrapped(int fd, struct initiator *in, const void *buf, size_t len)
{
	uint8_t	 frame[1024];

	write_all(fd, frame, wrap_frame(in, buf, len, frame, sizeof(frame)));
}

/* Did the relay connect to the target within ms?  Takes one connection. */
static int
target_hit(int lfd, int ms)
{
	struct pollfd	 pfd;
	int		 s;

	pfd.fd = lfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) <= 0)
		return (0);
	if ((s = accept(lfd, NULL, NULL)) != -1)
		(void)close(s);
	return (1);
}

/* The relay closed our client (EOF or reset) within ms. */
static int
client_closed(int fd, int ms)
{
	struct pollfd	 pfd;
	uint8_t		 buf[256];
	long long	 end = now_ms() + ms;
	ssize_t		 n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(end - now_ms() > 0 ?
		    end - now_ms() : 0)) <= 0)
			return (0);
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return (1);
		if (n == -1 && errno != EINTR)
			return (1);
	}
}

/* A method-none session that must work: the relay is still useful. */
static void
relay_works(struct child *ch, uint64_t sid, int lfd, in_port_t port)
{
	uint8_t	 req[16];
	int	 c;

	c = relay_client_send(ch, sid, METHOD_NONE, 1);
	write_all(c, req, socks_connect(req, port));
	if (!target_hit(lfd, WAIT_REPLY)) {
		alive(ch);
		show_log(ch->ch_name);
		atf_tc_fail("the relay did not carry a good session");
	}
	(void)close(c);
}

/*
 * An exported context as authd makes it (authd's own code, linked in),
 * for the initiator in, at confidentiality.
 */
static void
export_context(struct krbenv *k, struct initiator *in, gss_buffer_t exp,
    struct relay_context *rc, uint64_t sid)
{
	struct auth_session	 as;
	struct gssconf		 gc;
	struct replay		*rp;
	krb5_keytab		 kt;
	struct auth_cred	*cred;
	gss_buffer_desc		 tok, out, lt;
	OM_uint32		 minor;
	char			 err[512];
	int			 complete, level;

	ATF_REQUIRE_MSG(auth_keytab_load(k->k_ctx, k->k_keytab,
	    k->k_keytablen, "test keytab", 0, &kt, err, sizeof(err)) >= 0,
	    "%s", err);
	ATF_REQUIRE((rp = auth_replay_create(AUTH_REPLAY_MAX,
	    krb5_get_max_time_skew(k->k_ctx))) != NULL);
	gssconf_fill(&gc, "test keytab");
	ATF_REQUIRE_MSG((cred = auth_cred_new(kt, err, sizeof(err))) != NULL,
	    "%s", err);
	ATF_REQUIRE_MSG(auth_gss_init(&as, k->k_ctx, &gc, cred, rp, err,
	    sizeof(err)) == 0, "%s", err);
	memset(in, 0, sizeof(*in));
	in->i_ctx = GSS_C_NO_CONTEXT;
	init_step(k, in, GSS_C_NO_BUFFER, &tok);
	ATF_REQUIRE_MSG(auth_gss_token(&as, tok.value, tok.length, &out,
	    &complete, err, sizeof(err)) == 0, "%s", err);
	ATF_REQUIRE(complete);
	(void)gss_release_buffer(&minor, &tok);
	init_step(k, in, &out, &tok);
	ATF_REQUIRE(in->i_open);
	(void)gss_release_buffer(&minor, &out);
	(void)gss_release_buffer(&minor, &tok);
	level_token(in, GSS_LEVEL_CONF, &lt);
	ATF_REQUIRE_MSG(auth_gss_protect(&as, lt.value, lt.length, &out,
	    &level, err, sizeof(err)) == 0, "%s", err);
	(void)gss_release_buffer(&minor, &lt);
	(void)gss_release_buffer(&minor, &out);
	ATF_REQUIRE_MSG(auth_gss_export(&as, exp, err, sizeof(err)) == 0,
	    "%s", err);
	memset(rc, 0, sizeof(*rc));
	rc->rc_sid = sid;
	rc->rc_level = level;
	rc->rc_flags = as.as_flags;
	(void)strlcpy(rc->rc_principal, as.as_principal,
	    sizeof(rc->rc_principal));
	auth_gss_free(&as);
	auth_cred_unref(cred);
	auth_replay_free(rp);
	auth_keytab_free(k->k_ctx, kt);
}

static void
context_send(struct child *ch, const struct relay_context *rc,
    const void *tok, size_t len)
{
	struct iovec	 iov[2];

	iov[0].iov_base = (void *)(uintptr_t)rc;
	iov[0].iov_len = sizeof(*rc);
	iov[1].iov_base = (void *)(uintptr_t)tok;
	iov[1].iov_len = len;
	chan_sendv(&ch->ch_peer, IMSG_RELAY_CONTEXT, -1, iov, len > 0 ? 2 : 1);
}

/* A gssapi session with a real context that must be carried. */
static void
relay_gss_works(struct child *ch, struct krbenv *k, uint64_t sid, int lfd,
    in_port_t port)
{
	struct initiator	 in;
	struct relay_context	 rc;
	gss_buffer_desc		 exp;
	OM_uint32		 minor;
	uint8_t			 req[16];
	int			 c;

	export_context(k, &in, &exp, &rc, sid);
	context_send(ch, &rc, exp.value, exp.length);
	(void)gss_release_buffer(&minor, &exp);
	c = relay_client_send(ch, sid, METHOD_GSSAPI, 1);
	send_wrapped(c, &in, req, socks_connect(req, port));
	if (!target_hit(lfd, WAIT_REPLY)) {
		alive(ch);
		show_log(ch->ch_name);
		atf_tc_fail("a good gssapi session was not carried");
	}
	(void)close(c);
	(void)gss_delete_sec_context(&minor, &in.i_ctx, NULL);
}

/* ------------------------------------------------------------------ */
/* authd. */

#define ROOT_TC(name, what, t)						\
	ATF_TC_WITH_CLEANUP(name);					\
	ATF_TC_HEAD(name, tc)						\
	{								\
		atf_tc_set_md_var(tc, "descr", what);			\
		atf_tc_set_md_var(tc, "require.user", "root");		\
		atf_tc_set_md_var(tc, "timeout", t);			\
	}								\
	ATF_TC_CLEANUP(name, tc)					\
	{								\
		(void)tc;						\
		children_cleanup();					\
		tk_kdc_cleanup();					\
	}

ROOT_TC(authd_control, "a real negotiation through the harness is "
    "granted: the context to relay 0, IMSG_AUTH_OK to the front end", "60")
ATF_TC_BODY(authd_control, tc)
{
	static uint8_t		 buf[PROC_MAX_IMSGSIZE];
	struct krbenv		 k;
	struct child		 ch;
	struct initiator	 in;
	struct relay_context	 rc;
	struct auth_ok		 ao;
	gss_buffer_desc		 lt;
	OM_uint32		 minor;
	size_t			 len;

	krb_setup(&k, 1);
	(void)atexit(children_kill);
	authd_start(tc, &ch, &k);
	auth_establish(&ch, &k, &in, 0x1001, NULL);
	level_token(&in, GSS_LEVEL_CONF, &lt);
	auth_msg(&ch, IMSG_AUTH_PROTECT, 0x1001, lt.value, lt.length);
	(void)gss_release_buffer(&minor, &lt);
	len = sizeof(buf);
	recv_for(&ch, &ch.ch_peer, IMSG_RELAY_CONTEXT, 0x1001, buf, &len);
	ATF_REQUIRE(len > sizeof(rc));
	memcpy(&rc, buf, sizeof(rc));
	ATF_CHECK_EQ(rc.rc_level, GSS_LEVEL_CONF);
	ATF_CHECK_STREQ(rc.rc_principal, TK_USER);
	len = sizeof(buf);
	recv_for(&ch, &ch.ch_front, IMSG_AUTH_OK, 0x1001, buf, &len);
	memcpy(&ao, buf, sizeof(ao));
	ATF_CHECK_EQ(ao.ao_level, GSS_LEVEL_CONF);
	alive(&ch);
	(void)gss_delete_sec_context(&minor, &in.i_ctx, NULL);
	krb_teardown(&k);
}

ROOT_TC(authd_oversized, "an imsg longer than the channel's maximum drops "
    "the channel, a token longer than 65535 bytes drops the message; "
    "authd runs on and grants nothing", "60")
ATF_TC_BODY(authd_oversized, tc)
{
	struct krbenv	 k;
	struct child	 ch;
	struct seen	 s;
	struct imsg_hdr	 hdr;
	uint8_t		*big;
	size_t		 biglen = PROC_MAX_IMSGSIZE - sizeof(struct auth_hdr);

	krb_setup(&k, 0);
	(void)atexit(children_kill);
	authd_start(tc, &ch, &k);

	/* A token one byte over RFC 1961's 65535, in a legal imsg. */
	ATF_REQUIRE((big = calloc(1, biglen)) != NULL);
	auth_begin(&ch, 0x2001, 0);
	auth_msg(&ch, IMSG_AUTH_TOKEN, 0x2001, big, 65536);
	auth_msg(&ch, IMSG_AUTH_TOKEN, 0x2001, big, biglen);
	auth_msg(&ch, IMSG_AUTH_PROTECT, 0x2001, big, 65536);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_eof, 0);
	authd_answers(&ch, 0x2002);

	/* A header announcing more than the channel takes. */
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = IMSG_AUTH_TOKEN;
	hdr.len = PROC_MAX_IMSGSIZE + sizeof(hdr) + 1;
	chan_raw(&ch.ch_front, &hdr, sizeof(hdr));
	chan_raw(&ch.ch_front, big, biglen);
	no_grant(&ch, &s);
	printf("oversized imsg: channel %s\n", s.s_eof ? "dropped" :
	    "kept");
	front_repeer(&ch);
	authd_answers(&ch, 0x2003);
	hdr.len = UINT32_MAX;
	chan_raw(&ch.ch_front, &hdr, sizeof(hdr));
	no_grant(&ch, &s);
	printf("4 GiB imsg: channel %s\n", s.s_eof ? "dropped" : "kept");
	front_repeer(&ch);
	authd_answers(&ch, 0x2004);
	free(big);
	krb_teardown(&k);
}

ROOT_TC(authd_unknown_type, "messages of unknown or wrong types from the "
    "front end and a relay are dropped", "60")
ATF_TC_BODY(authd_unknown_type, tc)
{
	static const uint32_t	 types[] = {
		IMSG_NONE, 9999, UINT32_MAX, IMSG_CFG_GLOBAL, IMSG_CFG_DONE,
		IMSG_CTL_START, IMSG_AUTH_OK, IMSG_AUTH_FAIL,
		IMSG_RELAY_CONTEXT, IMSG_RELAY_CLIENT, IMSG_RELAY_END
	};
	struct krbenv		 k;
	struct child		 ch;
	struct seen		 s;
	uint8_t			 junk[600];
	size_t			 i;

	krb_setup(&k, 0);
	(void)atexit(children_kill);
	authd_start(tc, &ch, &k);
	memset(junk, 0x41, sizeof(junk));
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		chan_send(&ch.ch_front, types[i], -1, junk, sizeof(junk));
		chan_send(&ch.ch_front, types[i], -1, NULL, 0);
		chan_send(&ch.ch_peer, types[i], -1, junk, sizeof(junk));
		chan_send(&ch.ch_peer, IMSG_AUTH_BEGIN, -1, junk, 40);
	}
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_eof, 0);
	authd_answers(&ch, 0x3001);
	krb_teardown(&k);
}

ROOT_TC(authd_unknown_sid, "tokens, level messages and aborts for a "
    "session never begun are dropped", "60")
ATF_TC_BODY(authd_unknown_sid, tc)
{
	struct krbenv	 k;
	struct child	 ch;
	struct seen	 s;

	krb_setup(&k, 0);
	(void)atexit(children_kill);
	authd_start(tc, &ch, &k);
	auth_msg(&ch, IMSG_AUTH_TOKEN, 0x4001, "abc", 3);
	auth_msg(&ch, IMSG_AUTH_PROTECT, 0x4001, "\x02", 1);
	auth_msg(&ch, IMSG_AUTH_ABORT, 0x4001, NULL, 0);
	auth_msg(&ch, IMSG_AUTH_PROTECT, UINT64_MAX, "\x02", 1);
	auth_msg(&ch, IMSG_AUTH_TOKEN, 0, "abc", 3);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_fail + s.s_token + s.s_other, 0);
	authd_answers(&ch, 0x4002);
	/* That session is over: more for it is dropped. */
	auth_msg(&ch, IMSG_AUTH_PROTECT, 0x4002, "\x02", 1);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_fail, 0);
	krb_teardown(&k);
}

/* A made-up policy, or a relay out of range or not up. */
struct badbegin {
	const char	*b_what;
	int		 b_relay;
	void		(*b_gss)(struct gssconf *);
};

static void
bad_clear(struct gssconf *gc)
{
	gc->gc_levels |= GSS_LEVEL_BIT(GSS_LEVEL_CLEAR);
}

static void
bad_nec(struct gssconf *gc)
{
	gc->gc_nec = 1;
}

static void
bad_nolevels(struct gssconf *gc)
{
	gc->gc_levels = 0;
}

static void
bad_service(struct gssconf *gc)
{
	(void)strlcpy(gc->gc_servicename, "rcmd", sizeof(gc->gc_servicename));
}

static void
bad_keytab(struct gssconf *gc)
{
	(void)strlcpy(gc->gc_keytab, "/etc/shadow", sizeof(gc->gc_keytab));
	gc->gc_keytab_id = 7;
}

static void
bad_unterminated(struct gssconf *gc)
{
	memset(gc->gc_servicename, 'A', sizeof(gc->gc_servicename));
	memset(gc->gc_keytab, 'B', sizeof(gc->gc_keytab));
}

ROOT_TC(authd_begin_bad, "with real Kerberos tokens: a session begun with "
    "GSS-API settings no client rule has, or for a relay out of range or "
    "not up, is never negotiated", "60")
ATF_TC_BODY(authd_begin_bad, tc)
{
	static const struct badbegin	 bad[] = {
		{ "level clear added", 0, bad_clear },
		{ "necgssapi", 0, bad_nec },
		{ "no level", 0, bad_nolevels },
		{ "another service", 0, bad_service },
		{ "another keytab", 0, bad_keytab },
		{ "strings without a NUL", 0, bad_unterminated },
		{ "relay -1", -1, NULL },
		{ "relay 64", SOCKD_MAXRELAYS, NULL },
		{ "relay INT_MAX", INT_MAX, NULL },
		{ "relay INT_MIN", INT_MIN, NULL },
		{ "relay 1, not up", 1, NULL },
		{ "relay 63, not up", SOCKD_MAXRELAYS - 1, NULL },
	};
	struct krbenv			 k;
	struct child			 ch;
	struct seen			 s;
	struct initiator		 in;
	struct gssconf			 gc;
	gss_buffer_desc			 tok;
	OM_uint32			 minor;
	uint64_t			 sid;
	size_t				 i;

	krb_setup(&k, 1);
	(void)atexit(children_kill);
	authd_start(tc, &ch, &k);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sid = 0x5000 + i;
		gc = good_gss;
		if (bad[i].b_gss != NULL)
			bad[i].b_gss(&gc);
		auth_begin_gss(&ch, sid, &gc, bad[i].b_relay);
		memset(&in, 0, sizeof(in));
		in.i_ctx = GSS_C_NO_CONTEXT;
		init_step(&k, &in, GSS_C_NO_BUFFER, &tok);
		auth_msg(&ch, IMSG_AUTH_TOKEN, sid, tok.value, tok.length);
		(void)gss_release_buffer(&minor, &tok);
		(void)gss_delete_sec_context(&minor, &in.i_ctx, NULL);
		no_grant(&ch, &s);
		printf("%s: %d refusal(s)%s%s\n", bad[i].b_what, s.s_fail,
		    s.s_fail ? ": " : "", s.s_reason);
		/* Never negotiated: no answer token, at most one refusal. */
		ATF_CHECK_EQ_MSG(s.s_token, 0, "%s: negotiated", bad[i].b_what);
		ATF_CHECK(s.s_fail <= 1);
	}
	/* A good session still gets its answer. */
	auth_establish(&ch, &k, &in, 0x5100, NULL);
	alive(&ch);
	(void)gss_delete_sec_context(&minor, &in.i_ctx, NULL);
	krb_teardown(&k);
}

ROOT_TC(authd_begin_twice, "a second IMSG_AUTH_BEGIN with a session id in "
    "use is dropped and changes nothing", "60")
ATF_TC_BODY(authd_begin_twice, tc)
{
	struct krbenv	 k;
	struct child	 ch;
	struct seen	 s;

	krb_setup(&k, 0);
	(void)atexit(children_kill);
	authd_start(tc, &ch, &k);
	struct gssconf	 gc;

	auth_begin(&ch, 0x6001, 0);
	auth_begin(&ch, 0x6001, 5);
	gc = good_gss;
	gc.gc_levels |= GSS_LEVEL_BIT(GSS_LEVEL_CLEAR);
	auth_begin_gss(&ch, 0x6001, &gc, 0);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_fail, 0);
	/* One session: one refusal, then it is gone. */
	auth_msg(&ch, IMSG_AUTH_TOKEN, 0x6001, "not a token", 11);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_fail, 1);
	ATF_CHECK_EQ(s.s_failsid, 0x6001);
	auth_msg(&ch, IMSG_AUTH_TOKEN, 0x6001, "not a token", 11);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_fail, 0);
	authd_answers(&ch, 0x6002);
	krb_teardown(&k);
}

ROOT_TC(authd_truncated, "messages shorter or longer than their struct are "
    "dropped", "60")
ATF_TC_BODY(authd_truncated, tc)
{
	struct krbenv		 k;
	struct child		 ch;
	struct seen		 s;
	uint8_t			 buf[sizeof(struct auth_begin) + 8];

	krb_setup(&k, 0);
	(void)atexit(children_kill);
	authd_start(tc, &ch, &k);
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x01;		/* sid 0x7001, little or big, never used */
	buf[1] = 0x70;
	chan_send(&ch.ch_front, IMSG_AUTH_BEGIN, -1, buf,
	    sizeof(struct auth_begin) - 1);
	chan_send(&ch.ch_front, IMSG_AUTH_BEGIN, -1, buf,
	    sizeof(struct auth_begin) + 1);
	chan_send(&ch.ch_front, IMSG_AUTH_BEGIN, -1, buf, 1);
	chan_send(&ch.ch_front, IMSG_AUTH_BEGIN, -1, NULL, 0);
	chan_send(&ch.ch_front, IMSG_AUTH_TOKEN, -1, buf,
	    sizeof(struct auth_hdr) - 1);
	chan_send(&ch.ch_front, IMSG_AUTH_TOKEN, -1, NULL, 0);
	chan_send(&ch.ch_front, IMSG_AUTH_PROTECT, -1, buf, 3);
	chan_send(&ch.ch_front, IMSG_AUTH_ABORT, -1, buf, 3);
	/* A session that exists, with a header cut short. */
	auth_begin(&ch, 0x7002, 0);
	chan_send(&ch.ch_front, IMSG_AUTH_PROTECT, -1, buf, 7);
	chan_send(&ch.ch_front, IMSG_AUTH_TOKEN, -1, buf, 4);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_eof, 0);
	authd_answers(&ch, 0x7003);
	krb_teardown(&k);
}

ROOT_TC(authd_garbage, "bytes that are no imsg framing make authd drop "
    "the front channel and run on; a new channel works", "60")
ATF_TC_BODY(authd_garbage, tc)
{
	struct krbenv	 k;
	struct child	 ch;
	struct seen	 s;
	struct imsg_hdr	 hdr;
	uint8_t		 junk[256];
	int		 fds[2];

	krb_setup(&k, 0);
	(void)atexit(children_kill);
	authd_start(tc, &ch, &k);

	/* All ones: a length of 4 GiB. */
	memset(junk, 0xff, sizeof(junk));
	chan_raw(&ch.ch_front, junk, sizeof(junk));
	no_grant(&ch, &s);
	printf("0xff bytes: channel %s\n", s.s_eof ? "dropped" : "kept");
	front_repeer(&ch);
	authd_answers(&ch, 0x8001);

	/* A length shorter than the header. */
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = IMSG_AUTH_BEGIN;
	hdr.len = 8;
	chan_raw(&ch.ch_front, &hdr, sizeof(hdr));
	chan_raw(&ch.ch_front, junk, 64);
	no_grant(&ch, &s);
	printf("short length: channel %s\n", s.s_eof ? "dropped" : "kept");
	front_repeer(&ch);
	authd_answers(&ch, 0x8002);

	/* A descriptor promised but not sent, and unknown flags. */
	hdr.len = sizeof(hdr) + sizeof(struct auth_hdr);
	hdr.flags = IMSGF_HASFD;
	chan_raw(&ch.ch_front, &hdr, sizeof(hdr));
	chan_raw(&ch.ch_front, junk, sizeof(struct auth_hdr));
	no_grant(&ch, &s);
	printf("descriptor flag: channel %s\n", s.s_eof ? "dropped" :
	    "kept");
	front_repeer(&ch);
	hdr.flags = 0x80;
	chan_raw(&ch.ch_front, &hdr, sizeof(hdr));
	chan_raw(&ch.ch_front, junk, sizeof(struct auth_hdr));
	no_grant(&ch, &s);
	front_repeer(&ch);

	/* A real descriptor on a channel that takes none. */
	ATF_REQUIRE(pipe(fds) == 0);
	auth_begin(&ch, 0x8003, 0);
	chan_send(&ch.ch_front, IMSG_AUTH_TOKEN, fds[0], "\0\0\0\0", 4);
	no_grant(&ch, &s);
	printf("passed descriptor: channel %s\n", s.s_eof ? "dropped" :
	    "kept");
	(void)close(fds[1]);
	front_repeer(&ch);

	/* Half a header, then the channel closes. */
	chan_raw(&ch.ch_front, &hdr, 7);
	chan_close(&ch.ch_front);
	sleep_ms(WAIT_QUIET);
	alive(&ch);
	front_repeer(&ch);
	authd_answers(&ch, 0x8004);
	krb_teardown(&k);
}

ROOT_TC(authd_out_of_order, "with real Kerberos tokens: a level message "
    "before the context, a token after it, another session's level "
    "message, a second level message after the grant and a replayed "
    "token grant nothing; the proper session is granted once", "60")
ATF_TC_BODY(authd_out_of_order, tc)
{
	static uint8_t		 buf[PROC_MAX_IMSGSIZE];
	struct krbenv		 k;
	struct child		 ch;
	struct initiator	 a, c;
	struct seen		 s;
	gss_buffer_desc		 lt, first = GSS_C_EMPTY_BUFFER;
	OM_uint32		 minor;
	size_t			 len;

	krb_setup(&k, 1);
	(void)atexit(children_kill);
	authd_start(tc, &ch, &k);

	/* An export before authentication: the level first. */
	auth_begin(&ch, 0x9001, 0);
	auth_msg(&ch, IMSG_AUTH_PROTECT, 0x9001, "\x02", 1);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_fail, 1);
	printf("level before the context: %s\n", s.s_reason);
	auth_msg(&ch, IMSG_AUTH_PROTECT, 0x9001, "\x02", 1);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_fail, 0);

	/* A's context established; B begun, no token. */
	auth_establish(&ch, &k, &a, 0x9002, &first);
	auth_begin(&ch, 0x9003, 0);
	/* B sends A's valid level message. */
	level_token(&a, GSS_LEVEL_CONF, &lt);
	auth_msg(&ch, IMSG_AUTH_PROTECT, 0x9003, lt.value, lt.length);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_fail, 1);
	ATF_CHECK_EQ(s.s_failsid, 0x9003);
	printf("another session's level message: %s\n", s.s_reason);
	/* A replays its own first token as a new session D. */
	auth_begin(&ch, 0x9004, 0);
	auth_msg(&ch, IMSG_AUTH_TOKEN, 0x9004, first.value, first.length);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_fail, 1);
	ATF_CHECK_EQ(s.s_token, 0);
	printf("replayed token: %s\n", s.s_reason);

	/* A is granted once, to relay 0. */
	auth_msg(&ch, IMSG_AUTH_PROTECT, 0x9002, lt.value, lt.length);
	len = sizeof(buf);
	recv_for(&ch, &ch.ch_peer, IMSG_RELAY_CONTEXT, 0x9002, buf, &len);
	len = sizeof(buf);
	recv_for(&ch, &ch.ch_front, IMSG_AUTH_OK, 0x9002, buf, &len);
	/* ... and only once. */
	auth_msg(&ch, IMSG_AUTH_PROTECT, 0x9002, lt.value, lt.length);
	auth_msg(&ch, IMSG_AUTH_TOKEN, 0x9002, first.value, first.length);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_fail, 0);
	(void)gss_release_buffer(&minor, &lt);

	/* C: established, then a context token again. */
	auth_establish(&ch, &k, &c, 0x9005, NULL);
	auth_msg(&ch, IMSG_AUTH_TOKEN, 0x9005, "\x60\x01\x00", 3);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_fail, 1);
	printf("token after the context: %s\n", s.s_reason);
	level_token(&c, GSS_LEVEL_CONF, &lt);
	auth_msg(&ch, IMSG_AUTH_PROTECT, 0x9005, lt.value, lt.length);
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_fail, 0);
	(void)gss_release_buffer(&minor, &lt);
	free(first.value);
	(void)gss_delete_sec_context(&minor, &a.i_ctx, NULL);
	(void)gss_delete_sec_context(&minor, &c.i_ctx, NULL);
	krb_teardown(&k);
}

/* ------------------------------------------------------------------ */
/* The relay. */

ROOT_TC(relay_control, "sessions the harness hands a relay properly are "
    "carried: method none, and gssapi with a real exported context", "60")
ATF_TC_BODY(relay_control, tc)
{
	struct krbenv	 k;
	struct child	 ch;
	in_port_t	 port;
	int		 lfd;

	krb_setup(&k, 1);
	(void)atexit(children_kill);
	lfd = tcp_listener(&port);
	relay_start(tc, &ch, k.k_realm.tk_keytab, 1);
	relay_works(&ch, 0xa001, lfd, port);
	relay_gss_works(&ch, &k, 0xa002, lfd, port);
	alive(&ch);
	krb_teardown(&k);
}

ROOT_TC(relay_client_bad, "IMSG_RELAY_CLIENT without a descriptor, cut "
    "short, or with a method that is neither none nor gssapi: dropped, "
    "the descriptor closed, no connection", "60")
ATF_TC_BODY(relay_client_bad, tc)
{
	static const int	 bad[] = {
		METHOD_UNAME, METHOD_NOACCEPT, 3, -1, INT_MAX, INT_MIN
	};
	struct krbenv		 k;
	struct child		 ch;
	struct seen		 s;
	struct relay_client	 rl;
	uint8_t			 req[16];
	in_port_t		 port;
	size_t			 i;
	int			 lfd, c, theirs;

	krb_setup(&k, 0);
	(void)atexit(children_kill);
	lfd = tcp_listener(&port);
	relay_start(tc, &ch, k.k_realm.tk_keytab, 1);

	c = relay_client_send(&ch, 0xb001, METHOD_NONE, 0);
	write_all(c, req, socks_connect(req, port));
	ATF_CHECK(!target_hit(lfd, WAIT_QUIET));
	(void)close(c);
	no_grant(&ch, &s);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = relay_client_send(&ch, 0xb010 + i, bad[i], 1);
		write_all(c, req, socks_connect(req, port));
		ATF_CHECK_MSG(client_closed(c, WAIT_REPLY),
		    "method %d: the client was kept", bad[i]);
		ATF_CHECK_MSG(!target_hit(lfd, 0), "method %d: carried",
		    bad[i]);
		(void)close(c);
		alive(&ch);
	}

	/* Cut short, with a descriptor. */
	memset(&rl, 0, sizeof(rl));
	theirs = client_pair(&c, &rl.rl_client, &rl.rl_local);
	rl.rl_sid = 0xb020;
	chan_send(&ch.ch_front, IMSG_RELAY_CLIENT, theirs, &rl,
	    sizeof(rl) - 1);
	write_all(c, req, socks_connect(req, port));
	ATF_CHECK(client_closed(c, WAIT_REPLY));
	ATF_CHECK(!target_hit(lfd, 0));
	(void)close(c);
	no_grant(&ch, &s);
	relay_works(&ch, 0xb030, lfd, port);
	krb_teardown(&k);
}

ROOT_TC(relay_unknown_type, "messages of unknown or wrong types on the "
    "front and authd channels of a relay are dropped", "60")
ATF_TC_BODY(relay_unknown_type, tc)
{
	static const uint32_t	 types[] = {
		IMSG_NONE, 9999, UINT32_MAX, IMSG_CFG_GLOBAL, IMSG_CFG_RULE,
		IMSG_CFG_DONE, IMSG_CTL_PEER, IMSG_AUTH_BEGIN, IMSG_AUTH_OK,
		IMSG_RELAY_END
	};
	struct krbenv		 k;
	struct child		 ch;
	struct seen		 s;
	uint8_t			 junk[300];
	in_port_t		 port;
	size_t			 i;
	int			 lfd;

	krb_setup(&k, 0);
	(void)atexit(children_kill);
	lfd = tcp_listener(&port);
	relay_start(tc, &ch, k.k_realm.tk_keytab, 1);
	memset(junk, 0x5a, sizeof(junk));
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		chan_send(&ch.ch_front, types[i], -1, junk, sizeof(junk));
		chan_send(&ch.ch_peer, types[i], -1, junk, sizeof(junk));
	}
	/* A client from authd, a context from the front end. */
	chan_send(&ch.ch_peer, IMSG_RELAY_CLIENT, -1, junk,
	    sizeof(struct relay_client));
	chan_send(&ch.ch_front, IMSG_RELAY_CONTEXT, -1, junk, sizeof(junk));
	no_grant(&ch, &s);
	ATF_CHECK_EQ(s.s_eof, 0);
	relay_works(&ch, 0xc001, lfd, port);
	krb_teardown(&k);
}

ROOT_TC(relay_garbage, "bytes that are no imsg framing on the front or "
    "authd channel: the relay drops that channel and runs on; with new "
    "channels it serves", "60")
ATF_TC_BODY(relay_garbage, tc)
{
	struct krbenv	 k;
	struct child	 ch;
	struct seen	 s;
	uint8_t		 junk[256];
	in_port_t	 port;
	int		 lfd;

	krb_setup(&k, 1);
	(void)atexit(children_kill);
	lfd = tcp_listener(&port);
	relay_start(tc, &ch, k.k_realm.tk_keytab, 1);
	memset(junk, 0xff, sizeof(junk));
	chan_raw(&ch.ch_front, junk, sizeof(junk));
	no_grant(&ch, &s);
	printf("0xff bytes on the front channel: %s\n", s.s_eof ?
	    "dropped" : "kept");
	chan_raw(&ch.ch_peer, junk, sizeof(junk));
	no_grant(&ch, &s);
	printf("0xff bytes on the authd channel: %s\n", s.s_eof ?
	    "dropped" : "kept");
	/* New channels, as for a restarted front end and authd. */
	front_repeer(&ch);
	chan_close(&ch.ch_peer);
	peer_send(&ch, PROC_AUTH, 0, chan_pair(&ch.ch_peer));
	relay_works(&ch, 0xc101, lfd, port);
	relay_gss_works(&ch, &k, 0xc102, lfd, port);
	krb_teardown(&k);
}

ROOT_TC(relay_context_bad, "IMSG_RELAY_CONTEXT with garbage for a context, "
    "a level out of range or no context at all: refused cleanly, and a "
    "client for that session is never carried", "60")
ATF_TC_BODY(relay_context_bad, tc)
{
	struct krbenv		 k;
	struct child		 ch;
	struct seen		 s;
	struct relay_context	 rc;
	uint8_t			 junk[400], req[16];
	in_port_t		 port;
	int			 lfd, c, i;

	krb_setup(&k, 0);
	(void)atexit(children_kill);
	lfd = tcp_listener(&port);
	relay_start(tc, &ch, k.k_realm.tk_keytab, 1);
	for (i = 0; i < (int)sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	memset(&rc, 0, sizeof(rc));
	(void)strlcpy(rc.rc_principal, TK_USER, sizeof(rc.rc_principal));
	rc.rc_sid = 0xd001;
	rc.rc_level = GSS_LEVEL_CONF;
	context_send(&ch, &rc, junk, sizeof(junk));
	rc.rc_sid = 0xd002;
	rc.rc_level = 7;
	context_send(&ch, &rc, junk, sizeof(junk));
	rc.rc_level = -1;
	context_send(&ch, &rc, junk, sizeof(junk));
	rc.rc_sid = 0xd003;
	rc.rc_level = GSS_LEVEL_CONF;
	context_send(&ch, &rc, NULL, 0);
	chan_send(&ch.ch_peer, IMSG_RELAY_CONTEXT, -1, &rc, 12);
	/* An exported context's header with garbage after it. */
	junk[0] = 0;
	junk[1] = 0;
	junk[2] = 0;
	junk[3] = 9;
	rc.rc_sid = 0xd004;
	context_send(&ch, &rc, junk, 13);
	no_grant(&ch, &s);

	for (i = 1; i <= 4; i++) {
		c = relay_client_send(&ch, 0xd000 + i, METHOD_GSSAPI, 1);
		write_all(c, req, socks_connect(req, port));
		ATF_CHECK_MSG(!target_hit(lfd, WAIT_QUIET),
		    "session %x carried without a context", 0xd000 + i);
		(void)close(c);
	}
	no_grant(&ch, &s);
	relay_works(&ch, 0xd010, lfd, port);
	krb_teardown(&k);
}

ROOT_TC(relay_context_other, "a real context for one session and the "
    "client of another do not join; the right client is carried", "60")
ATF_TC_BODY(relay_context_other, tc)
{
	struct krbenv		 k;
	struct child		 ch;
	struct initiator	 in;
	struct relay_context	 rc;
	gss_buffer_desc		 exp;
	OM_uint32		 minor;
	uint8_t			 req[16];
	uint8_t			 frame[1024];
	size_t			 n;
	in_port_t		 port;
	int			 lfd, cb, ca;

	krb_setup(&k, 1);
	(void)atexit(children_kill);
	lfd = tcp_listener(&port);
	relay_start(tc, &ch, k.k_realm.tk_keytab, 1);
	export_context(&k, &in, &exp, &rc, 0xe001);
	context_send(&ch, &rc, exp.value, exp.length);
	(void)gss_release_buffer(&minor, &exp);
	/* B's client sends what A's client will send: a stolen frame. */
	n = wrap_frame(&in, req, socks_connect(req, port), frame,
	    sizeof(frame));
	cb = relay_client_send(&ch, 0xe002, METHOD_GSSAPI, 1);
	write_all(cb, frame, n);
	ATF_CHECK_MSG(!target_hit(lfd, WAIT_QUIET),
	    "a client was carried on another session's context");
	alive(&ch);
	/* A's own client. */
	ca = relay_client_send(&ch, 0xe001, METHOD_GSSAPI, 1);
	write_all(ca, frame, n);
	ATF_CHECK_MSG(target_hit(lfd, WAIT_REPLY),
	    "the session that owns the context was not carried");
	(void)close(ca);
	(void)close(cb);
	alive(&ch);
	(void)gss_delete_sec_context(&minor, &in.i_ctx, NULL);
	krb_teardown(&k);
}

ROOT_TC(relay_client_twice, "a second client for a session id in use is "
    "refused and closed; the first is carried", "60")
ATF_TC_BODY(relay_client_twice, tc)
{
	struct krbenv	 k;
	struct child	 ch;
	struct seen	 s;
	uint8_t		 req[16];
	in_port_t	 port;
	int		 lfd, c1, c2;

	krb_setup(&k, 0);
	(void)atexit(children_kill);
	lfd = tcp_listener(&port);
	relay_start(tc, &ch, k.k_realm.tk_keytab, 1);
	c1 = relay_client_send(&ch, 0xf001, METHOD_NONE, 1);
	c2 = relay_client_send(&ch, 0xf001, METHOD_NONE, 1);
	ATF_CHECK_MSG(client_closed(c2, WAIT_REPLY),
	    "the second client of a session was kept");
	write_all(c1, req, socks_connect(req, port));
	ATF_CHECK_MSG(target_hit(lfd, WAIT_REPLY),
	    "the first client of the session was not carried");
	(void)close(c1);
	(void)close(c2);
	no_grant(&ch, &s);
	krb_teardown(&k);
}

ROOT_TC(relay_none_unconfigured, "with socksmethod gssapi only, a client "
    "handed over as method none is not carried", "60")
ATF_TC_BODY(relay_none_unconfigured, tc)
{
	struct krbenv	 k;
	struct child	 ch;
	uint8_t		 req[16];
	in_port_t	 port;
	int		 lfd, c;

	krb_setup(&k, 1);
	(void)atexit(children_kill);
	lfd = tcp_listener(&port);
	relay_start(tc, &ch, k.k_realm.tk_keytab, 0);
	c = relay_client_send(&ch, 0xf101, METHOD_NONE, 1);
	write_all(c, req, socks_connect(req, port));
	ATF_CHECK_MSG(!target_hit(lfd, WAIT_REPLY),
	    "an unauthenticated client was carried although the "
	    "configuration has no method none");
	(void)close(c);
	relay_gss_works(&ch, &k, 0xf102, lfd, port);
	krb_teardown(&k);
}

ROOT_TC(relay_context_then_none, "a client handed over as method none for "
    "a session whose confidentiality context arrived is not carried in "
    "the clear", "60")
ATF_TC_BODY(relay_context_then_none, tc)
{
	struct krbenv		 k;
	struct child		 ch;
	struct initiator	 in;
	struct relay_context	 rc;
	gss_buffer_desc		 exp;
	OM_uint32		 minor;
	uint8_t			 req[16];
	in_port_t		 port;
	int			 lfd, c;

	krb_setup(&k, 1);
	(void)atexit(children_kill);
	lfd = tcp_listener(&port);
	relay_start(tc, &ch, k.k_realm.tk_keytab, 1);
	export_context(&k, &in, &exp, &rc, 0xf201);
	context_send(&ch, &rc, exp.value, exp.length);
	(void)gss_release_buffer(&minor, &exp);
	c = relay_client_send(&ch, 0xf201, METHOD_NONE, 1);
	write_all(c, req, socks_connect(req, port));
	ATF_CHECK_MSG(!target_hit(lfd, WAIT_REPLY),
	    "a session agreed at confidentiality was carried in the clear");
	(void)close(c);
	relay_gss_works(&ch, &k, 0xf202, lfd, port);
	(void)gss_delete_sec_context(&minor, &in.i_ctx, NULL);
	krb_teardown(&k);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, authd_control);
	ATF_TP_ADD_TC(tp, authd_oversized);
	ATF_TP_ADD_TC(tp, authd_unknown_type);
	ATF_TP_ADD_TC(tp, authd_unknown_sid);
	ATF_TP_ADD_TC(tp, authd_begin_bad);
	ATF_TP_ADD_TC(tp, authd_begin_twice);
	ATF_TP_ADD_TC(tp, authd_truncated);
	ATF_TP_ADD_TC(tp, authd_garbage);
	ATF_TP_ADD_TC(tp, authd_out_of_order);
	ATF_TP_ADD_TC(tp, relay_control);
	ATF_TP_ADD_TC(tp, relay_client_bad);
	ATF_TP_ADD_TC(tp, relay_unknown_type);
	ATF_TP_ADD_TC(tp, relay_garbage);
	ATF_TP_ADD_TC(tp, relay_context_bad);
	ATF_TP_ADD_TC(tp, relay_context_other);
	ATF_TP_ADD_TC(tp, relay_client_twice);
	ATF_TP_ADD_TC(tp, relay_none_unconfigured);
	ATF_TP_ADD_TC(tp, relay_context_then_none);
	return (atf_no_error());
}

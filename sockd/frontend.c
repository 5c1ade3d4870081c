/*
 * The front end: the only process that reads from a client before it has
 * authenticated.  It accepts, applies the client rules, negotiates the
 * method, and for gssapi moves RFC 1961 context-establishment and
 * protection-level frames between the client and authd without
 * understanding the tokens.  It links no GSS-API library and never sees a
 * key: authd sends the established context straight to the relay, and the
 * front end sends that relay only the client's descriptor.
 *
 * Reads are exact: the front end asks the socket for just the bytes the
 * message in progress still needs, so nothing the client sends ahead is
 * ever held here, and every buffer is bounded by one RFC 1961 frame.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gssframe.h"
#include "log.h"
#include "proc.h"
#include "cfgrecv.h"
#include "rule.h"
#include "sandbox.h"
#include "sockd.h"
#include "socks.h"
#include "util.h"

#define FRONT_MAXSESSIONS	1024	/* in negotiation at once */
#define FRONT_BUFSZ		(GSSF_HDRLEN + GSSF_MAXTOKEN)
#define FRONT_OUTSZ		(GSSF_HDRLEN + GSSF_MAXTOKEN + GSSF_ABORTLEN)
#define FRONT_MINBUF		512	/* a greeting, most replies */
/*
 * All negotiation buffers together: a flood of clients each announcing a
 * 64 KiB token must not take the front end's memory (1024 of them would
 * be 64 MiB); past this, new tokens are refused, not buffered.
 */
#define FRONT_MAXBUFBYTES	(16 * 1024 * 1024)

enum front_state {
	FS_GREETING,		/* VER NMETHODS METHODS */
	FS_GSS_AUTH,		/* reading an mtyp 1 frame */
	FS_GSS_PROTECT,		/* reading the mtyp 2 frame */
	FS_WAIT_AUTHD,		/* authd has the last token */
	FS_HANDOFF,		/* reply being written, then to a relay */
	FS_CLOSING		/* refusal being written, then close */
};

struct front_session {
	RB_ENTRY(front_session)	 fs_node;
	uint64_t		 fs_sid;
	int			 fs_fd;
	enum front_state	 fs_state;
	int			 fs_method;
	int			 fs_began;	/* authd knows the session */
	int			 fs_complete;	/* context established */
	int			 fs_relay;
	int			 fs_handed;	/* the fd went to the relay */
	struct config		*fs_cfg;	/* rules it was accepted by */
	const struct rule	*fs_rule;	/* its client rule */
	struct sockaddr_storage	 fs_client;
	struct sockaddr_storage	 fs_local;
	time_t			 fs_accepted;
	char			 fs_addr[ADDRSTRLEN];
	struct event		 fs_ev;
	short			 fs_watch;	/* what fs_ev waits for */
	struct event		 fs_timer;
	size_t			 fs_want;	/* bytes the message needs */
	size_t			 fs_inlen;
	size_t			 fs_insize;
	uint8_t			*fs_in;
	size_t			 fs_outlen;
	size_t			 fs_outoff;
	size_t			 fs_outsize;
	uint8_t			*fs_out;
};

RB_HEAD(front_tree, front_session);
RB_PROTOTYPE(front_tree, front_session, fs_node, front_cmp);

struct front_listener {
	int			 fl_fd;
	struct event		 fl_ev;
};

static struct sockd_conf	 front_conf;
static struct config		*front_cfg;	/* in force */
static struct config		*front_next;	/* being received */
static struct front_listener	 front_listeners[SOCKD_MAXLISTEN];
static int			 front_nlisteners;
static struct proc_chan		 front_parent;
static struct proc_chan		 front_auth;
static struct proc_chan		 front_relays[SOCKD_MAXRELAYS];
static int			 front_nrelays;
static struct event		 front_backoff;
static int			 front_logfile;
static int			 front_sbdebug;
static int			 front_nsessions;
static size_t			 front_bufbytes;	/* all fs_in, fs_out */
static int			 front_paused;
static int			 front_accepting;
static struct front_tree	 front_sessions = RB_INITIALIZER(&front_sessions);

static void	 front_dispatch_parent(struct proc_chan *, struct imsg *);
static void	 front_dispatch_auth(struct proc_chan *, struct imsg *);
static void	 front_dispatch_relay(struct proc_chan *, struct imsg *);
static void	 front_relay_lost(struct proc_chan *);
static void	 front_auth_lost(struct proc_chan *);
static void	 front_accept(int, short, void *);
static void	 front_io(int, short, void *);
static void	 front_timeout(int, short, void *);
static void	 front_close(struct front_session *);
static void	 front_refuse(struct front_session *, int, const char *);
static void	 front_continue(struct front_session *);
static void	 front_start(void);
static void	 front_term(void);
static void	 front_stats(void);
static void	 front_accept_check(void);
static void	 front_backoff_end(int, short, void *);

int
front_cmp(struct front_session *a, struct front_session *b)
{
	return (a->fs_sid < b->fs_sid ? -1 : a->fs_sid > b->fs_sid);
}

RB_GENERATE(front_tree, front_session, fs_node, front_cmp)

void
frontend_main(int debug, int logfile, int sbdebug)
{
	proc_setup_child("front", debug);
	limit_init();
	front_logfile = logfile;
	front_sbdebug = sbdebug;
	event_init();
	evtimer_set(&front_backoff, front_backoff_end, NULL);
	proc_chan_init(&front_parent, PROC_PARENT_FD, "parent", 1,
	    front_dispatch_parent, NULL, NULL);
	limit_fd(1);
	proc_signals(front_term, front_stats);
	event_dispatch();
	fatalx("event loop ended");
}

/*
 * A configuration is complete: the first one starts us, a later one
 * (SIGHUP) applies to every client accepted from now on, while sessions
 * in negotiation keep the rules they were accepted by.
 */
static void
front_commit(void)
{
	int	 first = front_cfg == NULL;

	config_unref(front_cfg);
	front_cfg = front_next;
	front_next = NULL;
	front_conf = front_cfg->c_conf;
	proc_log_config(&front_conf, front_logfile);
	if (first)
		front_start();
}

static void
front_start(void)
{
	/*
	 * Everything this process needs from outside is in: listening
	 * sockets and peer channels.  From here on it has no right to the
	 * file system and no identity.
	 */
	proc_privdrop(front_conf.sc_user_unpriv, SOCKD_CHROOT);
	proc_sandbox(SANDBOX_FRONT, front_sbdebug);
	if (proc_compose(&front_parent, IMSG_CTL_START, -1, NULL, 0) == -1)
		fatalx("%s: cannot report to the parent", __func__);
	log_debug("%s: %d listeners, %d relays", __func__, front_nlisteners,
	    front_nrelays);
}

/* SIGTERM: clients still negotiating are told so and closed. */
static void
front_term(void)
{
	struct front_session	*fs, *next;

	RB_FOREACH_SAFE(fs, front_tree, &front_sessions, next) {
		log_audit("event=negotiate-fail sid=%016llx client=%s "
		    "reason=\"sockd is stopping\"",
		    (unsigned long long)fs->fs_sid, fs->fs_addr);
		if (fs->fs_method == METHOD_GSSAPI && fs->fs_fd != -1 &&
		    fs->fs_state != FS_GREETING)
			(void)write(fs->fs_fd, gssframe_abort, GSSF_ABORTLEN);
		front_close(fs);
	}
}

static void
front_stats(void)
{
	log_info("stats: negotiations=%d", front_nsessions);
}

/* authd and the relays are ready: clients may come. */
static void
front_accept_start(void)
{
	int	 i;

	for (i = 0; i < front_nlisteners; i++) {
		event_set(&front_listeners[i].fl_ev, front_listeners[i].fl_fd,
		    EV_READ | EV_PERSIST, front_accept, &front_listeners[i]);
		event_add(&front_listeners[i].fl_ev, NULL);
	}
	front_accepting = 1;
	front_accept_check();
}

static void
front_cfg_peer(struct imsg *imsg)
{
	struct ctl_peer	 cp;
	int		 fd;

	if (imsg_get_data(imsg, &cp, sizeof(cp)) == -1)
		fatalx("%s: bad IMSG_CTL_PEER", __func__);
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("%s: IMSG_CTL_PEER without a descriptor", __func__);
	limit_fd(1);
	if (cp.cp_proc == PROC_AUTH) {
		if (!front_auth.pc_dead && front_auth.pc_fd > 0)
			limit_fd(-1);	/* a new authd replaces the old */
		proc_chan_init(&front_auth, fd, "authd", 0,
		    front_dispatch_auth, front_auth_lost, NULL);
		return;
	}
	if (cp.cp_proc != PROC_RELAY || cp.cp_instance < 0 ||
	    cp.cp_instance >= SOCKD_MAXRELAYS ||
	    limit_relay_isup(cp.cp_instance))
		fatalx("%s: bad peer %d/%d", __func__, cp.cp_proc,
		    cp.cp_instance);
	proc_chan_init(&front_relays[cp.cp_instance], fd, "relay", 1,
	    front_dispatch_relay, front_relay_lost,
	    (void *)(intptr_t)cp.cp_instance);
	limit_relay_up(cp.cp_instance, 1);
	front_accept_check();
	if (cp.cp_instance + 1 > front_nrelays)
		front_nrelays = cp.cp_instance + 1;
}

static void
front_cfg_listen(struct imsg *imsg)
{
	struct listenaddr	 la;
	int			 fd;

	if (imsg_get_data(imsg, &la, sizeof(la)) == -1 ||
	    (fd = imsg_get_fd(imsg)) == -1 ||
	    front_nlisteners >= SOCKD_MAXLISTEN)
		fatalx("%s: bad IMSG_CFG_LISTEN", __func__);
	front_listeners[front_nlisteners++].fl_fd = fd;
	limit_fd(1);
}

static void
front_dispatch_parent(struct proc_chan *pc, struct imsg *imsg)
{
	(void)pc;
	if (config_recv(&front_next, imsg))
		return;
	switch (imsg_get_type(imsg)) {
	case IMSG_CFG_LISTEN:
		front_cfg_listen(imsg);
		break;
	case IMSG_CTL_PEER:
		front_cfg_peer(imsg);
		break;
	case IMSG_CFG_DONE:
		if (front_next == NULL)
			fatalx("%s: IMSG_CFG_DONE without a configuration",
			    __func__);
		front_commit();
		break;
	case IMSG_CTL_START:
		front_accept_start();
		break;
	default:
		fatalx("%s: unexpected message %u", __func__,
		    imsg_get_type(imsg));
	}
}

static struct front_session *
front_find(uint64_t sid)
{
	struct front_session	 key;

	key.fs_sid = sid;
	return (RB_FIND(front_tree, &front_sessions, &key));
}

/* Wait for the client to be readable or, with output queued, writable. */
static void
front_wait(struct front_session *fs)
{
	short	 want = EV_READ;

	if (fs->fs_outoff < fs->fs_outlen)
		want = EV_WRITE;
	else if (fs->fs_state == FS_WAIT_AUTHD)
		want = 0;
	proc_watch(&fs->fs_ev, &fs->fs_watch, fs->fs_fd, want, front_io, fs);
}

static void
front_accept_pause(int pause)
{
	int	 i;

	if (!front_accepting || pause == front_paused)
		return;
	front_paused = pause;
	for (i = 0; i < front_nlisteners; i++) {
		if (pause)
			event_del(&front_listeners[i].fl_ev);
		else
			event_add(&front_listeners[i].fl_ev, NULL);
	}
}

/*
 * Accept only while a client could be carried all the way: descriptors
 * here, room in a relay, and a bound on negotiations in flight.
 */
static void
front_accept_check(void)
{
	if (evtimer_pending(&front_backoff, NULL))
		return;
	front_accept_pause(!limit_fd_room() || !limit_relay_room() ||
	    front_nsessions >= FRONT_MAXSESSIONS);
}

static void
front_backoff_end(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	front_accept_check();
}

/* Out of descriptors after all (other processes share the limit). */
static void
front_accept_backoff(void)
{
	struct timeval	 tv = { 1, 0 };

	front_accept_pause(1);
	evtimer_add(&front_backoff, &tv);
}

static void
front_log_rule(const struct front_session *fs, const struct rule *r)
{
	char	 rb[128];

	if (r == NULL) {
		log_audit("event=client-block sid=%016llx client=%s "
		    "reason=\"no client rule matches\"",
		    (unsigned long long)fs->fs_sid, fs->fs_addr);
		return;
	}
	if (r->r_action == RULE_BLOCK || (r->r_log & RLOG_CONNECT))
		log_audit("event=client-%s sid=%016llx client=%s rule=\"%s\"",
		    r->r_action == RULE_PASS ? "pass" : "block",
		    (unsigned long long)fs->fs_sid, fs->fs_addr,
		    rule_str(r, rb, sizeof(rb)));
}

static struct front_session *
front_session_new(int fd, const struct sockaddr_storage *ss,
    const struct sockaddr_storage *local)
{
	struct front_session	*fs;
	struct timeval		 tv;

	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return (NULL);
	do {
		fs->fs_sid = sid_new();
	} while (front_find(fs->fs_sid) != NULL);
	fs->fs_fd = fd;
	fs->fs_client = *ss;
	fs->fs_local = *local;
	fs->fs_accepted = time(NULL);
	fs->fs_relay = -1;
	addr_str((struct sockaddr *)ss, fs->fs_addr, sizeof(fs->fs_addr));
	RB_INSERT(front_tree, &front_sessions, fs);
	front_nsessions++;
	limit_fd(1);
	evtimer_set(&fs->fs_timer, front_timeout, fs);
	timerclear(&tv);
	tv.tv_sec = front_conf.sc_timeout_negotiate;
	if (tv.tv_sec > 0)
		evtimer_add(&fs->fs_timer, &tv);
	return (fs);
}

static void
front_accept(int lfd, short event, void *arg)
{
	struct front_session	*fs;
	struct sockaddr_storage	 ss, local;
	socklen_t		 len = sizeof(ss), llen = sizeof(local);
	const struct rule	*r;
	int			 fd;

	(void)event;
	(void)arg;
	if ((fd = accept4(lfd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			log_warnx("%s: out of descriptors; not accepting for "
			    "a second", __func__);
			front_accept_backoff();
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("%s: accept", __func__);
		return;
	}
	if (limit_source_add((struct sockaddr *)&ss) == -1) {
		/* One address cannot take every negotiation slot. */
		log_debug("%s: too many negotiations from one client",
		    __func__);
		close(fd);
		return;
	}
	if (getsockname(fd, (struct sockaddr *)&local, &llen) == -1 ||
	    (fs = front_session_new(fd, &ss, &local)) == NULL) {
		log_warn("%s: new session", __func__);
		limit_source_del((struct sockaddr *)&ss);
		close(fd);
		return;
	}
	front_accept_check();
	fs->fs_cfg = front_cfg;
	config_ref(fs->fs_cfg);
	r = rule_match_client(front_cfg->c_rules, front_cfg->c_nrules,
	    (struct sockaddr *)&ss, (struct sockaddr *)&local);
	front_log_rule(fs, r);
	if (r == NULL || r->r_action != RULE_PASS) {
		/* Dante closes on a client-rule block without a word. */
		front_close(fs);
		return;
	}
	fs->fs_rule = r;
	fs->fs_state = FS_GREETING;
	fs->fs_want = 2;
	front_wait(fs);
}

static void
front_close(struct front_session *fs)
{
	if (fs->fs_began && !fs->fs_complete)
		(void)proc_compose(&front_auth, IMSG_AUTH_ABORT, -1,
		    &(struct auth_hdr){ .ah_sid = fs->fs_sid },
		    sizeof(struct auth_hdr));
	proc_unwatch(&fs->fs_ev, &fs->fs_watch);
	evtimer_del(&fs->fs_timer);
	if (fs->fs_fd != -1)
		close(fs->fs_fd);
	/* Handed over, the relay's share is released when it says so. */
	if (!fs->fs_handed)
		limit_relay_release(fs->fs_relay);
	limit_source_del((struct sockaddr *)&fs->fs_client);
	limit_fd(-1);
	RB_REMOVE(front_tree, &front_sessions, fs);
	config_unref(fs->fs_cfg);
	front_bufbytes -= fs->fs_insize + fs->fs_outsize;
	free(fs->fs_in);
	free(fs->fs_out);
	free(fs);
	front_nsessions--;
	front_accept_check();
}

static void
front_timeout(int fd, short event, void *arg)
{
	struct front_session	*fs = arg;

	(void)fd;
	(void)event;
	log_audit("event=negotiate-fail sid=%016llx client=%s "
	    "reason=\"timeout.negotiate (%d s) expired\"",
	    (unsigned long long)fs->fs_sid, fs->fs_addr,
	    front_conf.sc_timeout_negotiate);
	if (fs->fs_method == METHOD_GSSAPI && fs->fs_state != FS_CLOSING &&
	    fs->fs_state != FS_GREETING && fs->fs_outoff == fs->fs_outlen) {
		/* One try to tell the client, then close. */
		(void)write(fs->fs_fd, gssframe_abort, GSSF_ABORTLEN);
	}
	front_close(fs);
}

/*
 * Buffers grow to what the message in progress needs, at most one frame:
 * a session waiting in its greeting costs a few hundred bytes, not two
 * 64 KiB buffers.
 */
static int
front_grow(uint8_t **buf, size_t *size, size_t need, size_t max)
{
	uint8_t	*p;
	size_t	 n;

	if (need <= *size)
		return (0);
	if (need > max)
		return (-1);
	n = need < FRONT_MINBUF ? FRONT_MINBUF : need;
	if (front_bufbytes + (n - *size) > FRONT_MAXBUFBYTES) {
		errno = ENOBUFS;
		return (-1);
	}
	if ((p = realloc(*buf, n)) == NULL)
		return (-1);
	front_bufbytes += n - *size;
	*buf = p;
	*size = n;
	return (0);
}

/* Queue bytes for the client; the session waits until they are out. */
static void
front_queue(struct front_session *fs, const void *buf, size_t len)
{
	if (fs->fs_outoff == fs->fs_outlen)
		fs->fs_outoff = fs->fs_outlen = 0;
	if (front_grow(&fs->fs_out, &fs->fs_outsize, fs->fs_outlen + len,
	    FRONT_OUTSZ) == -1) {
		/* Out of memory: this session ends, the others go on. */
		log_warn("%s: session %016llx", __func__,
		    (unsigned long long)fs->fs_sid);
		fs->fs_outoff = fs->fs_outlen = 0;
		fs->fs_state = FS_CLOSING;
		return;
	}
	memcpy(fs->fs_out + fs->fs_outlen, buf, len);
	fs->fs_outlen += len;
}

static void
front_queue_frame(struct front_session *fs, uint8_t mtyp, const void *tok,
    size_t len)
{
	uint8_t	 hdr[GSSF_HDRLEN];

	gssframe_header(hdr, mtyp, len);
	front_queue(fs, hdr, sizeof(hdr));
	front_queue(fs, tok, len);
}

/*
 * A refusal: for gssapi the abort message (RFC 1961 section 3.8), for a
 * greeting the method reply already queued; then close once written.
 */
static void
front_refuse(struct front_session *fs, int abort, const char *reason)
{
	log_audit("event=negotiate-fail sid=%016llx client=%s method=%s "
	    "reason=\"%s\"", (unsigned long long)fs->fs_sid, fs->fs_addr,
	    fs->fs_state == FS_GREETING ? "-" : method_str(fs->fs_method),
	    reason);
	if (abort)
		front_queue(fs, gssframe_abort, GSSF_ABORTLEN);
	fs->fs_state = FS_CLOSING;
}

static int
front_choose_method(struct front_session *fs, const uint8_t *m, size_t n)
{
	const struct rule	*r = fs->fs_rule;
	const struct methodlist	*ml = &fs->fs_cfg->c_conf.sc_socksmethods;
	size_t			 i, j;

	for (i = 0; i < ml->ml_n; i++) {
		if (r->r_methods.ml_n > 0 &&
		    !rule_method_allowed(&r->r_methods, ml->ml_m[i]))
			continue;
		for (j = 0; j < n; j++)
			if (m[j] == ml->ml_m[i])
				return (m[j]);
	}
	return (METHOD_NOACCEPT);
}

static void
front_handoff(struct front_session *fs)
{
	struct relay_client	 rl;
	struct iovec		 iov[1];
	int			 fd = fs->fs_fd;

	memset(&rl, 0, sizeof(rl));
	rl.rl_sid = fs->fs_sid;
	rl.rl_method = fs->fs_method;
	rl.rl_client = fs->fs_client;
	rl.rl_local = fs->fs_local;
	rl.rl_accepted = fs->fs_accepted;
	iov[0].iov_base = &rl;
	iov[0].iov_len = sizeof(rl);
	if (fs->fs_relay == -1 || !limit_relay_isup(fs->fs_relay)) {
		front_refuse(fs, fs->fs_method == METHOD_GSSAPI,
		    "no relay available");
		front_continue(fs);
		return;
	}
	/* The descriptor is the relay's now; imsg closes ours once sent. */
	proc_unwatch(&fs->fs_ev, &fs->fs_watch);
	fs->fs_fd = -1;
	fs->fs_complete = 1;
	fs->fs_handed = 1;
	if (proc_composev(&front_relays[fs->fs_relay], IMSG_RELAY_CLIENT, fd,
	    iov, 1) == -1)
		log_warnx("%s: session %016llx lost: relay %d unreachable",
		    __func__, (unsigned long long)fs->fs_sid, fs->fs_relay);
	front_close(fs);
}

static void
front_greeting(struct front_session *fs)
{
	uint8_t		 methods[255], reply[2];
	size_t		 n;
	ssize_t		 ret;

	ret = socks_greeting_parse(fs->fs_in, fs->fs_inlen, methods, &n);
	if (ret == 0) {
		fs->fs_want = 2 + fs->fs_in[1];
		return;
	}
	if (ret == -1) {
		front_refuse(fs, 0, "malformed method greeting");
		return;
	}
	fs->fs_method = front_choose_method(fs, methods, n);
	reply[0] = SOCKS_VERSION;
	reply[1] = fs->fs_method;
	front_queue(fs, reply, sizeof(reply));
	fs->fs_inlen = 0;
	switch (fs->fs_method) {
	case METHOD_NONE:
		fs->fs_state = FS_HANDOFF;
		fs->fs_relay = limit_relay_pick();
		break;
	case METHOD_GSSAPI:
		fs->fs_state = FS_GSS_AUTH;
		fs->fs_want = GSSF_HDRLEN;
		break;
	default:
		front_refuse(fs, 0, "no acceptable method offered");
		break;
	}
}

static void
front_to_authd(struct front_session *fs, uint32_t type, const uint8_t *tok,
    size_t len)
{
	struct auth_begin	 ab;
	struct auth_hdr		 ah;
	struct iovec		 iov[2];

	if (!fs->fs_began) {
		memset(&ab, 0, sizeof(ab));
		ab.ab_sid = fs->fs_sid;
		ab.ab_gss = fs->fs_rule->r_gss;
		ab.ab_relay = fs->fs_relay = limit_relay_pick();
		ab.ab_client = fs->fs_client;
		if (ab.ab_relay == -1 || proc_compose(&front_auth,
		    IMSG_AUTH_BEGIN, -1, &ab, sizeof(ab)) == -1) {
			front_refuse(fs, 1, "authd or relays unavailable");
			return;
		}
		fs->fs_began = 1;
	}
	memset(&ah, 0, sizeof(ah));
	ah.ah_sid = fs->fs_sid;
	iov[0].iov_base = &ah;
	iov[0].iov_len = sizeof(ah);
	iov[1].iov_base = (void *)tok;
	iov[1].iov_len = len;
	if (proc_composev(&front_auth, type, -1, iov, 2) == -1) {
		front_refuse(fs, 1, "authd unavailable");
		return;
	}
	fs->fs_state = FS_WAIT_AUTHD;
}

static void
front_frame(struct front_session *fs)
{
	uint8_t		 expect;
	size_t		 toklen;
	enum gssf_status st;

	expect = fs->fs_state == FS_GSS_AUTH ? GSSF_MTYP_AUTH :
	    GSSF_MTYP_PROTECT;
	st = gssframe_parse(fs->fs_in, fs->fs_inlen, expect, &toklen);
	if (st == GSSF_MORE) {
		if (fs->fs_inlen == GSSF_HDRLEN)
			fs->fs_want = GSSF_HDRLEN + toklen;
		return;
	}
	if (st != GSSF_OK) {
		front_refuse(fs, st != GSSF_ABORT, gssframe_strerror(st));
		return;
	}
	if (toklen == 0) {
		front_refuse(fs, 1, "empty token");
		return;
	}
	fs->fs_inlen = 0;
	fs->fs_want = GSSF_HDRLEN;
	front_to_authd(fs, expect == GSSF_MTYP_AUTH ? IMSG_AUTH_TOKEN :
	    IMSG_AUTH_PROTECT, fs->fs_in + GSSF_HDRLEN, toklen);
}

static int
front_flush(struct front_session *fs)
{
	ssize_t	 n;

	while (fs->fs_outoff < fs->fs_outlen) {
		n = write(fs->fs_fd, fs->fs_out + fs->fs_outoff,
		    fs->fs_outlen - fs->fs_outoff);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return (0);
		if (n == -1)
			return (-1);
		fs->fs_outoff += n;
	}
	return (0);
}

/* Returns -1 when the session was closed. */
static int
front_read(struct front_session *fs)
{
	ssize_t	 n;

	if (fs->fs_inlen >= fs->fs_want)
		fatalx("%s: bad read state", __func__);
	if (front_grow(&fs->fs_in, &fs->fs_insize, fs->fs_want,
	    FRONT_BUFSZ) == -1) {
		log_warn("%s: session %016llx", __func__,
		    (unsigned long long)fs->fs_sid);
		front_close(fs);
		return (-1);
	}
	n = read(fs->fs_fd, fs->fs_in + fs->fs_inlen,
	    fs->fs_want - fs->fs_inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return (0);
	if (n <= 0) {
		if (fs->fs_state != FS_GREETING || fs->fs_inlen > 0)
			log_audit("event=negotiate-fail sid=%016llx "
			    "client=%s reason=\"client closed during "
			    "negotiation\"", (unsigned long long)fs->fs_sid,
			    fs->fs_addr);
		front_close(fs);
		return (-1);
	}
	fs->fs_inlen += n;
	/* A single ff octet is the client's own abort; parse handles it. */
	if (fs->fs_inlen < fs->fs_want && !(fs->fs_state != FS_GREETING &&
	    fs->fs_inlen >= GSSF_ABORTLEN && fs->fs_in[1] == GSSF_MTYP_ABORT))
		return (0);
	if (fs->fs_state == FS_GREETING)
		front_greeting(fs);
	else
		front_frame(fs);
	return (0);
}

static void
front_continue(struct front_session *fs)
{
	/* A reply goes now if the socket takes it, without an event. */
	if (fs->fs_outoff < fs->fs_outlen && front_flush(fs) == -1) {
		front_close(fs);
		return;
	}
	if (fs->fs_outoff < fs->fs_outlen || fs->fs_state == FS_WAIT_AUTHD)
		front_wait(fs);
	else if (fs->fs_state == FS_HANDOFF)
		front_handoff(fs);
	else if (fs->fs_state == FS_CLOSING)
		front_close(fs);
	else
		front_wait(fs);
}

static void
front_io(int fd, short event, void *arg)
{
	struct front_session	*fs = arg;

	(void)fd;
	if (event & EV_WRITE) {
		if (front_flush(fs) == -1) {
			front_close(fs);
			return;
		}
	} else if (event & EV_READ) {
		if (front_read(fs) == -1)
			return;		/* closed */
	}
	front_continue(fs);
}

/* authd's answers: a token to pass on, the verdict, or a refusal. */
static void
front_auth_token(struct imsg *imsg)
{
	struct front_session	*fs;
	struct auth_hdr		 ah;
	size_t			 len = imsg_get_len(imsg);

	if (len < sizeof(ah) || len - sizeof(ah) > GSSF_MAXTOKEN)
		fatalx("%s: bad IMSG_AUTH_TOKEN", __func__);
	memcpy(&ah, imsg->data, sizeof(ah));
	if ((fs = front_find(ah.ah_sid)) == NULL ||
	    fs->fs_state != FS_WAIT_AUTHD)
		return;
	if (len > sizeof(ah))
		front_queue_frame(fs, GSSF_MTYP_AUTH,
		    (uint8_t *)imsg->data + sizeof(ah), len - sizeof(ah));
	fs->fs_state = (ah.ah_flags & AUTH_F_COMPLETE) ? FS_GSS_PROTECT :
	    FS_GSS_AUTH;
	front_continue(fs);
}

static void
front_auth_ok(struct imsg *imsg)
{
	struct front_session	*fs;
	struct auth_ok		 ao;
	size_t			 len = imsg_get_len(imsg);

	if (len < sizeof(ao) || len - sizeof(ao) > GSSF_MAXTOKEN)
		fatalx("%s: bad IMSG_AUTH_OK", __func__);
	memcpy(&ao, imsg->data, sizeof(ao));
	if ((fs = front_find(ao.ao_sid)) == NULL) {
		/*
		 * The client left while authd finished; the relay drops
		 * the context it got when no client arrives for it.
		 */
		return;
	}
	if (fs->fs_state != FS_WAIT_AUTHD)
		return;
	front_queue_frame(fs, GSSF_MTYP_PROTECT,
	    (uint8_t *)imsg->data + sizeof(ao), len - sizeof(ao));
	fs->fs_state = FS_HANDOFF;
	front_continue(fs);
}

static void
front_auth_fail(struct imsg *imsg)
{
	struct front_session	*fs;
	struct auth_fail	 af;
	size_t			 len = imsg_get_len(imsg);

	if (len < sizeof(af) || len - sizeof(af) > GSSF_MAXTOKEN)
		fatalx("%s: bad IMSG_AUTH_FAIL", __func__);
	memcpy(&af, imsg->data, sizeof(af));
	if ((fs = front_find(af.af_sid)) == NULL)
		return;
	/* authd has logged the audit line with the reason. */
	if (len > sizeof(af))
		front_queue_frame(fs, GSSF_MTYP_AUTH,
		    (uint8_t *)imsg->data + sizeof(af), len - sizeof(af));
	front_queue(fs, gssframe_abort, GSSF_ABORTLEN);
	fs->fs_complete = 1;	/* authd has forgotten it already */
	fs->fs_state = FS_CLOSING;
	front_continue(fs);
}

static void
front_dispatch_auth(struct proc_chan *pc, struct imsg *imsg)
{
	(void)pc;
	switch (imsg_get_type(imsg)) {
	case IMSG_AUTH_TOKEN:
		front_auth_token(imsg);
		break;
	case IMSG_AUTH_OK:
		front_auth_ok(imsg);
		break;
	case IMSG_AUTH_FAIL:
		front_auth_fail(imsg);
		break;
	default:
		fatalx("%s: unexpected message %u", __func__,
		    imsg_get_type(imsg));
	}
}

static void
front_dispatch_relay(struct proc_chan *pc, struct imsg *imsg)
{
	struct relay_end	 re;

	switch (imsg_get_type(imsg)) {
	case IMSG_RELAY_END:
		if (imsg_get_data(imsg, &re, sizeof(re)) == -1)
			fatalx("%s: bad IMSG_RELAY_END", __func__);
		limit_relay_release((int)(intptr_t)pc->pc_arg);
		front_accept_check();
		break;
	default:
		fatalx("%s: unexpected message %u", __func__,
		    imsg_get_type(imsg));
	}
}

static void
front_relay_lost(struct proc_chan *pc)
{
	int	 r = (int)(intptr_t)pc->pc_arg;

	log_warnx("lost relay %d; it gets no new sessions", r);
	limit_relay_up(r, 0);
	limit_fd(-1);
	front_accept_check();
}

/*
 * authd died: the negotiations it had are over (the client gets the abort
 * message), and new ones are refused until the parent hands us a channel
 * to a new authd.  Sessions already handed to relays never notice.
 */
static void
front_auth_lost(struct proc_chan *pc)
{
	struct front_session	*fs, *next;

	(void)pc;
	log_warnx("lost authd; GSS-API negotiations in flight are aborted");
	RB_FOREACH_SAFE(fs, front_tree, &front_sessions, next) {
		if (!fs->fs_began || fs->fs_complete)
			continue;
		fs->fs_complete = 1;	/* nothing to tell authd */
		front_refuse(fs, 1, "authd died during the negotiation");
		front_continue(fs);
	}
}

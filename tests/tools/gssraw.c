/*
 * gssraw: a scripted RFC 1961 client for hostile-input tests.  It does
 * the real GSS-API handshake (Heimdal) with the server, so that a test
 * can then send what no well-behaved client sends: a replayed context
 * token, a token with a flipped bit, a frame of the wrong type.
 *
 *	gssraw [-N] [-b address] [-s principal] [-t seconds] [-w file]
 *	    host port [step ...]
 *
 * Connects to a loopback host:port, prints "local ADDRESS:PORT" (the
 * client address the server logs) and runs the steps in order:
 *
 *	greet		send 05 01 01, expect 05 01
 *	context		establish the security context with mutual
 *			authentication (mtyp 1 frames); -w saves the
 *			first token, in hex, to file
 *	replay FILE	send the token saved in FILE as one mtyp 1 frame
 *	sendlevel L	send the level (clear, integrity, confidentiality
 *			or a number) as mtyp 2: gss_wrap'ed for integrity,
 *			or the raw octet with -N
 *	level L		sendlevel L, then expect level L granted
 *	connect A:P	the SOCKS request for IPv4 address A, port P,
 *			encapsulated at the session's level; expect
 *			"succeeded"
 *	echo N SEED	send N bytes of the pattern(1) stream, encapsulated,
 *			while reading them back and checking them
 *	wrap HEX	send the bytes as one mtyp 3 token
 *	wrapmtyp M HEX	the same token in a frame of message type M
 *	flip HEX	a mtyp 3 token with one bit in its middle flipped
 *	resend		send the last frame of wrap, wrapmtyp or flip again
 *	expectdata HEX	one mtyp 3 token (bytes at clear) holding exactly
 *			these bytes
 *	send HEX	raw bytes
 *	expect HEX	raw bytes
 *	expectabort	the abort message 01 ff
 *	expecteof	the peer closes and sends nothing
 *	expectend	the peer closes, after an optional abort message;
 *			prints "end after N ms"
 *	drain		read whatever comes until the peer closes; prints
 *			"drained N bytes"
 *	shut		shut down our writing side
 *	sleep MS	pause
 *
 * N takes a K or M suffix.  The principal defaults to rcmd/localhost.
 * A step that waits gives up after -t seconds (5) without progress.
 * Exit 0 only if every step passed; 1 with a message naming the step
 * otherwise; 2 for a bad script.
 */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gssapi/gssapi.h>

#include "pattern.h"
#include "tu.h"

#define GR_HDRLEN	4
#define GR_MAXTOKEN	65535
#define GR_CHUNK	16384	/* plaintext per token in echo */
#define GR_SHOWMAX	32

#define GR_FLAGS	(GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | \
			    GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG | \
			    GSS_C_CONF_FLAG)

enum gr_kind {
	GR_GREET,
	GR_CONTEXT,
	GR_REPLAY,
	GR_SENDLEVEL,
	GR_LEVEL,
	GR_CONNECT,
	GR_ECHO,
	GR_WRAP,
	GR_WRAPMTYP,
	GR_FLIP,
	GR_RESEND,
	GR_EXPECTDATA,
	GR_SEND,
	GR_EXPECT,
	GR_EXPECTABORT,
	GR_EXPECTEOF,
	GR_EXPECTEND,
	GR_DRAIN,
	GR_SHUT,
	GR_SLEEP
};

struct gr_keyword {
	const char	*k_name;
	enum gr_kind	 k_kind;
	int		 k_nargs;
};

static const struct gr_keyword gr_keywords[] = {
	{ "connect",	GR_CONNECT,	1 },
	{ "context",	GR_CONTEXT,	0 },
	{ "drain",	GR_DRAIN,	0 },
	{ "echo",	GR_ECHO,	2 },
	{ "expect",	GR_EXPECT,	1 },
	{ "expectabort", GR_EXPECTABORT, 0 },
	{ "expectdata",	GR_EXPECTDATA,	1 },
	{ "expectend",	GR_EXPECTEND,	0 },
	{ "expecteof",	GR_EXPECTEOF,	0 },
	{ "flip",	GR_FLIP,	1 },
	{ "greet",	GR_GREET,	0 },
	{ "level",	GR_LEVEL,	1 },
	{ "replay",	GR_REPLAY,	1 },
	{ "resend",	GR_RESEND,	0 },
	{ "send",	GR_SEND,	1 },
	{ "sendlevel",	GR_SENDLEVEL,	1 },
	{ "shut",	GR_SHUT,	0 },
	{ "sleep",	GR_SLEEP,	1 },
	{ "wrap",	GR_WRAP,	1 },
	{ "wrapmtyp",	GR_WRAPMTYP,	2 },
};

struct gr_step {
	enum gr_kind	 s_kind;
	const char	*s_name;
	const char	*s_arg;		/* file or address */
	unsigned char	*s_data;
	size_t		 s_len;		/* data length, N, level or ms */
	uint64_t	 s_seed;	/* or message type */
};

/* 1.2.840.113554.1.2.2.1, GSS_KRB5_NT_PRINCIPAL_NAME. */
static gss_OID_desc gr_nt_principal = {
	10, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x01"
};
/* 1.2.840.113554.1.2.2, the Kerberos 5 mechanism. */
static gss_OID_desc gr_krb5_mech = {
	9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"
};

static const char	*gr_levelnames[] = {
	"clear", "integrity", "confidentiality"
};

static int		 gr_timeout = 5000;	/* ms per step */
static int		 gr_nec;
static const char	*gr_service = "rcmd/localhost";
static const char	*gr_savefile;
static int		 gr_fd = -1;
static int		 gr_closed;
static int		 gr_level = -1;		/* granted, -1 before */
static gss_ctx_id_t	 gr_ctx = GSS_C_NO_CONTEXT;
static unsigned char	 gr_last[GR_HDRLEN + GR_MAXTOKEN];
static size_t		 gr_lastlen;

static void	 usage(void) __attribute__((__noreturn__));

static void
usage(void)
{
	fprintf(stderr, "usage: gssraw [-N] [-b address] [-s principal] "
	    "[-t seconds] [-w file]\n"
	    "              host port [step ...]\n");
	exit(2);
}

static void
gr_status1(const char *what, OM_uint32 code, int type)
{
	OM_uint32	 maj, min, ctx = 0;
	gss_buffer_desc	 msg;

	do {
		maj = gss_display_status(&min, code, type, GSS_C_NO_OID,
		    &ctx, &msg);
		if (GSS_ERROR(maj))
			break;
		fprintf(stderr, "gssraw: %s: %.*s\n", what,
		    (int)msg.length, (char *)msg.value);
		gss_release_buffer(&min, &msg);
	} while (ctx != 0);
}

static void
gr_status(const char *what, OM_uint32 maj, OM_uint32 min)
{
	gr_status1(what, maj, GSS_C_GSS_CODE);
	if (min != 0)
		gr_status1(what, min, GSS_C_MECH_CODE);
}

static void
gr_show(const char *what, const unsigned char *p, size_t len)
{
	size_t	 i;

	fprintf(stderr, "gssraw: %s (%zu byte%s):", what, len,
	    len == 1 ? "" : "s");
	for (i = 0; i < len && i < GR_SHOWMAX; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "%s\n", len > GR_SHOWMAX ? " ..." : "");
}

static int
gr_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* "05 01 00" or "050100" into a new buffer; -1 if not hex. */
static int
gr_hex(const char *s, unsigned char **data, size_t *len)
{
	unsigned char	*p;
	int		 hi = -1, v;

	if ((p = malloc(strlen(s) / 2 + 1)) == NULL)
		err(1, NULL);
	*data = p;
	*len = 0;
	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s))
			continue;
		if ((v = gr_hexval((unsigned char)*s)) == -1)
			return (-1);
		if (hi == -1)
			hi = v;
		else {
			p[(*len)++] = hi << 4 | v;
			hi = -1;
		}
	}
	return (hi == -1 ? 0 : -1);
}

static size_t
gr_number(const char *s, long long max)
{
	char		 buf[32];
	const char	*errstr;
	long long	 n, mult = 1;
	size_t		 len;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		errx(2, "number too long: %s", s);
	len = strlen(buf);
	if (len > 1 && (buf[len - 1] == 'K' || buf[len - 1] == 'k'))
		mult = 1024;
	else if (len > 1 && (buf[len - 1] == 'M' || buf[len - 1] == 'm'))
		mult = 1024 * 1024;
	if (mult != 1)
		buf[len - 1] = '\0';
	n = strtonum(buf, 0, max / mult, &errstr);
	if (errstr != NULL)
		errx(2, "number %s: %s", s, errstr);
	return ((size_t)(n * mult));
}

static size_t
gr_levelarg(const char *s)
{
	size_t	 i;

	for (i = 0; i < 3; i++)
		if (strcmp(s, gr_levelnames[i]) == 0)
			return (i);
	return (gr_number(s, 255));
}

static void
gr_parse_arg(struct gr_step *s, char **argv)
{
	switch (s->s_kind) {
	case GR_REPLAY:
	case GR_CONNECT:
		s->s_arg = argv[0];
		break;
	case GR_SENDLEVEL:
	case GR_LEVEL:
		s->s_len = gr_levelarg(argv[0]);
		break;
	case GR_ECHO:
		s->s_len = gr_number(argv[0], 1LL << 40);
		s->s_seed = gr_number(argv[1], LLONG_MAX);
		break;
	case GR_WRAPMTYP:
		s->s_seed = gr_number(argv[0], 255);
		argv++;
		/* FALLTHROUGH */
	case GR_WRAP:
	case GR_FLIP:
	case GR_SEND:
	case GR_EXPECT:
	case GR_EXPECTDATA:
		if (gr_hex(argv[0], &s->s_data, &s->s_len) == -1)
			errx(2, "%s: bad hex: %s", s->s_name, argv[0]);
		break;
	case GR_SLEEP:
		s->s_len = gr_number(argv[0], 60000);
		break;
	default:
		break;
	}
}

static struct gr_step *
gr_parse(int argc, char **argv, size_t *nstepsp)
{
	struct gr_step	*steps, *s;
	size_t		 nsteps = 0, k, nkw;
	int		 i = 0;

	nkw = sizeof(gr_keywords) / sizeof(gr_keywords[0]);
	if ((steps = calloc(argc + 1, sizeof(*steps))) == NULL)
		err(1, NULL);
	while (i < argc) {
		for (k = 0; k < nkw; k++)
			if (strcmp(argv[i], gr_keywords[k].k_name) == 0)
				break;
		if (k == nkw)
			errx(2, "unknown step: %s", argv[i]);
		if (i + gr_keywords[k].k_nargs >= argc)
			errx(2, "%s: missing argument", argv[i]);
		s = &steps[nsteps++];
		s->s_kind = gr_keywords[k].k_kind;
		s->s_name = argv[i];
		gr_parse_arg(s, argv + i + 1);
		i += 1 + gr_keywords[k].k_nargs;
	}
	*nstepsp = nsteps;
	return (steps);
}

/* What gr_parse() allocated: freed before exit for the leak check. */
static void
gr_free(struct gr_step *steps, size_t nsteps)
{
	size_t	 i;

	for (i = 0; i < nsteps; i++)
		free(steps[i].s_data);
	free(steps);
}

static void
gr_connect(const char *bindaddr, const char *host, const char *port)
{
	struct sockaddr_storage	 ss, bs, ls;
	socklen_t		 sslen, bslen, lslen = sizeof(ls);
	struct pollfd		 pfd;
	int			 error = 0, on = 1;
	socklen_t		 errlen = sizeof(error);

	if (tu_loopback(host, port, &ss, &sslen) == -1)
		exit(2);
	if ((gr_fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (bindaddr != NULL) {
		if (tu_loopback(bindaddr, "0", &bs, &bslen) == -1)
			exit(2);
		if (bind(gr_fd, (struct sockaddr *)&bs, bslen) == -1)
			err(1, "bind %s", bindaddr);
	}
	if (tu_nonblock(gr_fd) == -1)
		exit(1);
	if (connect(gr_fd, (struct sockaddr *)&ss, sslen) == -1) {
		if (errno != EINPROGRESS)
			err(1, "connect %s port %s", host, port);
		pfd.fd = gr_fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, gr_timeout) <= 0)
			errx(1, "connect %s port %s: timed out", host, port);
		if (getsockopt(gr_fd, SOL_SOCKET, SO_ERROR, &error,
		    &errlen) == -1)
			err(1, "getsockopt");
		if (error != 0) {
			errno = error;
			err(1, "connect %s port %s", host, port);
		}
	}
	/* A frame's header and token go out in two writes: no delay. */
	if (setsockopt(gr_fd, IPPROTO_TCP, TCP_NODELAY, &on,
	    sizeof(on)) == -1)
		err(1, "TCP_NODELAY");
	if (getsockname(gr_fd, (struct sockaddr *)&ls, &lslen) == -1)
		err(1, "getsockname");
	printf("local %s\n", tu_straddr((struct sockaddr *)&ls, lslen));
	fflush(stdout);
}

/* Write it all; a peer that closed sets gr_closed and is no error. */
static int
gr_send(const unsigned char *p, size_t len)
{
	struct pollfd	 pfd;
	size_t		 off = 0;
	ssize_t		 n;

	pfd.fd = gr_fd;
	pfd.events = POLLOUT;
	while (off < len) {
		if (poll(&pfd, 1, gr_timeout) == 0) {
			warnx("send timed out after %zu of %zu bytes", off,
			    len);
			return (-1);
		}
		n = write(gr_fd, p + off, len - off);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == EPIPE || errno == ECONNRESET) {
				fprintf(stderr, "gssraw: the peer closed "
				    "after %zu of %zu bytes were sent\n", off,
				    len);
				gr_closed = 1;
				return (0);
			}
			warn("write");
			return (-1);
		}
		off += n;
	}
	return (0);
}

/*
 * Read exactly want bytes.  1: all there; 0: the peer closed first
 * (gr_closed set); -1: timeout or error.  *got says how many came.
 */
static int
gr_recv(unsigned char *buf, size_t want, size_t *got)
{
	return (tu_readn(gr_fd, buf, want, got, gr_timeout, &gr_closed));
}

static int
gr_send_frame(int mtyp, const void *tok, size_t len)
{
	unsigned char	 hdr[GR_HDRLEN];

	if (len > GR_MAXTOKEN) {
		warnx("token of %zu bytes does not fit a frame", len);
		return (-1);
	}
	hdr[0] = 1;
	hdr[1] = mtyp;
	hdr[2] = len >> 8;
	hdr[3] = len & 0xff;
	if (gr_send(hdr, sizeof(hdr)) == -1)
		return (-1);
	return (gr_send(tok, len));
}

/*
 * One frame of message type mtyp into buf (GR_MAXTOKEN bytes).  Returns
 * 0 with its length, -1 with a message on anything else, the abort
 * message included.
 */
static int
gr_recv_frame(int mtyp, unsigned char *buf, size_t *len)
{
	unsigned char	 hdr[GR_HDRLEN];
	size_t		 got;
	int		 r;

	r = gr_recv(hdr, 2, &got);
	if (r == 1 && hdr[0] == 1 && hdr[1] == 0xff) {
		fprintf(stderr, "gssraw: the server sent the abort message "
		    "01 ff\n");
		return (-1);
	}
	if (r == 1)
		r = gr_recv(hdr + 2, 2, &got);
	if (r != 1) {
		fprintf(stderr, "gssraw: %s while waiting for a frame\n",
		    r == 0 ? "the peer closed" : "timed out");
		return (-1);
	}
	if (hdr[0] != 1 || hdr[1] != mtyp) {
		gr_show("unexpected frame header", hdr, sizeof(hdr));
		return (-1);
	}
	*len = hdr[2] << 8 | hdr[3];
	if ((r = gr_recv(buf, *len, &got)) != 1) {
		fprintf(stderr, "gssraw: %s after %zu of %zu token bytes\n",
		    r == 0 ? "the peer closed" : "timed out", got, *len);
		return (-1);
	}
	return (0);
}

static int
gr_greet(void)
{
	static const unsigned char	 greet[] = { 5, 1, 1 };
	unsigned char			 buf[2];
	size_t				 got;

	if (gr_send(greet, sizeof(greet)) == -1)
		return (-1);
	if (gr_recv(buf, 2, &got) != 1 || buf[0] != 5 || buf[1] != 1) {
		gr_show("wanted 05 01, got", buf, got);
		return (-1);
	}
	return (0);
}

static void
gr_save(const gss_buffer_desc *tok)
{
	FILE	*fp;
	size_t	 i;

	if ((fp = fopen(gr_savefile, "w")) == NULL)
		err(1, "%s", gr_savefile);
	for (i = 0; i < tok->length; i++)
		fprintf(fp, "%02x", ((unsigned char *)tok->value)[i]);
	fprintf(fp, "\n");
	if (fclose(fp) == EOF)
		err(1, "%s", gr_savefile);
}

static int
gr_target(gss_name_t *name)
{
	gss_buffer_desc	 b;
	OM_uint32	 maj, min;

	b.value = (void *)gr_service;
	b.length = strlen(gr_service);
	maj = gss_import_name(&min, &b, &gr_nt_principal, name);
	if (GSS_ERROR(maj)) {
		gr_status("gss_import_name", maj, min);
		return (-1);
	}
	return (0);
}

/* RFC 1961 section 3: mtyp 1 frames until the context is complete. */
static int
gr_context_rounds(gss_name_t target)
{
	static unsigned char	 buf[GR_MAXTOKEN];
	gss_buffer_desc		 in = GSS_C_EMPTY_BUFFER, out;
	OM_uint32		 maj, min, flags = 0;
	size_t			 len;
	int			 round, r;

	for (round = 0; round < 10; round++) {
		out.length = 0;
		out.value = NULL;
		maj = gss_init_sec_context(&min, GSS_C_NO_CREDENTIAL, &gr_ctx,
		    target, &gr_krb5_mech, GR_FLAGS, 0,
		    GSS_C_NO_CHANNEL_BINDINGS, round == 0 ? GSS_C_NO_BUFFER :
		    &in, NULL, &out, &flags, NULL);
		if (GSS_ERROR(maj)) {
			gr_status("gss_init_sec_context", maj, min);
			return (-1);
		}
		r = 0;
		if (out.length > 0) {
			if (round == 0 && gr_savefile != NULL)
				gr_save(&out);
			r = gr_send_frame(1, out.value, out.length);
		}
		gss_release_buffer(&min, &out);
		if (r == -1)
			return (-1);
		if (!(maj & GSS_S_CONTINUE_NEEDED))
			break;
		if (gr_recv_frame(1, buf, &len) == -1)
			return (-1);
		in.value = buf;
		in.length = len;
	}
	if (maj & GSS_S_CONTINUE_NEEDED) {
		warnx("context not established after %d rounds", round);
		return (-1);
	}
	if (!(flags & GSS_C_MUTUAL_FLAG)) {
		warnx("the server did not authenticate itself");
		return (-1);
	}
	return (0);
}

/* The target name is released whether or not the context is made. */
static int
gr_context(void)
{
	gss_name_t	 target;
	OM_uint32	 min;
	int		 r;

	if (gr_target(&target) == -1)
		return (-1);
	r = gr_context_rounds(target);
	gss_release_name(&min, &target);
	return (r);
}

static int
gr_replay(const char *file)
{
	unsigned char	*tok;
	size_t		 len;
	FILE		*fp;
	char		*line = NULL;
	size_t		 linesize = 0;
	ssize_t		 n;
	int		 r;

	if ((fp = fopen(file, "r")) == NULL)
		err(1, "%s", file);
	if ((n = getline(&line, &linesize, fp)) == -1)
		errx(1, "%s: empty", file);
	fclose(fp);
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	if (gr_hex(line, &tok, &len) == -1 || len == 0)
		errx(1, "%s: not a hex token", file);
	r = gr_send_frame(1, tok, len);
	free(tok);
	free(line);
	return (r);
}

static int
gr_sendlevel(size_t level)
{
	gss_buffer_desc	 in, out;
	OM_uint32	 maj, min;
	unsigned char	 octet = level;
	int		 r;

	if (gr_nec)
		return (gr_send_frame(2, &octet, 1));
	in.value = &octet;
	in.length = 1;
	maj = gss_wrap(&min, gr_ctx, 0, GSS_C_QOP_DEFAULT, &in, NULL, &out);
	if (GSS_ERROR(maj)) {
		gr_status("gss_wrap", maj, min);
		return (-1);
	}
	r = gr_send_frame(2, out.value, out.length);
	gss_release_buffer(&min, &out);
	return (r);
}

static int
gr_level_step(size_t level)
{
	static unsigned char	 buf[GR_MAXTOKEN];
	gss_buffer_desc		 in, out;
	OM_uint32		 maj, min;
	size_t			 len;
	int			 got;

	if (gr_sendlevel(level) == -1 || gr_recv_frame(2, buf, &len) == -1)
		return (-1);
	if (gr_nec) {
		if (len != 1) {
			gr_show("NEC level answer", buf, len);
			return (-1);
		}
		got = buf[0];
	} else {
		in.value = buf;
		in.length = len;
		maj = gss_unwrap(&min, gr_ctx, &in, &out, NULL, NULL);
		if (maj != GSS_S_COMPLETE) {
			gr_status("gss_unwrap of the level", maj, min);
			return (-1);
		}
		got = out.length == 1 ? ((unsigned char *)out.value)[0] : -1;
		gss_release_buffer(&min, &out);
	}
	if (got != (int)level) {
		warnx("asked for level %zu, granted %d", level, got);
		return (-1);
	}
	gr_level = level;
	return (0);
}

static int
gr_wrapped(void)
{
	return (gr_level > 0);
}

/* Encapsulate at the session's level; flip a bit if asked to. */
static int
gr_send_data(int mtyp, const void *data, size_t len, int flip)
{
	gss_buffer_desc	 in, out;
	OM_uint32	 maj, min;
	int		 conf = 0;

	if (!gr_wrapped() && !flip && mtyp == 3)
		return (gr_send(data, len));
	in.value = (void *)data;
	in.length = len;
	maj = gss_wrap(&min, gr_ctx, gr_level == 2, GSS_C_QOP_DEFAULT, &in,
	    &conf, &out);
	if (GSS_ERROR(maj)) {
		gr_status("gss_wrap", maj, min);
		return (-1);
	}
	if (flip)
		((unsigned char *)out.value)[out.length / 2] ^= 0x10;
	if (out.length > GR_MAXTOKEN) {
		warnx("token of %zu bytes does not fit a frame",
		    (size_t)out.length);
		gss_release_buffer(&min, &out);
		return (-1);
	}
	gr_last[0] = 1;
	gr_last[1] = mtyp;
	gr_last[2] = out.length >> 8;
	gr_last[3] = out.length & 0xff;
	memcpy(gr_last + GR_HDRLEN, out.value, out.length);
	gr_lastlen = GR_HDRLEN + out.length;
	gss_release_buffer(&min, &out);
	return (gr_send(gr_last, gr_lastlen));
}

static int
gr_resend(void)
{
	if (gr_lastlen == 0) {
		warnx("resend: nothing was wrapped before");
		return (-1);
	}
	return (gr_send(gr_last, gr_lastlen));
}

static int
gr_unwrap(const unsigned char *tok, size_t len, gss_buffer_t out)
{
	gss_buffer_desc	 in;
	OM_uint32	 maj, min;
	int		 conf = 0;

	in.value = (void *)tok;
	in.length = len;
	maj = gss_unwrap(&min, gr_ctx, &in, out, &conf, NULL);
	if (maj != GSS_S_COMPLETE) {
		gr_status("gss_unwrap", maj, min);
		return (-1);
	}
	if (gr_level == 2 && !conf) {
		warnx("a token without confidentiality at confidentiality");
		gss_release_buffer(&min, out);
		return (-1);
	}
	return (0);
}

static int
gr_expectdata(const unsigned char *data, size_t len)
{
	static unsigned char	 buf[GR_MAXTOKEN];
	gss_buffer_desc		 out = GSS_C_EMPTY_BUFFER;
	OM_uint32		 min;
	size_t			 got;
	int			 ok;

	if (!gr_wrapped()) {
		if (gr_recv(buf, len, &got) == 1 &&
		    memcmp(buf, data, len) == 0)
			return (0);
		gr_show("wanted", data, len);
		gr_show("got", buf, got);
		return (-1);
	}
	if (gr_recv_frame(3, buf, &got) == -1 ||
	    gr_unwrap(buf, got, &out) == -1)
		return (-1);
	ok = out.length == len && memcmp(out.value, data, len) == 0;
	if (!ok) {
		gr_show("wanted", data, len);
		gr_show("got", out.value, out.length);
	}
	gss_release_buffer(&min, &out);
	return (ok ? 0 : -1);
}

static int
gr_connect_step(const char *arg)
{
	static unsigned char	 buf[GR_MAXTOKEN];
	unsigned char		 req[10], *rep = buf;
	gss_buffer_desc		 out = GSS_C_EMPTY_BUFFER;
	struct in_addr		 a;
	char			 host[64], *colon;
	size_t			 len;
	OM_uint32		 min;
	int			 port, ok;

	if (strlcpy(host, arg, sizeof(host)) >= sizeof(host) ||
	    (colon = strrchr(host, ':')) == NULL)
		errx(2, "connect: want ADDRESS:PORT, not %s", arg);
	*colon = '\0';
	if (inet_pton(AF_INET, host, &a) != 1 ||
	    (port = tu_port(colon + 1)) == -1)
		errx(2, "connect: bad address %s", arg);
	req[0] = 5;
	req[1] = 1;
	req[2] = 0;
	req[3] = 1;
	memcpy(req + 4, &a, 4);
	req[8] = port >> 8;
	req[9] = port & 0xff;
	if (gr_send_data(3, req, sizeof(req), 0) == -1)
		return (-1);
	if (gr_wrapped()) {
		if (gr_recv_frame(3, buf, &len) == -1 ||
		    gr_unwrap(buf, len, &out) == -1)
			return (-1);
		rep = out.value;
		len = out.length;
	} else if (gr_recv(buf, 10, &len) != 1) {
		gr_show("short reply", buf, len);
		return (-1);
	}
	ok = len == 10 && rep[0] == 5 && rep[1] == 0 && rep[3] == 1;
	if (!ok)
		gr_show("wanted a IPv4 \"succeeded\" reply, got", rep, len);
	gss_release_buffer(&min, &out);
	return (ok ? 0 : -1);
}

/* The read side of echo: whole frames (or bytes at clear), checked. */
struct gr_echo {
	unsigned char	*e_buf;		/* GR_HDRLEN + GR_MAXTOKEN */
	size_t		 e_len;
	size_t		 e_rcvd;
	struct pattern	 e_rx;
};

static int
gr_echo_check(struct gr_echo *e, const unsigned char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++, e->e_rcvd++)
		if (p[i] != pattern_byte(&e->e_rx)) {
			fprintf(stderr, "gssraw: echo differs at offset %zu\n",
			    e->e_rcvd);
			return (-1);
		}
	return (0);
}

static int
gr_echo_frames(struct gr_echo *e)
{
	gss_buffer_desc	 out;
	OM_uint32	 min;
	size_t		 len;
	int		 r;

	if (!gr_wrapped()) {
		r = gr_echo_check(e, e->e_buf, e->e_len);
		e->e_len = 0;
		return (r);
	}
	while (e->e_len >= GR_HDRLEN) {
		if (e->e_buf[0] != 1 || e->e_buf[1] != 3) {
			gr_show("unexpected frame header", e->e_buf,
			    GR_HDRLEN);
			return (-1);
		}
		len = e->e_buf[2] << 8 | e->e_buf[3];
		if (e->e_len < GR_HDRLEN + len)
			break;
		if (gr_unwrap(e->e_buf + GR_HDRLEN, len, &out) == -1)
			return (-1);
		r = gr_echo_check(e, out.value, out.length);
		gss_release_buffer(&min, &out);
		if (r == -1)
			return (-1);
		e->e_len -= GR_HDRLEN + len;
		memmove(e->e_buf, e->e_buf + GR_HDRLEN + len, e->e_len);
	}
	return (0);
}

static int
gr_echo_read(struct gr_echo *e, size_t total)
{
	size_t	 room = GR_HDRLEN + GR_MAXTOKEN - e->e_len;
	ssize_t	 n;

	/* At clear, never read past N: later steps own what follows. */
	if (!gr_wrapped() && room > total - e->e_rcvd)
		room = total - e->e_rcvd;
	n = read(gr_fd, e->e_buf + e->e_len, room);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return (0);
	if (n <= 0) {
		fprintf(stderr, "gssraw: %s after %zu of %zu echoed bytes\n",
		    n == 0 ? "EOF" : strerror(errno), e->e_rcvd, total);
		gr_closed = 1;
		return (-1);
	}
	e->e_len += n;
	return (gr_echo_frames(e));
}

/* The frame for the next chunk of the stream, header included. */
static int
gr_echo_next(struct pattern *tx, size_t n, unsigned char *out,
    size_t *outlen)
{
	unsigned char	 plain[GR_CHUNK];
	gss_buffer_desc	 in, tok;
	OM_uint32	 maj, min;
	int		 conf = 0;

	pattern_fill(tx, plain, n);
	if (!gr_wrapped()) {
		memcpy(out, plain, n);
		*outlen = n;
		return (0);
	}
	in.value = plain;
	in.length = n;
	maj = gss_wrap(&min, gr_ctx, gr_level == 2, GSS_C_QOP_DEFAULT, &in,
	    &conf, &tok);
	if (GSS_ERROR(maj)) {
		gr_status("gss_wrap", maj, min);
		return (-1);
	}
	if (tok.length > GR_MAXTOKEN) {
		warnx("token of %zu bytes does not fit a frame",
		    (size_t)tok.length);
		gss_release_buffer(&min, &tok);
		return (-1);
	}
	out[0] = 1;
	out[1] = 3;
	out[2] = tok.length >> 8;
	out[3] = tok.length & 0xff;
	memcpy(out + GR_HDRLEN, tok.value, tok.length);
	*outlen = GR_HDRLEN + tok.length;
	gss_release_buffer(&min, &tok);
	return (0);
}

static int
gr_echo(size_t total, uint64_t seed)
{
	static unsigned char	 out[GR_HDRLEN + GR_MAXTOKEN];
	static unsigned char	 inbuf[GR_HDRLEN + GR_MAXTOKEN];
	struct gr_echo		 e;
	struct pattern		 tx;
	struct pollfd		 pfd;
	size_t			 sent = 0, outlen = 0, outoff = 0, n;
	ssize_t			 w;

	memset(&e, 0, sizeof(e));
	e.e_buf = inbuf;
	pattern_init(&tx, seed);
	pattern_init(&e.e_rx, seed);
	pfd.fd = gr_fd;
	while (e.e_rcvd < total) {
		if (outoff == outlen && sent < total) {
			n = total - sent < GR_CHUNK ? total - sent : GR_CHUNK;
			if (gr_echo_next(&tx, n, out, &outlen) == -1)
				return (-1);
			outoff = 0;
			sent += n;
		}
		pfd.events = POLLIN | (outoff < outlen ? POLLOUT : 0);
		if (poll(&pfd, 1, gr_timeout) == 0) {
			fprintf(stderr, "gssraw: echo stalled after %zu bytes "
			    "sent, %zu of %zu received\n", sent, e.e_rcvd,
			    total);
			return (-1);
		}
		if ((pfd.revents & POLLOUT) && outoff < outlen) {
			w = write(gr_fd, out + outoff, outlen - outoff);
			if (w == -1 && errno != EINTR && errno != EAGAIN) {
				warn("write after %zu bytes", sent);
				return (-1);
			}
			if (w > 0)
				outoff += w;
		}
		if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    gr_echo_read(&e, total) == -1)
			return (-1);
	}
	if (e.e_len != 0) {
		gr_show("bytes past the echo", e.e_buf, e.e_len);
		return (-1);
	}
	return (0);
}

static int
gr_expect(const unsigned char *data, size_t len)
{
	unsigned char	*buf;
	size_t		 got;
	int		 r;

	if ((buf = malloc(len + 1)) == NULL)
		err(1, NULL);
	r = gr_recv(buf, len, &got);
	if (r == 1 && memcmp(buf, data, len) == 0) {
		free(buf);
		return (0);
	}
	gr_show("wanted", data, len);
	gr_show(r == 0 ? "got, then the peer closed" : r == -1 ?
	    "got, then timed out" : "got", buf, got);
	free(buf);
	return (-1);
}

/*
 * The peer closes: at once, or (end) after the abort message.  Anything
 * else read is shown.
 */
static int
gr_expecteof(int end)
{
	unsigned char	 buf[GR_SHOWMAX];
	long long	 start = tu_now_ms();
	size_t		 got;
	int		 r;

	if (gr_closed)
		r = 0, got = 0;
	else
		r = gr_recv(buf, sizeof(buf), &got);
	if (r == 0 && (got == 0 || (end && got == 2 && buf[0] == 1 &&
	    buf[1] == 0xff))) {
		if (end)
			printf("end after %lld ms%s\n", tu_now_ms() - start,
			    got == 2 ? " (abort message first)" : "");
		fflush(stdout);
		return (0);
	}
	if (got == 0)
		fprintf(stderr, "gssraw: the peer did not close within "
		    "%d ms\n", gr_timeout);
	else
		gr_show(r == 0 ? "wanted EOF, got (then EOF)" :
		    "wanted EOF, got", buf, got);
	return (-1);
}

static int
gr_drain(void)
{
	unsigned char	 buf[4096];
	size_t		 got, total = 0;
	int		 r;

	/* Bounded: a peer that never stops sending fails the step. */
	while (!gr_closed && total < 1024 * 1024) {
		r = gr_recv(buf, sizeof(buf), &got);
		total += got;
		if (r == -1 && got == 0) {
			fprintf(stderr, "gssraw: the peer did not close "
			    "within %d ms of the last data\n", gr_timeout);
			return (-1);
		}
	}
	if (!gr_closed) {
		fprintf(stderr, "gssraw: more than %zu bytes and no close\n",
		    total);
		return (-1);
	}
	printf("drained %zu bytes\n", total);
	fflush(stdout);
	return (0);
}

static int
gr_run(struct gr_step *s)
{
	static const unsigned char	 abort_msg[] = { 1, 0xff };

	if (gr_closed && s->s_kind != GR_EXPECTEOF &&
	    s->s_kind != GR_EXPECTEND && s->s_kind != GR_DRAIN &&
	    s->s_kind != GR_SEND && s->s_kind != GR_SLEEP) {
		fprintf(stderr, "gssraw: the peer had already closed\n");
		return (-1);
	}
	switch (s->s_kind) {
	case GR_GREET:
		return (gr_greet());
	case GR_CONTEXT:
		return (gr_context());
	case GR_REPLAY:
		return (gr_replay(s->s_arg));
	case GR_SENDLEVEL:
		return (gr_sendlevel(s->s_len));
	case GR_LEVEL:
		return (gr_level_step(s->s_len));
	case GR_CONNECT:
		return (gr_connect_step(s->s_arg));
	case GR_ECHO:
		return (gr_echo(s->s_len, s->s_seed));
	case GR_WRAP:
	case GR_FLIP:
		return (gr_send_data(3, s->s_data, s->s_len,
		    s->s_kind == GR_FLIP));
	case GR_WRAPMTYP:
		return (gr_send_data(s->s_seed, s->s_data, s->s_len, 0));
	case GR_RESEND:
		return (gr_resend());
	case GR_EXPECTDATA:
		return (gr_expectdata(s->s_data, s->s_len));
	case GR_SEND:
		return (gr_send(s->s_data, s->s_len));
	case GR_EXPECT:
		return (gr_expect(s->s_data, s->s_len));
	case GR_EXPECTABORT:
		return (gr_expect(abort_msg, sizeof(abort_msg)));
	case GR_EXPECTEOF:
		return (gr_expecteof(0));
	case GR_EXPECTEND:
		return (gr_expecteof(1));
	case GR_DRAIN:
		return (gr_drain());
	case GR_SHUT:
		if (shutdown(gr_fd, SHUT_WR) == -1) {
			warn("shutdown");
			return (-1);
		}
		return (0);
	case GR_SLEEP:
		(void)poll(NULL, 0, (int)s->s_len);
		return (0);
	}
	return (-1);
}

/* Run the steps in order; the exit status. */
static int
gr_script(struct gr_step *steps, size_t nsteps)
{
	size_t	 i;

	for (i = 0; i < nsteps; i++) {
		if (gr_run(&steps[i]) == -1) {
			fprintf(stderr, "gssraw: step %zu (%s) failed\n",
			    i + 1, steps[i].s_name);
			return (1);
		}
	}
	return (0);
}

int
main(int argc, char *argv[])
{
	struct gr_step	*steps;
	const char	*errstr, *bindaddr = NULL;
	size_t		 nsteps;
	OM_uint32	 min;
	int		 ch, r;

	while ((ch = getopt(argc, argv, "Nb:s:t:w:")) != -1) {
		switch (ch) {
		case 'N':
			gr_nec = 1;
			break;
		case 'b':
			bindaddr = optarg;
			break;
		case 's':
			gr_service = optarg;
			break;
		case 't':
			gr_timeout = strtonum(optarg, 1, 600, &errstr) * 1000;
			if (errstr != NULL)
				errx(2, "seconds %s: %s", optarg, errstr);
			break;
		case 'w':
			gr_savefile = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	steps = gr_parse(argc - 2, argv + 2, &nsteps);

	signal(SIGPIPE, SIG_IGN);
	gr_connect(bindaddr, argv[0], argv[1]);
	r = gr_script(steps, nsteps);
	if (gr_ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&min, &gr_ctx, GSS_C_NO_BUFFER);
	close(gr_fd);
	gr_free(steps, nsteps);
	return (r);
}

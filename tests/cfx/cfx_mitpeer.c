/*
 * cfx_mitpeer: MIT's GSS-API at the far end of a pipe, for cfx_test's
 * cross-checks.  MIT's and Heimdal's libraries cannot share a process
 * (their gss_* symbols clash), so cfx_test, built against Heimdal, runs
 * this program, built against MIT, and asks it for context tokens,
 * gss_wrap(), gss_unwrap() and gss_wrap_size_limit().
 *
 *	cfx_mitpeer init service-principal
 *	cfx_mitpeer accept
 *
 * The initiator uses the default credential cache (KRB5CCNAME), the
 * acceptor the default keytab (KRB5_KTNAME).  Requests on standard input,
 * answers on standard output, until end of file:
 *
 *	op(1) flag(1) length(4) data  ->  flag(1) major(4) minor(4)
 *	    length(4) data
 *
 * with lengths in network byte order and op one of
 *	C  one context step: data is the peer's token (empty at first);
 *	   answers the token to send, flag 1 when the context is complete
 *	W  gss_wrap of data, with confidentiality if flag
 *	U  gss_unwrap of data; answers the plaintext, flag conf_state
 *	L  gss_wrap_size_limit for 65535 bytes, confidentiality if flag;
 *	   answers the limit in 4 bytes
 * An error is in major (and minor); the program exits only on a broken
 * pipe, a malformed request or end of file.
 */

#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

#define MP_MAXTOKEN	65535
#define MP_MAXMSG	(MP_MAXTOKEN + 1024)
#define MP_FLAGS	(GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | \
			    GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG | \
			    GSS_C_CONF_FLAG)
#define MP_LIFETIME	300	/* seconds: a hung test ends here too */

static gss_ctx_id_t	 mp_ctx = GSS_C_NO_CONTEXT;
static gss_name_t	 mp_target = GSS_C_NO_NAME;
static int		 mp_initiator;

static void
usage(void)
{
	fprintf(stderr, "usage: cfx_mitpeer init service | accept\n");
	exit(2);
}

static void
mp_readall(void *buf, size_t len)
{
	uint8_t	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		n = read(STDIN_FILENO, p, len);
		if (n == 0)
			exit(0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(1, "read");
		p += n;
		len -= n;
	}
}

static void
mp_writeall(const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(STDOUT_FILENO, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(1, "write");
		p += n;
		len -= n;
	}
}

static void
mp_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
mp_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

static void
mp_answer(int flag, OM_uint32 major, OM_uint32 minor, const void *data,
    size_t len)
{
	uint8_t	 hdr[13];

	hdr[0] = flag;
	mp_put32(hdr + 1, major);
	mp_put32(hdr + 5, minor);
	mp_put32(hdr + 9, len);
	mp_writeall(hdr, sizeof(hdr));
	if (len > 0)
		mp_writeall(data, len);
}

static void
mp_step(gss_buffer_t in)
{
	gss_buffer_desc	 out = GSS_C_EMPTY_BUFFER;
	OM_uint32	 major, minor, flags = 0;

	if (mp_initiator)
		major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL,
		    &mp_ctx, mp_target, (gss_OID)gss_mech_krb5, MP_FLAGS, 0,
		    GSS_C_NO_CHANNEL_BINDINGS, in, NULL, &out, &flags, NULL);
	else
		major = gss_accept_sec_context(&minor, &mp_ctx,
		    GSS_C_NO_CREDENTIAL, in, GSS_C_NO_CHANNEL_BINDINGS, NULL,
		    NULL, &out, &flags, NULL, NULL);
	mp_answer(major == GSS_S_COMPLETE, major, minor, out.value,
	    out.length);
	(void)gss_release_buffer(&minor, &out);
}

static void
mp_wrap(int conf, gss_buffer_t in)
{
	gss_buffer_desc	 out = GSS_C_EMPTY_BUFFER;
	OM_uint32	 major, minor;
	int		 state = 0;

	major = gss_wrap(&minor, mp_ctx, conf, GSS_C_QOP_DEFAULT, in, &state,
	    &out);
	mp_answer(state, major, minor, out.value, out.length);
	(void)gss_release_buffer(&minor, &out);
}

static void
mp_unwrap(gss_buffer_t in)
{
	gss_buffer_desc	 out = GSS_C_EMPTY_BUFFER;
	OM_uint32	 major, minor;
	int		 state = 0;

	major = gss_unwrap(&minor, mp_ctx, in, &out, &state, NULL);
	mp_answer(state, major, minor, out.value, out.length);
	(void)gss_release_buffer(&minor, &out);
}

static void
mp_limit(int conf)
{
	OM_uint32	 major, minor, max = 0;
	uint8_t		 b[4];

	major = gss_wrap_size_limit(&minor, mp_ctx, conf, GSS_C_QOP_DEFAULT,
	    MP_MAXTOKEN, &max);
	mp_put32(b, max);
	mp_answer(conf, major, minor, b, sizeof(b));
}

int
main(int argc, char *argv[])
{
	gss_buffer_desc	 in, nb;
	OM_uint32	 major, minor;
	uint8_t		 hdr[6], *buf;
	size_t		 len;

	if (argc == 3 && strcmp(argv[1], "init") == 0) {
		mp_initiator = 1;
		nb.value = argv[2];
		nb.length = strlen(argv[2]);
		major = gss_import_name(&minor, &nb,
		    (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, &mp_target);
		if (GSS_ERROR(major))
			errx(1, "gss_import_name %s: %u/%u", argv[2], major,
			    minor);
	} else if (argc != 2 || strcmp(argv[1], "accept") != 0)
		usage();
	(void)signal(SIGPIPE, SIG_DFL);
	(void)alarm(MP_LIFETIME);
	if ((buf = malloc(MP_MAXMSG)) == NULL)
		err(1, NULL);
	for (;;) {
		mp_readall(hdr, sizeof(hdr));
		if ((len = mp_get32(hdr + 2)) > MP_MAXMSG)
			errx(1, "request of %zu bytes", len);
		mp_readall(buf, len);
		in.value = buf;
		in.length = len;
		switch (hdr[0]) {
		case 'C':
			mp_step(&in);
			break;
		case 'W':
			mp_wrap(hdr[1], &in);
			break;
		case 'U':
			mp_unwrap(&in);
			break;
		case 'L':
			mp_limit(hdr[1]);
			break;
		default:
			errx(1, "unknown request %#x", hdr[0]);
		}
	}
}

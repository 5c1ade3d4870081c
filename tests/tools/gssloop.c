/*
 * gssloop: check a test realm through the GSS-API alone, built twice:
 * against Heimdal (gssloop) and against MIT (gssloop-mit), so that the
 * fixture can show that both libraries read what Heimdal's kinit and
 * kadmin wrote.
 *
 *	gssloop [-k keytab] name
 *	gssloop [-k keytab] both service@host
 *	gssloop init service@host
 *	gssloop [-k keytab] accept
 *
 * "name" prints the principal and remaining lifetime of the default
 * Kerberos credentials.  "both" establishes a context between the default
 * credentials and the acceptor's keytab in one process and wraps a
 * message each way.  "init" prints the initiator's first token in hex;
 * "accept" reads such a token on standard input, which lets the two
 * halves run with different clocks (an expired ticket test).  Errors
 * print the GSS-API major and minor messages; exit 0 only on success.
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gssapi/gssapi.h>

#define GSSLOOP_TOKMAX	65536

/*
 * 1.2.840.113554.1.2.2, the Kerberos 5 mechanism: "name" asks for its
 * credentials alone, not for those of every mechanism the library has
 * (Heimdal's NTLM would look for credentials of its own).
 */
static gss_OID_desc gl_krb5_mech = {
	9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"
};
static gss_OID_set_desc gl_krb5_mechs = { 1, &gl_krb5_mech };

static void	 usage(void) __attribute__((__noreturn__));
static void	 gl_status1(const char *, OM_uint32, int);
static void	 gl_status(const char *, OM_uint32, OM_uint32);
static int	 gl_import(const char *, gss_name_t *);
static void	 gl_printname(const char *, gss_name_t);
static int	 gl_name(void);
static int	 gl_init(gss_ctx_id_t *, gss_name_t, gss_buffer_t,
		    gss_buffer_t, OM_uint32);
static int	 gl_accept(gss_ctx_id_t *, gss_buffer_t, gss_buffer_t,
		    gss_name_t *);
static int	 gl_wrap(gss_ctx_id_t, gss_ctx_id_t, const char *);
static int	 gl_rounds(gss_ctx_id_t *, gss_ctx_id_t *, gss_name_t,
		    gss_buffer_t, gss_buffer_t, gss_name_t *);
static int	 gl_both(const char *);
static int	 gl_initonly(const char *);
static int	 gl_acceptonly(void);

static void
usage(void)
{
	fprintf(stderr, "usage: gssloop [-k keytab] name | both service@host"
	    " | init service@host | accept\n");
	exit(2);
}

static void
gl_status1(const char *what, OM_uint32 code, int type)
{
	OM_uint32	 maj, min, ctx = 0;
	gss_buffer_desc	 msg;

	do {
		maj = gss_display_status(&min, code, type, GSS_C_NO_OID,
		    &ctx, &msg);
		if (GSS_ERROR(maj))
			break;
		fprintf(stderr, "gssloop: %s: %.*s\n", what,
		    (int)msg.length, (char *)msg.value);
		gss_release_buffer(&min, &msg);
	} while (ctx != 0);
}

static void
gl_status(const char *what, OM_uint32 maj, OM_uint32 min)
{
	gl_status1(what, maj, GSS_C_GSS_CODE);
	if (min != 0)
		gl_status1(what, min, GSS_C_MECH_CODE);
}

static int
gl_import(const char *service, gss_name_t *name)
{
	gss_buffer_desc	 buf;
	OM_uint32	 maj, min;

	buf.value = (void *)service;
	buf.length = strlen(service);
	maj = gss_import_name(&min, &buf, GSS_C_NT_HOSTBASED_SERVICE, name);
	if (GSS_ERROR(maj)) {
		gl_status("import_name", maj, min);
		return (-1);
	}
	return (0);
}

static void
gl_printname(const char *label, gss_name_t name)
{
	gss_buffer_desc	 buf;
	OM_uint32	 maj, min;

	maj = gss_display_name(&min, name, &buf, NULL);
	if (GSS_ERROR(maj)) {
		gl_status("display_name", maj, min);
		return;
	}
	printf("%s %.*s\n", label, (int)buf.length, (char *)buf.value);
	gss_release_buffer(&min, &buf);
}

static int
gl_name(void)
{
	gss_cred_id_t	 cred;
	gss_name_t	 name;
	OM_uint32	 maj, min, life;

	maj = gss_acquire_cred(&min, GSS_C_NO_NAME, GSS_C_INDEFINITE,
	    &gl_krb5_mechs, GSS_C_INITIATE, &cred, NULL, NULL);
	if (GSS_ERROR(maj)) {
		gl_status("acquire_cred", maj, min);
		return (1);
	}
	maj = gss_inquire_cred(&min, cred, &name, &life, NULL, NULL);
	if (GSS_ERROR(maj)) {
		gl_status("inquire_cred", maj, min);
		gss_release_cred(&min, &cred);
		return (1);
	}
	gl_printname("name", name);
	printf("lifetime %u\n", (unsigned int)life);
	gss_release_name(&min, &name);
	gss_release_cred(&min, &cred);
	return (0);
}

/* One initiator step; returns 1 to continue, 0 when done, -1 on error. */
static int
gl_init(gss_ctx_id_t *ctx, gss_name_t target, gss_buffer_t in,
    gss_buffer_t out, OM_uint32 flags)
{
	OM_uint32	 maj, min;

	maj = gss_init_sec_context(&min, GSS_C_NO_CREDENTIAL, ctx, target,
	    GSS_C_NO_OID, flags, 0, GSS_C_NO_CHANNEL_BINDINGS, in, NULL, out,
	    NULL, NULL);
	if (GSS_ERROR(maj)) {
		gl_status("init_sec_context", maj, min);
		return (-1);
	}
	return ((maj & GSS_S_CONTINUE_NEEDED) ? 1 : 0);
}

static int
gl_accept(gss_ctx_id_t *ctx, gss_buffer_t in, gss_buffer_t out,
    gss_name_t *src)
{
	OM_uint32	 maj, min;

	maj = gss_accept_sec_context(&min, ctx, GSS_C_NO_CREDENTIAL, in,
	    GSS_C_NO_CHANNEL_BINDINGS, src, NULL, out, NULL, NULL, NULL);
	if (GSS_ERROR(maj)) {
		gl_status("accept_sec_context", maj, min);
		return (-1);
	}
	return ((maj & GSS_S_CONTINUE_NEEDED) ? 1 : 0);
}

/* Wrap on one side with confidentiality, unwrap on the other. */
static int
gl_wrap(gss_ctx_id_t from, gss_ctx_id_t to, const char *msg)
{
	gss_buffer_desc	 in, wrapped, out;
	OM_uint32	 maj, min;
	int		 conf = 0, ok;

	in.value = (void *)msg;
	in.length = strlen(msg);
	maj = gss_wrap(&min, from, 1, GSS_C_QOP_DEFAULT, &in, &conf,
	    &wrapped);
	if (GSS_ERROR(maj)) {
		gl_status("wrap", maj, min);
		return (-1);
	}
	maj = gss_unwrap(&min, to, &wrapped, &out, &conf, NULL);
	gss_release_buffer(&min, &wrapped);
	if (GSS_ERROR(maj)) {
		gl_status("unwrap", maj, min);
		return (-1);
	}
	ok = conf && out.length == in.length &&
	    memcmp(out.value, in.value, in.length) == 0;
	gss_release_buffer(&min, &out);
	if (!ok) {
		warnx("wrap: message changed or not confidential");
		return (-1);
	}
	return (0);
}

/* Trade tokens until both contexts are complete; 0 or 1 to fail. */
static int
gl_rounds(gss_ctx_id_t *ictx, gss_ctx_id_t *actx, gss_name_t target,
    gss_buffer_t itok, gss_buffer_t atok, gss_name_t *src)
{
	OM_uint32	 min, flags;
	int		 ir = 1, ar = 1, rounds;

	flags = GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG;
	for (rounds = 0; rounds < 10 && (ir == 1 || ar == 1); rounds++) {
		gss_release_buffer(&min, itok);
		ir = gl_init(ictx, target, atok, itok, flags);
		if (ir == -1)
			return (1);
		if (itok->length == 0)
			break;
		gss_release_buffer(&min, atok);
		ar = gl_accept(actx, itok, atok, src);
		if (ar == -1)
			return (1);
		if (atok->length == 0 && ir == 0)
			break;
	}
	if (ir != 0 || ar != 0) {
		warnx("context not established after %d rounds", rounds);
		return (1);
	}
	return (0);
}

/*
 * Both halves in one process.  Whatever happens, the names, tokens and
 * contexts are released: a failing run must not also leak.
 */
static int
gl_both(const char *service)
{
	gss_ctx_id_t	 ictx = GSS_C_NO_CONTEXT, actx = GSS_C_NO_CONTEXT;
	gss_buffer_desc	 itok = GSS_C_EMPTY_BUFFER, atok = GSS_C_EMPTY_BUFFER;
	gss_name_t	 target, src = GSS_C_NO_NAME;
	OM_uint32	 min;
	int		 r;

	if (gl_import(service, &target) == -1)
		return (1);
	r = gl_rounds(&ictx, &actx, target, &itok, &atok, &src);
	if (r == 0) {
		gl_printname("initiator", src);
		if (gl_wrap(ictx, actx, "to the acceptor") == -1 ||
		    gl_wrap(actx, ictx, "to the initiator") == -1)
			r = 1;
		else
			printf("wrap ok\n");
	}
	gss_release_buffer(&min, &itok);
	gss_release_buffer(&min, &atok);
	if (src != GSS_C_NO_NAME)
		gss_release_name(&min, &src);
	gss_release_name(&min, &target);
	if (ictx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&min, &ictx, GSS_C_NO_BUFFER);
	if (actx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&min, &actx, GSS_C_NO_BUFFER);
	return (r);
}

static int
gl_initonly(const char *service)
{
	gss_ctx_id_t	 ctx = GSS_C_NO_CONTEXT;
	gss_buffer_desc	 tok = GSS_C_EMPTY_BUFFER;
	gss_name_t	 target;
	OM_uint32	 min;
	size_t		 i;
	int		 r = 1;

	if (gl_import(service, &target) == -1)
		return (1);
	/* No mutual authentication: the AP-REQ is the only token. */
	if (gl_init(&ctx, target, GSS_C_NO_BUFFER, &tok,
	    GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG) != -1) {
		for (i = 0; i < tok.length; i++)
			printf("%02x", ((unsigned char *)tok.value)[i]);
		printf("\n");
		r = 0;
	}
	gss_release_buffer(&min, &tok);
	gss_release_name(&min, &target);
	if (ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&min, &ctx, GSS_C_NO_BUFFER);
	return (r);
}

static int
gl_acceptonly(void)
{
	static unsigned char	 tok[GSSLOOP_TOKMAX];
	gss_ctx_id_t		 ctx = GSS_C_NO_CONTEXT;
	gss_buffer_desc		 in, out = GSS_C_EMPTY_BUFFER;
	gss_name_t		 src = GSS_C_NO_NAME;
	unsigned int		 v;
	size_t			 len = 0;
	OM_uint32		 min;
	int			 r;

	while (len < sizeof(tok) && scanf("%2x", &v) == 1)
		tok[len++] = v;
	if (len == 0) {
		warnx("no token on standard input");
		return (1);
	}
	in.value = tok;
	in.length = len;
	r = gl_accept(&ctx, &in, &out, &src) == -1 ? 1 : 0;
	if (r == 0)
		gl_printname("initiator", src);
	gss_release_buffer(&min, &out);
	if (src != GSS_C_NO_NAME)
		gss_release_name(&min, &src);
	if (ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&min, &ctx, GSS_C_NO_BUFFER);
	return (r);
}

int
main(int argc, char *argv[])
{
	int	 ch;

	while ((ch = getopt(argc, argv, "k:")) != -1) {
		switch (ch) {
		case 'k':
			/* Both libraries read it on first use. */
			if (setenv("KRB5_KTNAME", optarg, 1) == -1)
				err(1, "setenv");
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 1 && strcmp(argv[0], "name") == 0)
		return (gl_name());
	if (argc == 2 && strcmp(argv[0], "both") == 0)
		return (gl_both(argv[1]));
	if (argc == 2 && strcmp(argv[0], "init") == 0)
		return (gl_initonly(argv[1]));
	if (argc == 1 && strcmp(argv[0], "accept") == 0)
		return (gl_acceptonly());
	usage();
}

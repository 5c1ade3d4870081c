/*
 * What tests/cfx's programs share: a throwaway Heimdal realm (krbtest)
 * whose service principal has keys of one enctype only and whose
 * clients ask for that enctype, so that every context made in it has a
 * token key of that enctype; Heimdal contexts between its user and
 * service, in this process; and a relay session (relayd/relay_gss.c)
 * importing one end of such a context exactly as the relay does.
 */

#ifndef SOCKD_TESTS_CFXENV_H
#define SOCKD_TESTS_CFXENV_H

#include <gssapi/gssapi.h>
#include <krb5.h>

#include "krbtest.h"

#define CE_SERVICE	"cfx/host.test@" TK_REALM
#define CE_FLAGS	(GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | \
			    GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG | \
			    GSS_C_CONF_FLAG)

struct cfx_env {
	struct tk_realm	 ce_realm;
	int		 ce_enctype;
	char		 ce_keytab[PATH_MAX];	/* the service's, FILE */
	char		 ce_ccache[PATH_MAX];	/* the user's, FILE */
	krb5_context	 ce_ctx;
	krb5_keytab	 ce_kt;
	krb5_ccache	 ce_cc;
	gss_cred_id_t	 ce_icred;		/* the user's, to initiate */
	gss_cred_id_t	 ce_acred;		/* the service's, to accept */
};

struct relay_session;

const char	*ce_enctype_name(int);
void		 ce_setup(struct cfx_env *, int);
void		 ce_free(struct cfx_env *);
void		 ce_fail_gss(const char *, OM_uint32, OM_uint32)
		    __attribute__((__noreturn__));
int		 ce_init_step(struct cfx_env *, gss_ctx_id_t *, gss_buffer_t,
		    gss_buffer_t);
int		 ce_accept_step(struct cfx_env *, gss_ctx_id_t *, gss_buffer_t,
		    gss_buffer_t);
void		 ce_handshake(struct cfx_env *, gss_ctx_id_t *,
		    gss_ctx_id_t *);
void		 ce_subneg(gss_ctx_id_t, gss_ctx_id_t);
void		 ce_relay(struct relay_session *, gss_ctx_id_t *, int);
void		 ce_random(void *, size_t);

#endif /* SOCKD_TESTS_CFXENV_H */

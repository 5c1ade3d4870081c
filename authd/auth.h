/*
 * The GSS-API core of authd: keytab bytes to a MEMORY: keytab, the
 * service principal a rule accepts, the replay cache, and one session's
 * RFC 1961 negotiation.  No imsg and no event code lives here, so that
 * the tests drive these functions with a real Heimdal and nothing else.
 */

#ifndef SOCKD_AUTH_H
#define SOCKD_AUTH_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gssapi/gssapi.h>
#include <krb5.h>

#include "config.h"

/* keytab.c */

/*
 * Which service principals a rule accepts (gssapi.servicename):
 *   "rcmd"                  any rcmd/<host>, in any realm
 *   "rcmd@host.example"     rcmd/host.example (GSS host-based form), any realm
 *   "rcmd/host.example"     that principal, in any realm
 *   "rcmd/host.example@R"   exactly that principal
 */
enum auth_svctype {
	AUTH_SVC_SERVICE = 1,
	AUTH_SVC_HOST,
	AUTH_SVC_PRINCIPAL
};

struct auth_service {
	enum auth_svctype	 sv_type;
	char			 sv_service[SOCKD_NAME_MAX];
	char			 sv_host[SOCKD_NAME_MAX];
	krb5_principal		 sv_princ;	/* AUTH_SVC_PRINCIPAL */
	int			 sv_anyrealm;
	char			 sv_display[SOCKD_NAME_MAX + 16];
};

/*
 * auth_keytab_load(ctx, bytes, len, name, allow_weak, &kt, err, errlen):
 * the bytes of a keytab file (name is for messages only) into a new
 * MEMORY: keytab.  Weak keys (DES, 3DES, RC4) are left out unless
 * allow_weak; a keytab with nothing else is refused then.  Returns the
 * number of weak keys left out (>= 0), for the caller to log, or -1 with
 * err set.  The caller wipes the bytes afterwards.
 */
int	 auth_keytab_load(krb5_context, const uint8_t *, size_t,
	    const char *, int, krb5_keytab *, char *, size_t);
int	 auth_keytab_has(krb5_context, krb5_keytab, const char *,
	    const struct auth_service *, char *, size_t);
void	 auth_keytab_free(krb5_context, krb5_keytab);
int	 auth_enctype_weak(krb5_enctype);

int	 auth_service_parse(krb5_context, const char *, struct auth_service *,
	    char *, size_t);
int	 auth_service_match(krb5_context, const struct auth_service *,
	    krb5_const_principal);
void	 auth_service_free(krb5_context, struct auth_service *);

/* replay.c */
#define AUTH_REPLAY_MAX		100000	/* entries */
#define AUTH_REPLAY_SKEW	300	/* seconds, krb5's default clockskew */

/*
 * Entries live 2 * skew seconds; pass krb5_get_max_time_skew().  Create
 * it before the sandbox: the first digest may make libcrypto read its
 * configuration file.
 */
struct replay;

struct replay	*auth_replay_create(size_t, time_t);
void		 auth_replay_free(struct replay *);
int		 auth_replay_check_and_add(struct replay *, const void *,
		    size_t, time_t);
size_t		 auth_replay_count(const struct replay *);

/* gss.c */

/*
 * The acceptor credential of one keytab, shared by the sessions that use
 * it: auth_cred_new() returns it with one reference (the keytab
 * table's), every session takes one, the last auth_cred_unref() frees
 * it.
 */
struct auth_cred {
	gss_cred_id_t	 ac_cred;
	int		 ac_refs;
};

struct auth_cred *auth_cred_new(krb5_keytab, char *, size_t);
struct auth_cred *auth_cred_ref(struct auth_cred *);
void		  auth_cred_unref(struct auth_cred *);

#define AUTH_GSS_MAXROUNDS	8	/* context tokens per session */
#define AUTH_GSS_MAXTOKEN	65535	/* RFC 1961: a 2 octet length */

enum auth_state {
	AUTH_ST_NEW = 0,	/* auth_gss_init not called or failed */
	AUTH_ST_BEGIN,		/* no token yet */
	AUTH_ST_TOKEN,		/* context tokens flowing */
	AUTH_ST_COMPLETE,	/* context established, level next */
	AUTH_ST_PROTECT,	/* level agreed, export next */
	AUTH_ST_DONE,		/* exported */
	AUTH_ST_FAILED		/* any error: only auth_gss_free is left */
};

/*
 * One negotiation.  The caller may embed it and read the as_ fields
 * documented as results; everything else is private to gss.c.
 */
struct auth_session {
	enum auth_state		 as_state;
	krb5_context		 as_ctx;
	struct replay		*as_replay;
	struct gssconf		 as_gss;	/* of the client rule */
	struct auth_service	 as_svc;
	struct auth_cred	*as_cred;	/* a reference */
	gss_ctx_id_t		 as_gctx;
	int			 as_rounds;

	/* Results. */
	OM_uint32		 as_flags;	/* ret_flags, at COMPLETE */
	char			 as_principal[SOCKD_NAME_MAX]; /* client */
	char			 as_target[SOCKD_NAME_MAX]; /* our principal */
	int			 as_level;	/* GSS_LEVEL_*, at PROTECT */
	int			 as_nec;	/* NEC raw octet: downgrade */
	int			 as_confwrapped; /* level came conf-wrapped */
};

int	 auth_gss_init(struct auth_session *, krb5_context,
	    const struct gssconf *, struct auth_cred *, struct replay *,
	    char *, size_t);
int	 auth_gss_token(struct auth_session *, const void *, size_t,
	    gss_buffer_t, int *, char *, size_t);
int	 auth_gss_protect(struct auth_session *, const void *, size_t,
	    gss_buffer_t, int *, char *, size_t);
int	 auth_gss_export(struct auth_session *, gss_buffer_t, char *,
	    size_t);
void	 auth_gss_free(struct auth_session *);

#endif /* SOCKD_AUTH_H */

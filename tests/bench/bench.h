/*
 * What the benchmark programs that speak GSS-API share (benchgss.c):
 * credentials held in memory, so that neither the initiator nor the
 * acceptor reads a file per call, status messages, and a clock.
 */

#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include <gssapi/gssapi.h>

/* The flags gsocks asks for: what a real client's context has. */
#define BG_REQFLAGS	(GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | \
			    GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG | \
			    GSS_C_CONF_FLAG)

#define BG_LEVEL_CLEAR		0
#define BG_LEVEL_INTEGRITY	1
#define BG_LEVEL_CONF		2

/* RFC 1961 tokens are at most this long (a 16-bit length). */
#define BG_MAXTOKEN		65535

void	 bg_status(const char *, OM_uint32, OM_uint32);
int	 bg_level(const char *);
const char *bg_levelname(int);
int	 bg_initiator(gss_cred_id_t *);
int	 bg_acceptor(const char *, gss_cred_id_t *);
int	 bg_target(const char *, gss_name_t *);
int	 bg_init_first(gss_cred_id_t, gss_name_t, gss_ctx_id_t *,
	    gss_buffer_t);
int	 bg_init_last(gss_name_t, gss_ctx_id_t *, const void *, size_t);
int	 bg_maxplain(gss_ctx_id_t, int, size_t *);
double	 bg_now(void);
long long bg_size(const char *);

#endif /* BENCH_BENCH_H */

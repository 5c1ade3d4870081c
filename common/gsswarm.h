#ifndef SOCKD_GSSWARM_H
#define SOCKD_GSSWARM_H

/* Load the GSS-API mechanism's configuration before a chroot. */
void	 gss_warmup(void);

#endif /* SOCKD_GSSWARM_H */

/* A child's configuration, as received from the parent (cfgrecv.c). */

#ifndef SOCKD_CFGRECV_H
#define SOCKD_CFGRECV_H

#include "config.h"

struct imsg;

struct config {
	struct sockd_conf	 c_conf;
	struct rule		*c_rules;
	int			 c_nrules;
	int			 c_refs;
};

struct config	*config_new(void);
void		 config_ref(struct config *);
void		 config_unref(struct config *);
int		 config_recv(struct config **, struct imsg *);

#endif /* SOCKD_CFGRECV_H */

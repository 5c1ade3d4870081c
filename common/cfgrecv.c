/*
 * A child's side of the configuration: IMSG_CFG_GLOBAL and IMSG_CFG_RULE
 * from the parent build a new struct config, which the child takes on
 * IMSG_CFG_DONE, at start-up and at every reload alike.  A configuration
 * is reference counted so that sessions begun under the old rules can
 * keep using them while new sessions get the new ones.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "cfgrecv.h"
#include "imsg.h"
#include "log.h"
#include "proto.h"

struct config *
config_new(void)
{
	struct config	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal(NULL);
	c->c_refs = 1;
	return (c);
}

void
config_ref(struct config *c)
{
	c->c_refs++;
}

void
config_unref(struct config *c)
{
	if (c == NULL || --c->c_refs > 0)
		return;
	free(c->c_rules);
	free(c);
}

static void
config_recv_rule(struct config *c, struct imsg *imsg)
{
	struct rule	*r;

	if (c->c_nrules >= SOCKD_MAXRULES)
		fatalx("%s: too many rules", __func__);
	if ((r = reallocarray(c->c_rules, c->c_nrules + 1,
	    sizeof(*r))) == NULL)
		fatal(NULL);
	c->c_rules = r;
	r = &c->c_rules[c->c_nrules];
	if (imsg_get_data(imsg, r, sizeof(*r)) == -1)
		fatalx("%s: bad IMSG_CFG_RULE", __func__);
	/* Strings from another process end where we say. */
	r->r_file[sizeof(r->r_file) - 1] = '\0';
	r->r_gss.gc_servicename[sizeof(r->r_gss.gc_servicename) - 1] = '\0';
	r->r_gss.gc_keytab[sizeof(r->r_gss.gc_keytab) - 1] = '\0';
	r->r_from.am_domain[sizeof(r->r_from.am_domain) - 1] = '\0';
	r->r_to.am_domain[sizeof(r->r_to.am_domain) - 1] = '\0';
	if (r->r_userslen > sizeof(r->r_users))
		fatalx("%s: bad user list", __func__);
	c->c_nrules++;
}

/*
 * The parent's configuration messages; returns 1 for one it took, 0 for
 * any other message.  *next is made by IMSG_CFG_GLOBAL, which starts
 * every configuration.
 */
int
config_recv(struct config **next, struct imsg *imsg)
{
	struct sockd_conf	*sc;

	switch (imsg_get_type(imsg)) {
	case IMSG_CFG_GLOBAL:
		config_unref(*next);
		*next = config_new();
		sc = &(*next)->c_conf;
		if (imsg_get_data(imsg, sc, sizeof(*sc)) == -1)
			fatalx("%s: bad IMSG_CFG_GLOBAL", __func__);
		sc->sc_gss.gc_servicename[sizeof(sc->sc_gss.gc_servicename) -
		    1] = '\0';
		sc->sc_gss.gc_keytab[sizeof(sc->sc_gss.gc_keytab) - 1] = '\0';
		sc->sc_user_unpriv[sizeof(sc->sc_user_unpriv) - 1] = '\0';
		sc->sc_user_auth[sizeof(sc->sc_user_auth) - 1] = '\0';
		return (1);
	case IMSG_CFG_RULE:
		if (*next == NULL)
			fatalx("%s: rule before the global settings",
			    __func__);
		config_recv_rule(*next, imsg);
		return (1);
	}
	return (0);
}

/*
 * Heimdal's krb5 mechanism makes its own krb5 context, reading krb5.conf,
 * the first time it is used, not at gss_indicate_mechs().  In a process
 * that chroots, that first use would come after the chroot and silently
 * fall back to built-in defaults: a 300 s clock skew whatever krb5.conf
 * says, so expired tickets are accepted for five minutes and a replay
 * cache sized from krb5.conf lets tokens go too early.  One acceptor
 * credential acquisition, before the chroot, makes the mechanism
 * initialise now.  Whether it finds a keytab does not matter: the
 * credential is released at once.  Only the krb5 mechanism is asked:
 * with every mechanism, Heimdal's others (NTLM among them) start too,
 * leak what they make (LeakSanitizer), and sockd takes only krb5.
 */

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

#include "gsswarm.h"

void
gss_warmup(void)
{
	gss_OID_desc	 krb5 = *GSS_KRB5_MECHANISM;
	gss_OID_set_desc mechs = { 1, &krb5 };
	gss_cred_id_t	 cred = GSS_C_NO_CREDENTIAL;
	OM_uint32	 minor;

	(void)gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE,
	    &mechs, GSS_C_ACCEPT, &cred, NULL, NULL);
	if (cred != GSS_C_NO_CREDENTIAL)
		(void)gss_release_cred(&minor, &cred);
}

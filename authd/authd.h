/*
 * authd (installed as sockd-auth): holds the keytabs in memory, accepts
 * GSS-API contexts for the front end's clients and exports each
 * established context straight to the relay that will carry the session.
 * It never opens a file or a socket after start-up.
 */

#ifndef SOCKD_AUTHD_H
#define SOCKD_AUTHD_H

#include "auth.h"
#include "config.h"
#include "proc.h"
#include "proto.h"

#define AUTHD_MAXSESSIONS	4096	/* negotiations in flight */

#endif /* SOCKD_AUTHD_H */

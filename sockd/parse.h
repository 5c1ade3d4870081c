/*
 * The sockd.conf parser (parse.y).
 *
 * parse_config() reads Dante's sockd.conf syntax into the plain-data
 * structures of config.h.  The result is a struct sockd_conf and one
 * array of rules, client and socks rules together in the order of the
 * file; nothing in either points anywhere, so both can be sent to the
 * children as they are.
 */

#ifndef SOCKD_PARSE_H
#define SOCKD_PARSE_H

#include "config.h"

/* Default TCP port of an internal address without "port = N". */
#define SOCKD_PORT		1080

/* Most include files open at once (a loop would otherwise never end). */
#define PARSE_MAXDEPTH		8

/* Most files read in one parse, includes of includes counted. */
#define PARSE_MAXFILES		64

/* Largest config or include file read. */
#define PARSE_MAXFILE		(1024 * 1024)

/*
 * Parse file into conf and a new array of rules (to be freed by the
 * caller with free(3)).  Every problem is logged with log_warnx() as
 * "FILE:LINE: message"; the return is 0 if there was none and -1
 * otherwise, with *rules NULL and *nrules 0.  Warnings (deprecated
 * keywords) are logged the same way, with "warning: " after the line,
 * and do not fail the parse.
 *
 * What parse_config() decides beyond the grammar:
 *  - conf is reset to the defaults first (see parse_defaults()), so a
 *    reload starts from scratch.
 *  - Rules are numbered as Dante numbers them in its log lines: client
 *    rules 1, 2, ... and socks rules 1, 2, ... separately, each in the
 *    order of the file; r_file and r_line say where the rule starts.
 *  - Every rule's r_gss holds the global gssapi.* and
 *    clientcompatibility values for whatever the rule does not set
 *    itself (r_gss_set says which it set).
 *  - When the global socksmethod list has gssapi, the keytab paths in
 *    use (the global one and the rules') are collected without
 *    duplicates into sc_keytabs[], with a "FILE:" prefix stripped, and
 *    every gc_keytab_id indexes that array.  Without gssapi no keytab
 *    is read: sc_nkeytabs is 0 and every gc_keytab_id is -1.
 */
int	parse_config(const char *, struct sockd_conf *, struct rule **,
	    int *);

/* The values a config starts from. */
void	parse_defaults(struct sockd_conf *);

#endif /* SOCKD_PARSE_H */

#!/bin/sh
#
# make install: put the programs, the manual pages and an example
# configuration where they belong, and say what went where.
#
#	sh etc/install.sh DESTDIR SBINDIR BINDIR LIBEXECDIR MANDIR SYSCONFDIR
#
# Run from the top of the tree, after the build.  Every path is taken
# under DESTDIR (empty for the running system).  sockd finds sockd-auth
# and sockd-relay in the LIBEXECDIR it was compiled with, so install with
# the PREFIX or LIBEXECDIR the tree was built with.
#
# The example configuration goes to SYSCONFDIR/sockd.conf only if there
# is none: an existing configuration is never replaced.  The users and
# the chroot directory are made by etc/users.sh, not here, so that a
# package build (DESTDIR set, no root) touches nothing outside DESTDIR.

set -eu

if [ $# -ne 6 ]; then
	echo "usage: sh etc/install.sh DESTDIR SBINDIR BINDIR LIBEXECDIR" \
	    "MANDIR SYSCONFDIR" >&2
	exit 1
fi
DESTDIR=$1
SBINDIR=$2
BINDIR=$3
LIBEXECDIR=$4
MANDIR=$5
SYSCONFDIR=$6

# Owned by root when we can: sockd refuses a configuration file that is
# not owned by root (or by whoever runs it).
OWNER=""
if [ "$(id -u)" = 0 ]; then
	OWNER="-o 0 -g 0"
fi

for f in sockd/sockd authd/sockd-auth relayd/sockd-relay client/gsocks \
    man/sockd.8 man/sockd.conf.5 man/sockd-auth.8 man/sockd-relay.8 \
    man/gsocks.1 etc/sockd.conf; do
	if [ ! -f "${f}" ]; then
		echo "install: ${f} is missing: run make first, from the top" \
		    "of the tree" >&2
		exit 1
	fi
done

# inst MODE SOURCE DIRECTORY
inst()
{
	local mode=$1 src=$2 dir=${DESTDIR}$3

	# Directories that exist are left as they are.
	if [ ! -d "${dir}" ]; then
		# shellcheck disable=SC2086
		install -d ${OWNER} -m 0755 "${dir}"
	fi
	# shellcheck disable=SC2086
	install -c ${OWNER} -m "${mode}" "${src}" "${dir}/$(basename "${src}")"
	echo "install: ${dir}/$(basename "${src}") (${mode})"
}

inst 0555 sockd/sockd "${SBINDIR}"
inst 0555 authd/sockd-auth "${LIBEXECDIR}"
inst 0555 relayd/sockd-relay "${LIBEXECDIR}"
inst 0555 client/gsocks "${BINDIR}"
inst 0444 man/gsocks.1 "${MANDIR}/man1"
inst 0444 man/sockd.conf.5 "${MANDIR}/man5"
inst 0444 man/sockd.8 "${MANDIR}/man8"
inst 0444 man/sockd-auth.8 "${MANDIR}/man8"
inst 0444 man/sockd-relay.8 "${MANDIR}/man8"

conf=${DESTDIR}${SYSCONFDIR}/sockd.conf
if [ -e "${conf}" ] || [ -L "${conf}" ]; then
	echo "install: ${conf} exists, kept as it is; the example is" \
	    "etc/sockd.conf in the source tree"
else
	inst 0644 etc/sockd.conf "${SYSCONFDIR}"
fi

if [ -z "${DESTDIR}" ]; then
	echo "install: next, as root: sh etc/users.sh (the _sockd and" \
	    "_sockdauth users and /var/empty), a keytab in" \
	    "/etc/sockd.keytab, and sockd -V -f ${SYSCONFDIR}/sockd.conf"
fi

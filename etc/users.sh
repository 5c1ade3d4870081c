#!/bin/sh
#
# Create what a site needs before it starts sockd, once, as root:
#
#   _sockd       the user of the front end and the relays
#                (user.unprivileged in sockd.conf)
#   _sockdauth   the user of sockd-auth, which holds the keys (user.auth);
#                a user of its own, so that no relay can signal or trace it
#   /var/empty   the directory every child is chrooted to: owned by root,
#                mode 0755, empty
#
# Both users are system users with no home and no login shell, each with
# a group of its own.  Running it again changes nothing: what exists is
# kept as it is, and said so.  Debian (useradd from passwd) and OpenBSD
# (useradd(8) of base) are handled.

set -eu

CHROOT=/var/empty
USERS="_sockd _sockdauth"

comment()
{
	case "$1" in
	_sockd)
		echo "sockd front end and relays"
		;;
	_sockdauth)
		echo "sockd authentication (keytab holder)"
		;;
	esac
}

user_exists()
{
	id -u "$1" >/dev/null 2>&1
}

group_exists()
{
	case "$(uname -s)" in
	OpenBSD)
		grep -q "^$1:" /etc/group
		;;
	*)
		getent group "$1" >/dev/null 2>&1
		;;
	esac
}

add_user_linux()
{
	local name=$1 shell=/usr/sbin/nologin grp

	[ -x "${shell}" ] || shell=/sbin/nologin
	if group_exists "${name}"; then
		grp="--gid ${name}"
	else
		grp="--user-group"
	fi
	# shellcheck disable=SC2086
	useradd --system ${grp} --no-create-home --home-dir "${CHROOT}" \
	    --shell "${shell}" --comment "$(comment "${name}")" "${name}"
}

add_user_openbsd()
{
	local name=$1 grp

	if group_exists "${name}"; then
		grp=${name}
	else
		grp="=uid"
	fi
	# System users live below 1000 on OpenBSD.
	useradd -r 100..999 -g "${grp}" -L daemon -d "${CHROOT}" \
	    -s /sbin/nologin -c "$(comment "${name}")" "${name}"
}

add_user()
{
	if user_exists "$1"; then
		echo "users: user $1 exists (uid $(id -u "$1")), kept"
		return 0
	fi
	case "$(uname -s)" in
	OpenBSD)
		add_user_openbsd "$1"
		;;
	*)
		add_user_linux "$1"
		;;
	esac
	echo "users: created user $1 (uid $(id -u "$1"))"
}

make_chroot()
{
	local owner mode

	if [ -L "${CHROOT}" ] || { [ -e "${CHROOT}" ] && [ ! -d "${CHROOT}" ]; }
	then
		echo "users: ${CHROOT} exists and is not a directory" >&2
		exit 1
	fi
	if [ ! -d "${CHROOT}" ]; then
		mkdir -p "${CHROOT}"
		chown 0:0 "${CHROOT}"
		chmod 0755 "${CHROOT}"
		echo "users: created ${CHROOT} (root, 0755)"
		return 0
	fi
	# An existing directory is not changed: say if it is unsafe.
	owner=$(ls -nd "${CHROOT}" | awk '{ print $3 }')
	mode=$(ls -ld "${CHROOT}" | cut -c 1-10)
	if [ "${owner}" != 0 ] || [ "$(echo "${mode}" | cut -c 6)" = w ] ||
	    [ "$(echo "${mode}" | cut -c 9)" = w ]; then
		echo "users: warning: ${CHROOT} is ${mode} owned by uid" \
		    "${owner}; it should be owned by root and writable by" \
		    "nobody else (chown root ${CHROOT};" \
		    "chmod 755 ${CHROOT})" >&2
	fi
	if [ -n "$(ls -A "${CHROOT}")" ]; then
		echo "users: warning: ${CHROOT} is not empty" >&2
	fi
	echo "users: ${CHROOT} exists, kept"
}

if [ "$(id -u)" != 0 ]; then
	echo "users: run as root" >&2
	exit 1
fi
for u in ${USERS}; do
	add_user "${u}"
done
make_chroot

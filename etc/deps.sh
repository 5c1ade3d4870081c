#!/bin/sh
#
# Install the Debian 12 packages sockd needs to build and to run its
# tests and demo, and say which.  Only missing packages are installed;
# nothing else on the machine is changed.  Run as root.
#
#   build:  gcc make pkg-config byacc libbsd-dev libevent-dev
#           libc-ares-dev libseccomp-dev libssl-dev heimdal-dev
#           krb5-multidev (MIT's GSS-API, for the second client build)
#   tests:  kyua atf-sh libatf-dev heimdal-kdc heimdal-clients curl
#           bmake (the build is checked under BSD make too) mandoc
#   fuzzing: clang libclang-rt-14-dev (libFuzzer; make fuzz, fuzz-short)
#   hardening tests: strace (provoking a real seccomp kill, tracing the
#           calls the systemd unit must allow), systemd (only for
#           systemd-analyze security on etc/sockd.service; nothing is
#           started)

set -eu

PKGS="gcc make pkg-config byacc libbsd-dev libevent-dev libc-ares-dev
libseccomp-dev libssl-dev heimdal-dev krb5-multidev kyua atf-sh libatf-dev
heimdal-kdc heimdal-clients curl bmake mandoc clang libclang-rt-14-dev
strace systemd"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "deps: all build and test packages are installed"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root to install them" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing

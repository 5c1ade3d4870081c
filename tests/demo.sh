#!/bin/sh
#
# make demo: a throwaway Kerberos realm on 127.0.0.1, sockd with gssapi on
# loopback, and our client fetching a page through it at confidentiality,
# built against Heimdal and against MIT; then the system's curl, which
# speaks only plain SOCKS 5, fetching it through gsocks bridge.
# Everything lives in a temporary directory and is stopped at the end;
# only loopback is contacted.



SOCKD_TOP=$(cd "$(dirname "$0")/.." && pwd -P)
export SOCKD_TOP
. "${SOCKD_TOP}/tests/lib/sockd.subr"
. "${SOCKD_TOP}/tests/lib/realm.subr"

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (sockd drops to an unprivileged user)" >&2
	exit 1
fi

WORK=$(mktemp -d /tmp/sockd-demo.XXXXXX)
SOCKD_WORKDIR=${WORK}
export SOCKD_WORKDIR
cd "${WORK}" || exit 1

cleanup()
{
	sockd_stop >/dev/null 2>&1
	bg_stop_all >/dev/null 2>&1
	realm_teardown "${WORK}/realm" >/dev/null 2>&1
	rm -rf "${WORK}"
}
trap cleanup EXIT INT TERM

step()
{
	printf '\n== %s\n' "$*"
}

step "a throwaway realm SOCKD.TEST with its KDC on 127.0.0.1"
mkdir -p realm
realm_setup "${WORK}/realm" || exit 1
echo "KDC on 127.0.0.1:$(cat realm/kdc.port); alice has a ticket:"
${REALM_KLIST} | sed 's/^/    /'

step "a web page to fetch, served on 127.0.0.1"
mkdir -p www
echo "Hello from behind sockd: this page crossed a GSS-API protected" \
    "SOCKS 5 session." >www/index.html
httpd_start web "${WORK}/www" || exit 1
WEB=$(port_of web)
echo "http://127.0.0.1:${WEB}/index.html"

step "sockd with socksmethod gssapi on 127.0.0.1"
PORT=$(free_port)
cat >sockd.conf <<EOF
# A Dante-style configuration for a Kerberos site.
logoutput: stderr
internal: 127.0.0.1 port = ${PORT}
socksmethod: gssapi
user.privileged: root
user.unprivileged: nobody
gssapi.keytab: ${WORK}/realm/sockd.keytab
gssapi.servicename: rcmd/localhost

client pass {
	from: 127.0.0.0/8 to: 0/0
	log: error connect disconnect
}
socks pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
	command: connect
	log: error connect disconnect
}
EOF
sed 's/^/    /' sockd.conf
"${SOCKD}" -V -f sockd.conf || exit 1
sockd_start sockd.conf "${PORT}" || exit 1
echo "processes:"
ps -o pid,user,args --ppid "$(bg_pid sockd)" -p "$(bg_pid sockd)" |
    sed 's/^/    /'
echo "the front end links no GSS-API library:"
if ldd "${SOCKD}" | grep -q -i gssapi; then
	echo "    it does: stop" >&2
	exit 1
fi
echo "    ldd ${SOCKD}: no libgssapi"

fetch()
{
	client=$1
	echo "\$ printf 'GET /index.html ...' | $(basename "${client}")" \
	    "connect -l confidentiality -s rcmd/localhost" \
	    "-p 127.0.0.1:${PORT} 127.0.0.1:${WEB}"
	printf 'GET /index.html HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' |
	    "${client}" connect -v -l confidentiality -s rcmd/localhost \
	    -p "127.0.0.1:${PORT}" "127.0.0.1:${WEB}" >page.out 2>client.err
	rc=$?
	sed 's/^/    /' client.err
	echo "    --- the page:"
	sed 's/^/    /' page.out
	if [ ${rc} -ne 0 ] || ! grep -q "Hello from behind sockd" page.out
	then
		echo "demo: the fetch failed; the server said:" >&2
		tail -n 20 "${SOCKD_LOG}" >&2
		exit 1
	fi
}

step "our client (built against Heimdal) fetches it at confidentiality"
fetch "${GSOCKS}"

step "the same client built against MIT Kerberos"
fetch "${GSOCKS_MIT}"

step "what the server logged (audit lines)"
grep -E 'event=' "${SOCKD_LOG}" | sed 's/^/    /'

step "any program through gsocks bridge: the system's curl at confidentiality"
BRIDGE=$(free_port)
echo "\$ gsocks bridge -l confidentiality -s rcmd/localhost" \
    "-p 127.0.0.1:${PORT} -b 127.0.0.1:${BRIDGE} &"
bg_start bridge "${GSOCKS}" bridge -l confidentiality -s rcmd/localhost \
    -p "127.0.0.1:${PORT}" -b "127.0.0.1:${BRIDGE}"
if ! wait_port "${BRIDGE}" 10 "$(bg_pid bridge)"; then
	echo "demo: the bridge did not start:" >&2
	cat bridge.err >&2
	exit 1
fi
sed 's/^/    /' bridge.err
NAUTH=$(grep -c 'event=auth-ok' "${SOCKD_LOG}")
echo "\$ curl --socks5-hostname 127.0.0.1:${BRIDGE}" \
    "http://127.0.0.1:${WEB}/index.html" \
    "    # $(curl --version | head -n 1 | cut -d ' ' -f 1-2), plain SOCKS 5"
curl -sS --max-time 30 --socks5-hostname "127.0.0.1:${BRIDGE}" \
    "http://127.0.0.1:${WEB}/index.html" >curl.out 2>curl.err
rc=$?
sed 's/^/    /' curl.out curl.err
if [ ${rc} -ne 0 ] || ! grep -q "Hello from behind sockd" curl.out; then
	echo "demo: curl through the bridge failed; the bridge and the" \
	    "server said:" >&2
	cat bridge.err >&2
	tail -n 20 "${SOCKD_LOG}" >&2
	exit 1
fi
echo "sockd authenticated the bridge's session (auth-ok):"
grep 'event=auth-ok' "${SOCKD_LOG}" | sed "1,${NAUTH}d" >auth.new
sed 's/^/    /' auth.new
if [ "$(wc -l <auth.new)" -ne 1 ] ||
    ! grep -q 'principal=alice@SOCKD\.TEST level=confidentiality$' auth.new
then
	echo "demo: no auth-ok line at confidentiality for the bridge" >&2
	exit 1
fi

step "done; stopping sockd and the KDC"
exit 0

#! /usr/bin/env atf-sh
#
# Foundation: socksmethod none, the CONNECT command and the rules, seen
# from outside.  Each case starts the real daemon (parent, front end,
# authd, relays) on 127.0.0.1 and ::1 with its own sockd.conf and drives
# it with curl, with tests/tools/rawsock byte by byte, and with the
# servers in tests/tools as targets.  After every refused or malformed
# session the same daemon must still serve a good one.

. "$(atf_get_srcdir)/../lib/sockd.subr"
. "$(atf_get_srcdir)/../lib/realm.subr"

# The greeting and the method reply of a session at method none.
GREET="05 01 00"
NOAUTH="05 00"
# 127.0.0.1 and ::1 as SOCKS address fields.
LO4="7f000001"
LO6="00000000000000000000000000000001"

need_tools()
{
	local t

	for t in echod httpd rawsock pattern freeport; do
		[ -x "${TOOLS}/${t}" ] ||
		    atf_fail "${TOOLS}/${t} is not built (make build)"
	done
	[ -x "${SOCKD}" ] || atf_fail "${SOCKD} is not built"
}

hexport()
{
	printf '%04x' "$1"
}

hexstr()
{
	printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'
}

# The length octet and the name of an ATYP 03 address.
hexname()
{
	printf '%02x%s' "${#1}" "$(hexstr "$1")"
}

# conf_head PORT [LINE ...]: the global part every configuration here
# shares, with extra internal: lines.  The internal: lines come first
# because sockd.conf cannot have a rule right after "internal: ... port
# = N" (config_test.sh:internal_before_rules).
conf_head()
{
	echo "# Written by none_test.sh."
	echo "internal: 127.0.0.1 port = $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@"
	cat <<EOF
logoutput: stderr
socksmethod: none
user.privileged: root
user.unprivileged: nobody
EOF
}

# wait_log ERE [SECONDS]: true once the daemon's log has a matching
# line; false after SECONDS (default 10) or once the daemon is gone.
wait_log()
{
	local i=0 max=$((${2:-10} * 10))

	while ! grep -E -q -e "$1" "${SOCKD_LOG}" 2>/dev/null; do
		if [ "${i}" -ge "${max}" ]; then
			echo "wait_log: no line matching '$1' in" \
			    "${SOCKD_LOG} after ${2:-10} s" >&2
			return 1
		fi
		if ! proc_alive "$(bg_pid sockd)"; then
			echo "wait_log: sockd died; no '$1'" >&2
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 0
}

# sockd_up CONF PORT [ARG ...]: start the daemon and wait until the
# parent says every child is ready, so that the children have dropped
# their privileges and the front end accepts.
sockd_up()
{
	sockd_start "$@" || atf_fail "sockd did not start"
	wait_log "parent: ready" 10 || {
		tail -n 20 "${SOCKD_LOG}" >&2
		atf_fail "sockd did not get ready"
	}
}

# A file of a few MB to fetch, served on 127.0.0.1 as WEB.
web_setup()
{
	mkdir -p www
	"${TOOLS}/pattern" gen 3M 11 >www/blob || atf_fail "pattern gen"
	httpd_start web "$(pwd -P)/www" -t 200 || atf_fail "httpd"
	WEB=$(port_of web)
}

# fetch_ok [CURL-PROXY-ARGS URL]: one good session through the daemon,
# byte-exact; by default curl asks the proxy for localhost:WEB.
FETCHES=0
fetch_ok()
{
	local out

	FETCHES=$((FETCHES + 1))
	out=got.${FETCHES}
	if [ $# -eq 0 ]; then
		set -- --socks5-hostname "127.0.0.1:${PORT}" \
		    "http://localhost:${WEB}/blob"
	fi
	atf_check curl -sS --max-time 20 --noproxy "" -o "${out}" "$@"
	atf_check cmp www/blob "${out}"
	rm -f "${out}"
}

# rs STEP ...: rawsock to the daemon's 127.0.0.1 listener; all must pass.
rs()
{
	atf_check "${TOOLS}/rawsock" -t 5 127.0.0.1 "${PORT}" "$@"
}

# rs_refused REQUEST-HEX REP: the request is answered with REP, a
# 10-octet reply (BND 0.0.0.0:0), and the connection is closed.
rs_refused()
{
	rs send "${GREET}" expect "${NOAUTH}" send "$1" \
	    expect "05 $2 00 01" skip 6 expecteof
}

# The fields of the last session-end line for TARGET, one per line.
session_end()
{
	grep -E "event=session-end .* target=$1 " "${SOCKD_LOG}" | tail -n 1
}

field()
{
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

none_cleanup()
{
	sockd_stop
	bg_stop_all
}

atf_test_case curl_fetch cleanup
curl_fetch_head()
{
	atf_set descr "curl fetches a 3 MB file through the daemon at" \
	    "method none, by name (socks5h) and by address (socks5)"
	atf_set require.user root
	atf_set require.progs curl
}
curl_fetch_body()
{
	need_tools
	web_setup
	PORT=$(free_port) || atf_fail "free_port"
	{ conf_head "${PORT}"; cat <<EOF
client pass { from: 127.0.0.0/8 to: 0/0 }
socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 command: connect }
EOF
	} >sockd.conf
	sockd_up sockd.conf "${PORT}"

	atf_check curl -sS --max-time 20 --noproxy "" -o by-name \
	    --socks5-hostname "127.0.0.1:${PORT}" "http://localhost:${WEB}/blob"
	atf_check cmp www/blob by-name
	atf_check curl -sS --max-time 20 --noproxy "" -o by-addr \
	    --socks5 "127.0.0.1:${PORT}" "http://127.0.0.1:${WEB}/blob"
	atf_check cmp www/blob by-addr
	atf_check -o inline:"GET /blob 200\nGET /blob 200\n" cat web.out

	# Both sessions are in the log, the name as the client gave it.
	wait_log "session-end .* target=127\.0\.0\.1:${WEB} " ||
	    atf_fail "no session-end line for 127.0.0.1:${WEB}"
	wait_log "session-end .* target=localhost:${WEB} " ||
	    atf_fail "no session-end line for localhost:${WEB}"
	for t in "localhost:${WEB}" "127\.0\.0\.1:${WEB}"; do
		line=$(session_end "${t}")
		echo "${line}" | grep -E -q 'method=none .*command=connect' ||
		    atf_fail "unexpected audit line: ${line}"
		echo "${line}" | grep -q 'reason="closed"' ||
		    atf_fail "unexpected reason: ${line}"
		in=$(field bytes_in "${line}")
		[ "${in}" -gt 3145728 ] && [ "${in}" -lt 3150000 ] ||
		    atf_fail "bytes_in ${in} is not the file and its headers"
	done
}
curl_fetch_cleanup()
{
	none_cleanup
}

atf_test_case ipv6 cleanup
ipv6_head()
{
	atf_set descr "A listener on ::1: IPv6 and IPv4 targets, names and" \
	    "literals; an IPv6 target through the IPv4 listener"
	atf_set require.user root
	atf_set require.progs curl
}
ipv6_body()
{
	need_tools
	web_setup
	httpd_start web6 "$(pwd -P)/www" -6 -t 200 || atf_fail "httpd -6"
	WEB6=$(port_of web6)
	echod_start echo6 -6 -t 200 || atf_fail "echod -6"
	ECHO6=$(port_of echo6)
	PORT=$(free_port) || atf_fail "free_port"
	PORT6=$(free_port -6) || atf_fail "free_port -6"
	{ conf_head "${PORT}" "internal: ::1 port = ${PORT6}"; cat <<EOF
client pass { from: 127.0.0.0/8 to: 127.0.0.1/32 }
client pass { from: ::1/128 to: ::1/128 port = ${PORT6} }
socks pass { from: ::1/128 to: ::1/128 }
socks pass { from: ::1/128 to: 127.0.0.0/8 }
socks pass { from: 127.0.0.0/8 to: ::1/128 }
socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 }
EOF
	} >sockd.conf
	sockd_up sockd.conf "${PORT}"
	"${TOOLS}/freeport" -6 -c "${PORT6}" ||
	    atf_fail "nothing listens on [::1]:${PORT6}"

	# IPv6 all the way, the literal passed as a name and as ATYP 04.
	fetch_ok -x "socks5h://[::1]:${PORT6}" "http://[::1]:${WEB6}/blob"
	fetch_ok -x "socks5://[::1]:${PORT6}" "http://[::1]:${WEB6}/blob"
	# IPv4 targets through the IPv6 listener, by name and by address.
	fetch_ok -x "socks5h://[::1]:${PORT6}" "http://localhost:${WEB}/blob"
	fetch_ok -x "socks5://[::1]:${PORT6}" "http://127.0.0.1:${WEB}/blob"
	# An IPv6 target through the IPv4 listener.
	fetch_ok --socks5 "127.0.0.1:${PORT}" "http://[::1]:${WEB6}/blob"

	# ATYP 04 by hand: the reply's BND is the relay's ::1 address.
	atf_check "${TOOLS}/rawsock" -t 5 ::1 "${PORT6}" send "${GREET}" \
	    expect "${NOAUTH}" \
	    send "05 01 00 04 ${LO6} $(hexport "${ECHO6}")" \
	    expect "05 00 00 04 ${LO6}" skip 2 \
	    send "48 65 6c 6c 6f" expect "48 65 6c 6c 6f" \
	    echopattern 256K 6 shut expecteof

	wait_log "client=\[::1\]:[0-9]+ .*target=\[::1\]:${ECHO6} " ||
	    atf_fail "no audit line for the ATYP 04 session"
	atf_check -o match:"client=\[::1\]:[0-9]+ .*target=\[::1\]:${WEB6} " \
	    -o match:"client=\[::1\]:[0-9]+ .*target=127\.0\.0\.1:${WEB} " \
	    -o match:"client=\[::1\]:[0-9]+ .*target=localhost:${WEB} " \
	    -o match:"client=127\.0\.0\.1:[0-9]+ .*target=\[::1\]:${WEB6} " \
	    grep "event=session-end" "${SOCKD_LOG}"
}
ipv6_cleanup()
{
	none_cleanup
}

# The relays send what /etc/hosts does not answer to the name servers
# of resolv.conf.  A name that does not exist must not leave the
# machine, so this daemon runs in a mount namespace of its own where
# resolv.conf names 127.0.0.1 only.
sockd_private_resolver()
{
	local dir

	dir=$(pwd -P)
	echo "nameserver 127.0.0.1" >"${dir}/resolv.conf"
	cat >"${dir}/sockd-ns" <<EOF
#!/bin/sh
# sockd with a resolv.conf of its own: exec all the way, so that the
# pid bg_start records is the daemon's.
exec unshare -m sh -c 'mount --bind "\$0" /etc/resolv.conf && exec "\$@"' \\
    "${dir}/resolv.conf" "${SOCKD}" "\$@"
EOF
	chmod 755 "${dir}/sockd-ns"
	SOCKD=${dir}/sockd-ns
}

atf_test_case domain_names cleanup
domain_names_head()
{
	atf_set descr "ATYP 03: localhost is resolved by the relay from" \
	    "/etc/hosts; a name that does not exist gets reply 04"
	atf_set require.user root
	atf_set require.progs curl unshare mount
}
domain_names_body()
{
	need_tools
	grep -E -q '^[[:space:]]*127\.0\.0\.1[[:space:]].*\<localhost\>' \
	    /etc/hosts || atf_skip "/etc/hosts does not map localhost"
	web_setup
	echod_start echo -t 200 || atf_fail "echod"
	ECHO=$(port_of echo)
	PORT=$(free_port) || atf_fail "free_port"
	{ conf_head "${PORT}"; cat <<EOF
timeout.connect: 5
client pass { from: 127.0.0.0/8 to: 0/0 }
socks pass { from: 127.0.0.0/8 to: localhost }
socks pass { from: 127.0.0.0/8 to: .invalid }
socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 }
EOF
	} >sockd.conf
	sockd_private_resolver
	sockd_up sockd.conf "${PORT}"
	# The daemon really runs with the private resolv.conf.
	pid=$(bg_pid sockd)
	atf_check -o inline:"nameserver 127.0.0.1\n" cat \
	    "/proc/${pid}/root/etc/resolv.conf"

	rs send "${GREET}" expect "${NOAUTH}" \
	    send "05 01 00 03 $(hexname localhost) $(hexport "${ECHO}")" \
	    expect "05 00 00 01 ${LO4}" skip 2 \
	    send "6e 61 6d 65" expect "6e 61 6d 65" shut expecteof
	fetch_ok

	rs_refused "05 01 00 03 $(hexname nonexistent.invalid) 0050" 04
	fetch_ok
	rs_refused "05 01 00 03 $(hexname no-such-host.invalid) \
	    $(hexport "${WEB}")" 04
	fetch_ok

	wait_log "target=nonexistent\.invalid:80 .*reason=\"request refused\"" ||
	    atf_fail "no audit line for nonexistent.invalid"
	atf_check -o match:"cannot resolve nonexistent\.invalid:80" \
	    -o match:"target=localhost:${ECHO} bytes_out=4 bytes_in=4 " \
	    -o match:"target=localhost:${WEB} .*reason=\"closed\"" \
	    cat "${SOCKD_LOG}"
}
domain_names_cleanup()
{
	none_cleanup
}

atf_test_case bad_greetings cleanup
bad_greetings_head()
{
	atf_set descr "Malformed, foreign and stalled greetings are refused" \
	    "or timed out; the daemon serves on"
	atf_set require.user root
	atf_set require.progs curl
}
bad_greetings_body()
{
	need_tools
	web_setup
	echod_start echo -t 200 || atf_fail "echod"
	ECHO=$(port_of echo)
	PORT=$(free_port) || atf_fail "free_port"
	{ conf_head "${PORT}"; cat <<EOF
timeout.negotiate: 2
client pass { from: 127.0.0.0/8 to: 0/0 }
socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 }
EOF
	} >sockd.conf
	sockd_up sockd.conf "${PORT}"
	fetch_ok

	# A SOCKS 4 request: no SOCKS 5 answer, only the close.
	rs send "04 01 00 50 ${LO4} 00" expecteof
	fetch_ok
	# NMETHODS 0 offers nothing that could be chosen.
	rs send "05 00" expecteof
	fetch_ok
	# Only methods we do not do: "no acceptable methods", then close.
	rs send "05 01 02" expect "05 ff" expecteof
	fetch_ok
	rs send "05 03 02 03 80" expect "05 ff" expecteof
	fetch_ok
	# gssapi is not configured here, so offering it too picks none.
	rs send "05 02 01 00" expect "05 00" \
	    send "05 01 00 01 ${LO4} $(hexport "${ECHO}")" \
	    expect "05 00 00 01 ${LO4}" skip 2 send "ca fe" expect "ca fe" \
	    shut expecteof
	fetch_ok
	# Garbage: an HTTP request, and a TLS ClientHello's first bytes.
	rs send "$(hexstr "GET / HTTP/1.0")0d0a0d0a" expecteof
	fetch_ok
	rs send "16 03 01 02 00 01 00 01 fc 03 03" expecteof
	fetch_ok
	rs sendfill 100000 ff expecteof
	fetch_ok

	# timeout.negotiate ends negotiations, not established sessions.
	rs send "${GREET}" expect "${NOAUTH}" \
	    send "05 01 00 01 ${LO4} $(hexport "${ECHO}")" skip 10 \
	    sleep 3000 send "aa 55" expect "aa 55" shut expecteof
	fetch_ok

	# Half a greeting, then nothing: closed after timeout.negotiate.
	for half in "05" "05 02 00"; do
		t0=$(now_ms)
		atf_check "${TOOLS}/rawsock" -t 10 127.0.0.1 "${PORT}" \
		    send "${half}" expecteof
		t=$(($(now_ms) - t0))
		[ "${t}" -ge 1500 ] && [ "${t}" -le 6000 ] ||
		    atf_fail "'${half}' closed after ${t} ms, not ~2 s"
		fetch_ok
	done
	# A greeting and half a request: the relay times out the same way.
	t0=$(now_ms)
	atf_check "${TOOLS}/rawsock" -t 10 127.0.0.1 "${PORT}" \
	    send "${GREET}" expect "${NOAUTH}" send "05 01 00 01 7f" \
	    expecteof
	t=$(($(now_ms) - t0))
	[ "${t}" -ge 1500 ] && [ "${t}" -le 6000 ] ||
	    atf_fail "half a request closed after ${t} ms, not ~2 s"
	fetch_ok

	atf_check -o match:"negotiate-fail .*malformed method greeting" \
	    -o match:"negotiate-fail .*no acceptable method offered" \
	    -o match:"negotiate-fail .*timeout\.negotiate \(2 s\) expired" \
	    -o match:"session-end .*timeout\.negotiate expired before the request" \
	    cat "${SOCKD_LOG}"
	# One failure line per refused greeting: 5 malformed, 2 refused.
	atf_check -o inline:"5\n" grep -c \
	    "negotiate-fail .*malformed method greeting" "${SOCKD_LOG}"
	atf_check -o inline:"2\n" grep -c \
	    "negotiate-fail .*no acceptable method offered" "${SOCKD_LOG}"
	atf_check -o inline:"2\n" grep -c \
	    "negotiate-fail .*timeout\.negotiate (2 s) expired" "${SOCKD_LOG}"
}
bad_greetings_cleanup()
{
	none_cleanup
}

atf_test_case rules cleanup
rules_head()
{
	atf_set descr "client block closes without a word; socks block and" \
	    "no matching socks rule answer 02; the first match wins"
	atf_set require.user root
	atf_set require.progs curl
}
rules_body()
{
	need_tools
	web_setup
	echod_start echo -v -t 200 || atf_fail "echod"
	ECHO=$(port_of echo)
	echod_start echo2 -v -t 200 || atf_fail "echod"
	ECHO2=$(port_of echo2)
	echod_start echo6 -6 -v -t 200 || atf_fail "echod -6"
	ECHO6=$(port_of echo6)
	CLOSED=$(free_port) || atf_fail "free_port"
	PORT=$(free_port) || atf_fail "free_port"
	PORT2=$(free_port) || atf_fail "free_port"
	{ conf_head "${PORT}" "internal: 127.0.0.1 port = ${PORT2}"; cat <<EOF
client block { from: 0/0 to: 127.0.0.1/32 port = ${PORT2} }
client pass { from: 127.0.0.0/8 to: 0/0 }
socks pass { from: 127.0.0.0/8 to: 127.0.0.1/32 port = ${WEB} }
socks block { from: 0/0 to: 127.0.0.1/32 port = ${ECHO} log: connect }
socks pass { from: 0/0 to: 127.0.0.1/32 port = ${ECHO} }
socks pass { from: 127.0.0.0/8 to: 127.0.0.1/32 port = ${ECHO2} }
socks block { from: 0/0 to: 127.0.0.0/8 }
socks pass { from: 0/0 to: 127.0.0.0/8 }
EOF
	} >sockd.conf
	sockd_up sockd.conf "${PORT}"
	fetch_ok

	# The second listener's clients are blocked: no reply at all.
	atf_check "${TOOLS}/rawsock" -t 5 127.0.0.1 "${PORT2}" expecteof
	atf_check "${TOOLS}/rawsock" -t 5 127.0.0.1 "${PORT2}" \
	    send "${GREET}" expecteof
	fetch_ok
	# A block before a pass for the same target: the block wins.
	rs_refused "05 01 00 01 ${LO4} $(hexport "${ECHO}")" 02
	fetch_ok
	# A pass before a block that covers it too: the pass wins ...
	rs send "${GREET}" expect "${NOAUTH}" \
	    send "05 01 00 01 ${LO4} $(hexport "${ECHO2}")" \
	    expect "05 00 00 01 ${LO4}" skip 2 send "01 02 03" \
	    expect "01 02 03" shut expecteof
	# ... and the block takes the rest of 127/8, by name too, even
	# where a later rule would pass it.
	rs_refused "05 01 00 01 7f000005 $(hexport "${ECHO2}")" 02
	rs_refused "05 01 00 01 ${LO4} $(hexport "${CLOSED}")" 02
	rs_refused "05 01 00 03 $(hexname localhost) $(hexport "${ECHO}")" 02
	fetch_ok
	# No socks rule for ::1 at all: blocked as well.
	rs_refused "05 01 00 04 ${LO6} $(hexport "${ECHO6}")" 02
	fetch_ok

	wait_log "request-block .*target=\[::1\]:${ECHO6} " ||
	    atf_fail "no request-block line for [::1]:${ECHO6}"
	l_cblock=$(grep -n "^client block" sockd.conf | cut -d: -f1)
	l_echo=$(grep -n "^socks block .*port = ${ECHO} " sockd.conf |
	    cut -d: -f1)
	l_net=$(grep -n "^socks block { from: 0/0 to: 127.0.0.0/8 }" \
	    sockd.conf | cut -d: -f1)
	# Each refusal names the rule, with its file and line.
	cb="front: event=client-block .*client=127\.0\.0\.1:[0-9]+"
	rb="request-block .*target"
	sb="rule=\"socks block rule"
	conf="[^\"]*sockd\.conf"
	atf_check \
	    -o match:"${cb} rule=\"client block rule #1 \(${conf}:${l_cblock}\)\"" \
	    -o match:"${rb}=127\.0\.0\.1:${ECHO} ${sb} #2 \(${conf}:${l_echo}\)\"" \
	    -o match:"${rb}=127\.0\.0\.5:${ECHO2} ${sb} #5 \(${conf}:${l_net}\)\"" \
	    -o match:"${rb}=localhost:${ECHO} rule=\"socks block rule #2 " \
	    -o match:"${rb}=\[::1\]:${ECHO6} rule=\"no socks rule matches\"" \
	    -o not-match:"target=127\.0\.0\.1:${ECHO} .*reason=\"closed\"" \
	    cat "${SOCKD_LOG}"
	atf_check -o inline:"2\n" grep -c "event=client-block" "${SOCKD_LOG}"
	# Nothing reached the blocked targets; the passed one saw one.
	atf_check -o not-match:"connection from" cat echo.err echo6.err
	atf_check -o inline:"1\n" grep -c "connection from" echo2.err
}
rules_cleanup()
{
	none_cleanup
}

atf_test_case request_errors cleanup
request_errors_head()
{
	atf_set descr "A refused target gets 05, unknown commands 07, an" \
	    "unknown address type 08; BIND gets 02 where the rule allows" \
	    "only connect; BIND and UDP ASSOCIATE get 07 where sockd -v" \
	    "does not list them"
	atf_set require.user root
	atf_set require.progs curl
}

# feature WORD: true if "sockd -v" lists WORD among its features.
feature()
{
	"${SOCKD}" -v | sed -n 's/^features: //p' |
	    grep -E -q "(^|[ ,])$1([ ,]|\$)"
}

request_errors_body()
{
	need_tools
	web_setup
	CLOSED=$(free_port) || atf_fail "free_port"
	PORT=$(free_port) || atf_fail "free_port"
	{ conf_head "${PORT}"; cat <<EOF
client pass { from: 127.0.0.0/8 to: 0/0 }
socks pass { from: 127.0.0.0/8 to: 127.0.0.1/32 command: connect }
socks pass { from: 127.0.0.0/8 to: 127.0.0.2/32 }
EOF
	} >sockd.conf
	sockd_up sockd.conf "${PORT}"
	fetch_ok

	port_listening "${CLOSED}" && atf_fail "port ${CLOSED} is not closed"
	rs_refused "05 01 00 01 ${LO4} $(hexport "${CLOSED}")" 05
	fetch_ok
	rs_refused "05 01 00 03 $(hexname localhost) $(hexport "${CLOSED}")" 05
	fetch_ok
	# Commands that do not exist, whatever the rules say.
	for cmd in 09 00 ff; do
		rs_refused "05 ${cmd} 00 01 ${LO4} $(hexport "${WEB}")" 07
		fetch_ok
	done
	# Address types that do not exist.
	for atyp in 05 00 02; do
		rs_refused "05 01 00 ${atyp} ${LO4} $(hexport "${WEB}")" 08
		fetch_ok
	done
	# The rule for 127.0.0.1 allows connect only.  (UDP ASSOCIATE is
	# judged per datagram, so only BIND can be refused here.)
	rs_refused "05 02 00 01 ${LO4} $(hexport "${WEB}")" 02
	fetch_ok
	# The one for 127.0.0.2 allows every command: a command sockd
	# does not do yet is refused as unsupported (with it, the BIND
	# and UDP tests take over).
	if ! feature bind; then
		rs_refused "05 02 00 01 7f000002 $(hexport "${WEB}")" 07
		fetch_ok
		atf_check -o match:"command=bind target=127\.0\.0\.2:${WEB} " \
		    cat "${SOCKD_LOG}"
	fi
	if ! feature udpassociate; then
		rs_refused "05 03 00 01 7f000002 $(hexport "${WEB}")" 07
		fetch_ok
		atf_check \
		    -o match:"command=udpassociate target=127\.0\.0\.2:${WEB} " \
		    cat "${SOCKD_LOG}"
	fi

	sess="session [0-9a-f]{16}"
	atf_check -o match:"${sess}: 127\.0\.0\.1:${CLOSED}: connection refused" \
	    -o match:"${sess}: localhost:${CLOSED}: connection refused" \
	    -o match:"command=bind target=127\.0\.0\.1:${WEB} rule=\"no socks" \
	    -o match:"request: address type not supported" \
	    -o match:"request: command not supported" \
	    cat "${SOCKD_LOG}"
	# Only the fetches reached the web server.
	atf_check -o match:"^GET /blob 200\$" -o not-match:"^[^G]" \
	    cat web.out
	atf_check -o inline:"${FETCHES}\n" grep -c "" web.out
}
request_errors_cleanup()
{
	none_cleanup
}

atf_test_case half_close cleanup
half_close_head()
{
	atf_set descr "Half-close both ways: the echo after the client's" \
	    "shutdown, a source after it, a sink's count"
	atf_set require.user root
	atf_set require.progs curl
}
half_close_body()
{
	need_tools
	web_setup
	echod_start echo -t 200 || atf_fail "echod"
	echod_start sink -t 200 sink || atf_fail "echod sink"
	echod_start src -t 200 source 300000 7 || atf_fail "echod source"
	PORT=$(free_port) || atf_fail "free_port"
	{ conf_head "${PORT}"; cat <<EOF
client pass { from: 127.0.0.0/8 to: 0/0 }
socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 }
EOF
	} >sockd.conf
	sockd_up sockd.conf "${PORT}"
	req_echo="05 01 00 01 ${LO4} $(hexport "$(port_of echo)")"

	# All of it is sent and our side shut before the first byte is
	# read back: the echo must still arrive in full, then the close.
	rs send "${GREET}" expect "${NOAUTH}" send "${req_echo}" \
	    expect "05 00 00 01 ${LO4}" skip 2 sendfill 200000 5a shut \
	    skip 199999 expect 5a expecteof
	# Data right behind the request, in the same write.
	rs send "${GREET}" expect "${NOAUTH}" \
	    send "${req_echo} 01 02 03 04" expect "05 00 00 01 ${LO4}" \
	    skip 2 expect "01 02 03 04" shut expecteof
	# Both ways at once, 2 MB.
	rs send "${GREET}" expect "${NOAUTH}" send "${req_echo}" \
	    skip 10 echopattern 2M 5 shut expecteof
	# The client shuts at once; the target keeps sending.
	rs send "${GREET}" expect "${NOAUTH}" \
	    send "05 01 00 01 ${LO4} $(hexport "$(port_of src)")" shut \
	    skip 10 expectpattern 300000 7 expecteof
	# The target sees the end of the client's data after all of it.
	rs send "${GREET}" expect "${NOAUTH}" \
	    send "05 01 00 01 ${LO4} $(hexport "$(port_of sink)")" skip 10 \
	    sendfill 123456 00 shut expecteof
	fetch_ok
	i=0
	while [ "$(cat sink.out)" != 123456 ] && [ "${i}" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	atf_check -o inline:"123456\n" cat sink.out
}
half_close_cleanup()
{
	none_cleanup
}

atf_test_case audit_lines cleanup
audit_lines_head()
{
	atf_set descr "session-end lines carry the client, the target and" \
	    "the bytes each way"
	atf_set require.user root
}
audit_lines_body()
{
	need_tools
	echod_start echo -t 200 || atf_fail "echod"
	echod_start sink -t 200 sink || atf_fail "echod sink"
	echod_start src -t 200 source 300000 3 || atf_fail "echod source"
	ECHO=$(port_of echo)
	SINK=$(port_of sink)
	SRC=$(port_of src)
	PORT=$(free_port) || atf_fail "free_port"
	PORT6=$(free_port -6) || atf_fail "free_port -6"
	{ conf_head "${PORT}" "internal: ::1 port = ${PORT6}"; cat <<EOF
client pass { from: 127.0.0.0/8 to: 0/0 }
client pass { from: ::1/128 to: ::/0 }
socks pass { from: 0/0 to: 127.0.0.0/8 }
EOF
	} >sockd.conf
	sockd_up sockd.conf "${PORT}"

	rs send "${GREET}" expect "${NOAUTH}" \
	    send "05 01 00 01 ${LO4} $(hexport "${ECHO}")" skip 10 \
	    sendfill 100000 41 shut skip 100000 expecteof
	rs send "${GREET}" expect "${NOAUTH}" \
	    send "05 01 00 01 ${LO4} $(hexport "${SINK}")" skip 10 \
	    sendfill 77777 42 shut expecteof
	atf_check "${TOOLS}/rawsock" -t 5 ::1 "${PORT6}" send "${GREET}" \
	    expect "${NOAUTH}" \
	    send "05 01 00 03 $(hexname localhost) $(hexport "${SRC}")" \
	    skip 10 shut expectpattern 300000 3 expecteof

	wait_log "target=127\.0\.0\.1:${ECHO} " || atf_fail "no echo line"
	wait_log "target=127\.0\.0\.1:${SINK} " || atf_fail "no sink line"
	wait_log "target=localhost:${SRC} " || atf_fail "no source line"
	# The whole line, field by field.
	re="^relay [0-9]+: event=session-end sid=[0-9a-f]{16}"
	c4="client=127\.0\.0\.1:[0-9]+"
	c6="client=\[::1\]:[0-9]+"
	none="principal=- method=none level=- protect=- command=connect"
	end="duration=[0-9]+\.[0-9]{3} reason=\"closed\"\$"
	l4="${re} ${c4} ${none} target=127\.0\.0\.1"
	l6="${re} ${c6} ${none} target=localhost"
	atf_check \
	    -o match:"${l4}:${ECHO} bytes_out=100000 bytes_in=100000 ${end}" \
	    -o match:"${l4}:${SINK} bytes_out=77777 bytes_in=0 ${end}" \
	    -o match:"${l6}:${SRC} bytes_out=0 bytes_in=300000 ${end}" \
	    cat "${SOCKD_LOG}"
	# One line per session, and each session's sid is its own.
	atf_check -o inline:"3\n" grep -c "event=session-end" "${SOCKD_LOG}"
	atf_check -o inline:"3\n" sh -c "grep 'event=session-end' \
	    '${SOCKD_LOG}' | sed 's/.* sid=\([0-9a-f]*\) .*/\1/' | sort -u |
	    wc -l"
}
audit_lines_cleanup()
{
	none_cleanup
}

atf_test_case processes cleanup
processes_head()
{
	atf_set descr "The parent runs as root; the front end, authd and" \
	    "3 relays as the unprivileged user, chrooted; sockd links no" \
	    "GSS-API"
	atf_set require.user root
	atf_set require.progs curl ldd
}
processes_body()
{
	need_tools
	web_setup
	PORT=$(free_port) || atf_fail "free_port"
	{ conf_head "${PORT}"; cat <<EOF
client pass { from: 127.0.0.0/8 to: 0/0 }
socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 }
EOF
	} >sockd.conf
	sockd_up sockd.conf "${PORT}" -N 3
	fetch_ok
	pid=$(bg_pid sockd)
	nobody=$(id -u nobody) || atf_fail "no user nobody"
	gnobody=$(id -g nobody) || atf_fail "no group for nobody"

	atf_check -o match:"^root +[^ ]*sockd/sockd -d 1 -f sockd\.conf -N 3\$" \
	    ps -o user=,args= -p "${pid}"
	ps -o pid=,user=,ruid=,euid=,suid=,args= --ppid "${pid}" >kids ||
	    atf_fail "ps"
	cat kids
	atf_check -o inline:"5\n" grep -c "" kids
	# User name, real, effective and saved uid: nobody throughout.
	who="^ *[0-9]+ +nobody +${nobody} +${nobody} +${nobody}"
	atf_check -o inline:"1\n" grep -c -E "${who} +sockd -P front( |\$)" kids
	atf_check -o inline:"1\n" grep -c -E "${who} +sockd-auth( |\$)" kids
	atf_check -o inline:"3\n" grep -c -E \
	    "${who} +sockd-relay -I [0-2]( |\$)" kids
	# Every child is locked in the empty directory.
	for k in $(awk '{ print $1 }' kids); do
		atf_check -o inline:"/var/empty\n" readlink "/proc/${k}/root"
		atf_check -o match:"^Groups:[[:space:]]*(${gnobody})?[[:space:]]*\$" \
		    grep "^Groups:" "/proc/${k}/status"
	done

	# The front end parses client bytes: no Kerberos in it.
	atf_check -o not-match:"gssapi|krb5|heimdal" -o match:"libevent" \
	    ldd "${SOCKD}"
	# The check means something: authd and the relays do link it.
	atf_check -o match:"libgssapi" ldd "${TOP}/authd/sockd-auth"
	atf_check -o match:"libgssapi" ldd "${TOP}/relayd/sockd-relay"
}
processes_cleanup()
{
	none_cleanup
}

atf_test_case relay_killed cleanup
relay_killed_head()
{
	atf_set descr "A relay killed with SIGKILL is logged by the parent" \
	    "and the other relays serve on"
	atf_set require.user root
	atf_set require.progs curl
}
relay_killed_body()
{
	need_tools
	web_setup
	PORT=$(free_port) || atf_fail "free_port"
	{ conf_head "${PORT}"; cat <<EOF
client pass { from: 127.0.0.0/8 to: 0/0 }
socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 }
EOF
	} >sockd.conf
	sockd_up sockd.conf "${PORT}" -N 3
	pid=$(bg_pid sockd)
	fetch_ok

	victim=$(ps -o pid=,args= --ppid "${pid}" |
	    awk '$2 == "sockd-relay" && $4 == "1" { print $1 }')
	[ -n "${victim}" ] || atf_fail "no relay 1 among the children"
	kill -KILL "${victim}"
	wait_log "parent: relay 1 \(pid ${victim}\) killed by signal 9" ||
	    atf_fail "the parent did not log the relay's death"
	wait_log "front: lost relay 1" || atf_fail "the front end kept relay 1"

	# Round robin over 3 relays: 6 sessions would meet relay 1 twice.
	for i in 1 2 3 4 5 6; do
		fetch_ok
	done
	proc_alive "${pid}" || atf_fail "the parent died"
	atf_check -o inline:"2\n" sh -c "ps -o args= --ppid ${pid} |
	    grep -c '^sockd-relay'"
	atf_check -o not-match:"^relay 1: event=session-end" \
	    sh -c "sed -n '/killed by signal 9/,\$p' '${SOCKD_LOG}'"
	atf_check -o inline:"6\n" sh -c "sed -n '/killed by signal 9/,\$p' \
	    '${SOCKD_LOG}' | grep -c -E '^relay [02]: event=session-end'"
}
relay_killed_cleanup()
{
	none_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case curl_fetch
	atf_add_test_case ipv6
	atf_add_test_case domain_names
	atf_add_test_case bad_greetings
	atf_add_test_case rules
	atf_add_test_case request_errors
	atf_add_test_case half_close
	atf_add_test_case audit_lines
	atf_add_test_case processes
	atf_add_test_case relay_killed
}

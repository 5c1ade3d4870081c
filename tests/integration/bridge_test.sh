#! /usr/bin/env atf-sh
#
# gsocks bridge and forward: the client as a plain SOCKS 5 server for
# programs that know no GSS-API, and as ssh -L.  The system's curl
# (plain SOCKS 5, method none) fetches a file from tests/tools/httpd
# through the bridge, then sockd with socksmethod gssapi, against a
# real Heimdal KDC on 127.0.0.1, with gsocks built against Heimdal and
# against MIT.  What the proxy refuses reaches curl as the proxy's reply
# code; what the bridge cannot do (no ticket, a level refused, no route
# in socks.conf) reaches it as a SOCKS failure; the bridge logs why and
# goes on serving.  BIND and UDP ASSOCIATE: bindudp_test.sh.

. "$(atf_get_srcdir)/../lib/sockd.subr"
. "$(atf_get_srcdir)/../lib/realm.subr"

# The file curl fetches.
DATA_SIZE=4M
DATA_BYTES=4194304
DATA_SEED=1928

need_tools()
{
	local t

	for t in echod httpd rawsock pattern freeport; do
		[ -e "${TOOLS}/${t}" ] ||
		    atf_fail "${TOOLS}/${t} is not built (make build)"
	done
	for t in "${SOCKD}" "${GSOCKS}" "${GSOCKS_MIT}"; do
		[ -x "${t}" ] || atf_fail "${t} is not built (make)"
	done
	command -v curl >/dev/null 2>&1 || atf_fail "curl is not installed"
}

# br_setup [ENCTYPE...]: a realm, httpd serving the data (WEB is its
# port) and sockd granting the levels given (default: every level)
# on PROXY.
br_setup()
{
	need_tools
	realm_setup "$(pwd -P)/realm" || atf_fail "realm_setup failed"
	mkdir -p www
	"${TOOLS}/pattern" gen "${DATA_SIZE}" "${DATA_SEED}" >www/data ||
	    atf_fail "pattern gen"
	echo "small" >www/small
	httpd_start web "$(pwd -P)/www" -t 170 || atf_fail "httpd did not start"
	WEB=$(port_of web)
	PROXY=$(free_port)
	sockd_conf "${PROXY}" "${1:-clear integrity confidentiality}" \
	    >sockd.conf
	sockd_start sockd.conf "${PROXY}" || atf_fail "sockd did not start"
}

br_cleanup()
{
	sockd_stop
	bg_stop_all
	realm_teardown "$(pwd -P)/realm"
}

# sockd_conf PORT LEVELS: gssapi on 127.0.0.1, loopback targets by
# address and as "localhost", the name curl sends.
sockd_conf()
{
	cat <<EOF
logoutput: stderr
internal: 127.0.0.1 port = $1
socksmethod: gssapi
user.privileged: root
user.unprivileged: nobody
gssapi.keytab: $(pwd -P)/realm/sockd.keytab
gssapi.servicename: rcmd/localhost
gssapi.enctype: $2
timeout.negotiate: 10

client pass {
	from: 127.0.0.0/8 to: 0/0
}
socks pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
	command: connect
	log: error connect disconnect
}
socks pass {
	from: 127.0.0.0/8 to: localhost
	command: connect
	log: error connect disconnect
}
EOF
}

# bridge_start NAME COMMAND...: a bridge command ("$GSOCKS bridge -p
# ...", perhaps after env) listening on a free port of 127.0.0.1, which
# NAME.port holds; waits until it listens.
bridge_start()
{
	local name=$1 port

	shift
	port=$(free_port)
	echo "${port}" >"${name}.port"
	bg_start "${name}" "$@" -b "127.0.0.1:${port}"
	wait_port "${port}" 10 "$(bg_pid "${name}")" || {
		cat "${name}.err"
		atf_fail "the bridge ${name} does not listen"
	}
}

bridge_alive()
{
	proc_alive "$(bg_pid "$1")" || {
		cat "$1.err"
		atf_fail "the bridge $1 is gone"
	}
}

# fetch BRIDGEPORT OUT [PATH]: curl through the bridge, as any program
# that speaks plain SOCKS 5 would, the name resolved by the proxy.
fetch()
{
	curl -sS --max-time 60 --socks5-hostname "127.0.0.1:$1" \
	    -o "$2" "http://localhost:${WEB}/${3:-data}"
}

# fetch_check STATUS STDERR BRIDGEPORT OUT [PATH]: fetch under atf_check,
# which wants a program, not a function.
fetch_check()
{
	atf_check -s "$1" -e "$2" curl -sS --max-time 60 \
	    --socks5-hostname "127.0.0.1:$3" -o "$4" \
	    "http://localhost:${WEB}/${5:-data}"
}

# fetch_ok BRIDGEPORT: the whole file, byte-exact.
fetch_ok()
{
	rm -f got
	fetch_check exit:0 empty "$1" got
	atf_check "${TOOLS}/pattern" check "${DATA_SIZE}" "${DATA_SEED}" <got
}

# last_auth PATTERN: sockd's most recent auth-ok line matches.
last_auth()
{
	atf_check -o match:"$1" \
	    -x "grep -E 'event=auth-ok' '${SOCKD_LOG}' | tail -n 1"
}

# auth_count N [PATTERN]: sockd logged N auth-ok lines (matching).
auth_count()
{
	atf_check -o match:"^$1\$" \
	    -x "grep 'event=auth-ok' '${SOCKD_LOG}' | grep -c -E '${2:-.}'"
}

# wait_ends N: until sockd has logged N session-end lines.  curl exits
# once it has the whole file, a moment before the bridge passes its EOF
# on and the proxy's session ends.
wait_ends()
{
	local i=0

	while [ "$(grep -c 'event=session-end' "${SOCKD_LOG}")" -lt "$1" ]
	do
		[ "${i}" -ge 100 ] && atf_fail "sockd did not log $1 ends"
		sleep 0.1
		i=$((i + 1))
	done
}

# last_end_ok LEVEL: the last session went to httpd at LEVEL, carried
# the request up and the file (and its headers) down.
last_end_ok()
{
	local line n want

	line=$(grep -E 'event=session-end' "${SOCKD_LOG}" | tail -n 1)
	want="method=gssapi level=$1 protect=[^ ]* command=connect"
	want="${want} target=localhost:${WEB} bytes_out=[1-9][0-9]* "
	want="${want}.*reason=\"closed\""
	echo "${line}" | grep -q -E "${want}" ||
	    atf_fail "unexpected session end: ${line}"
	n=$(echo "${line}" | sed -n 's/.* bytes_in=\([0-9]*\) .*/\1/p')
	[ "${n:-0}" -gt "${DATA_BYTES}" ] && [ "${n}" -lt $((DATA_BYTES + 400)) ] ||
	    atf_fail "bytes_in=${n}: not the file and its headers"
}

atf_test_case levels cleanup
levels_head()
{
	atf_set descr "curl fetches 4 MiB byte-exact through the bridge at" \
	    "each level, with gsocks and gsocks-mit as the bridge"
	atf_set require.user root
}
levels_body()
{
	local client level n=0

	br_setup
	for client in "${GSOCKS}" "${GSOCKS_MIT}"; do
		for level in clear integrity confidentiality; do
			n=$((n + 1))
			bridge_start br "${client}" bridge -s rcmd/localhost \
			    -l "${level}" -p "127.0.0.1:${PROXY}"
			fetch_ok "$(cat br.port)"
			last_auth "principal=alice@SOCKD\.TEST level=${level}\$"
			wait_ends "${n}"
			last_end_ok "${level}"
			bridge_alive br
			bg_stop br || atf_fail "the bridge ignored SIGTERM"
			# Nothing but its start and its end.
			atf_check -s exit:1 -o empty \
			    grep -v -E '(SOCKS 5 bridge on|exiting)' br.err
		done
	done
}
levels_cleanup()
{
	br_cleanup
}

atf_test_case concurrent cleanup
concurrent_head()
{
	atf_set descr "Eight curls at once through one bridge, each file" \
	    "byte-exact, at confidentiality"
	atf_set require.user root
}
concurrent_body()
{
	local bp i pids

	br_setup
	bridge_start br "${GSOCKS}" bridge -s rcmd/localhost \
	    -p "127.0.0.1:${PROXY}"
	bp=$(cat br.port)
	pids=
	for i in 1 2 3 4 5 6 7 8; do
		fetch "${bp}" "got.${i}" 2>"curl.${i}.err" &
		pids="${pids} $!"
	done
	for i in ${pids}; do
		wait "${i}" || atf_fail "a curl failed: $(cat curl.*.err)"
	done
	for i in 1 2 3 4 5 6 7 8; do
		atf_check "${TOOLS}/pattern" check "${DATA_SIZE}" \
		    "${DATA_SEED}" <"got.${i}"
	done
	auth_count 8 "level=confidentiality"
	bridge_alive br
	# and the bridge serves on once they are gone.
	fetch_ok "${bp}"

	# Two at a time (-c 2): the others wait in the listen queue.
	bridge_start two "${GSOCKS_MIT}" bridge -c 2 -s rcmd/localhost \
	    -p "127.0.0.1:${PROXY}"
	bp=$(cat two.port)
	pids=
	for i in 1 2 3 4 5; do
		fetch "${bp}" "got.${i}" 2>"curl.${i}.err" &
		pids="${pids} $!"
	done
	for i in ${pids}; do
		wait "${i}" || atf_fail "a curl failed: $(cat curl.*.err)"
	done
	for i in 1 2 3 4 5; do
		atf_check "${TOOLS}/pattern" check "${DATA_SIZE}" \
		    "${DATA_SEED}" <"got.${i}"
	done
	bridge_alive two
}
concurrent_cleanup()
{
	br_cleanup
}

atf_test_case forward cleanup
forward_head()
{
	atf_set descr "forward: curl to a local port reaches httpd through" \
	    "the proxy; both directions end with a half-close"
	atf_set require.user root
}
forward_body()
{
	local fp ep client want

	br_setup
	echod_start echo -t 170 || atf_fail "echod did not start"
	ep=$(port_of echo)
	for client in "${GSOCKS}" "${GSOCKS_MIT}"; do
		fp=$(free_port)
		bg_start fwd "${client}" forward -s rcmd/localhost \
		    -L "127.0.0.1:${fp}" -p "127.0.0.1:${PROXY}" \
		    "localhost:${WEB}"
		wait_port "${fp}" 10 "$(bg_pid fwd)" ||
		    atf_fail "forward does not listen"
		rm -f got
		atf_check curl -sS --max-time 60 -o got \
		    "http://127.0.0.1:${fp}/data"
		atf_check "${TOOLS}/pattern" check "${DATA_SIZE}" \
		    "${DATA_SEED}" <got
		bg_stop fwd || atf_fail "forward ignored SIGTERM"

		# 1 MiB out and back, then our EOF goes through and echod's
		# comes back once it has echoed everything.
		fp=$(free_port)
		bg_start fwdecho "${client}" forward -s rcmd/localhost \
		    -l integrity -L "${fp}" -p "127.0.0.1:${PROXY}" \
		    "127.0.0.1:${ep}"
		wait_port "${fp}" 10 "$(bg_pid fwdecho)" ||
		    atf_fail "forward does not listen"
		atf_check -s exit:0 "${TOOLS}/rawsock" -t 20 127.0.0.1 \
		    "${fp}" echopattern 1M 7 shut expecteof
		bg_stop fwdecho || atf_fail "forward ignored SIGTERM"
	done
	want="level=integrity protect=[^ ]* command=connect target=127\.0\.0\.1:${ep}"
	atf_check -o match:"${want} bytes_out=1048576 bytes_in=1048576 " \
	    -x "grep -E 'event=session-end' '${SOCKD_LOG}' | tail -n 1"
}
forward_cleanup()
{
	br_cleanup
}

atf_test_case refusals cleanup
refusals_head()
{
	atf_set descr "The proxy's refusals reach curl, and BIND and UDP" \
	    "ASSOCIATE clients, with its reply code; a method other than" \
	    "none gets 05 ff; the bridge serves on"
	atf_set require.user root
}
refusals_body()
{
	local bp closed

	br_setup
	bridge_start br "${GSOCKS}" bridge -s rcmd/localhost \
	    -p "127.0.0.1:${PROXY}"
	bp=$(cat br.port)

	# Nothing listens there: the proxy answers 05, and so do we.
	closed=$(free_port)
	atf_check -s exit:97 -e match:"SOCKS5.*\(5\)" curl -sS \
	    --max-time 30 --socks5-hostname "127.0.0.1:${bp}" \
	    "http://localhost:${closed}/"
	atf_check -o match:"the proxy did not connect to localhost:${closed}: " \
	    -o match:"connection refused by the destination host" cat br.err
	# Outside the server's rules: 02, passed on as it is.  Nothing
	# is sent to 192.0.2.1: sockd refuses before connecting.
	atf_check -s exit:97 -e match:"SOCKS5.*\(2\)" curl -sS \
	    --max-time 30 --socks5-hostname "127.0.0.1:${bp}" \
	    "http://192.0.2.1:${WEB}/"
	atf_check -o match:"192\.0\.2\.1:${WEB}: connection not allowed by the server's rules" \
	    cat br.err

	# BIND and UDP ASSOCIATE go upstream, where this sockd.conf allows
	# connect only: its 02 comes back.  (bindudp_test.sh has them
	# allowed.)
	atf_check -s exit:0 "${TOOLS}/rawsock" 127.0.0.1 "${bp}" \
	    send "05 01 00" expect "05 00" \
	    send "05 02 00 01 7f 00 00 01 00 50" \
	    expect "05 02 00 01 00 00 00 00 00 00" expecteof
	atf_check -s exit:0 "${TOOLS}/rawsock" 127.0.0.1 "${bp}" \
	    send "05 01 00" expect "05 00" \
	    send "05 03 00 01 00 00 00 00 00 00" \
	    expect "05 02 00 01 00 00 00 00 00 00" expecteof
	atf_check -o match:"the proxy did not listen \(BIND\) for 127\.0\.0\.1:80: connection not allowed by the server's rules" \
	    -o match:"the proxy did not relay UDP \(UDP ASSOCIATE\) from 127\.0\.0\.1:[0-9]+: connection not allowed by the server's rules" \
	    cat br.err
	# An unknown command, 07 too; greeting and request in one write.
	atf_check -s exit:0 "${TOOLS}/rawsock" 127.0.0.1 "${bp}" \
	    send "05 01 00 05 09 00 01 7f 00 00 01 00 50" expect "05 00" \
	    expect "05 07 00 01 00 00 00 00 00 00" expecteof
	# Username/password only: no acceptable method.
	atf_check -s exit:0 "${TOOLS}/rawsock" 127.0.0.1 "${bp}" \
	    send "05 01 02" expect "05 ff" expecteof
	atf_check -o match:"does not offer method none" cat br.err
	# Not SOCKS 5 at all.
	atf_check -s exit:0 "${TOOLS}/rawsock" 127.0.0.1 "${bp}" \
	    send "04 01 00 50 7f 00 00 01 00" expecteof

	bridge_alive br
	fetch_ok "${bp}"
	last_auth "level=confidentiality\$"
	# What the bridge forwarded reached the proxy: three CONNECTs, the
	# BIND and the UDP ASSOCIATE.
	auth_count 5
}
refusals_cleanup()
{
	br_cleanup
}

atf_test_case no_ticket cleanup
no_ticket_head()
{
	atf_set descr "Without a ticket the bridge logs 'run kinit' and curl" \
	    "gets a failure (01); a kinit while the bridge runs is used by" \
	    "the next session"
	atf_set require.user root
}
no_ticket_body()
{
	local client bp n

	br_setup
	realm_add_user realm carol || atf_fail "add carol"
	n=0
	for client in "${GSOCKS}" "${GSOCKS_MIT}"; do
		n=$((n + 1))
		rm -f realm/carol.cc
		bridge_start br env KRB5CCNAME="FILE:$(pwd -P)/realm/carol.cc" \
		    "${client}" bridge -s rcmd/localhost \
		    -p "127.0.0.1:${PROXY}"
		bp=$(cat br.port)
		fetch_check exit:97 match:"SOCKS5.*\(1\)" \
		    "${bp}" got small
		atf_check -o match:"session 1 \(127\.0\.0\.1:[0-9]+ to " \
		    -o match:"localhost:${WEB}\): no Kerberos ticket: run kinit" \
		    cat br.err
		fetch_check exit:97 match:"SOCKS5.*\(1\)" \
		    "${bp}" got small
		atf_check -o match:"session 2 .*: no Kerberos ticket: run kinit" \
		    cat br.err
		bridge_alive br

		realm_kinit realm carol || atf_fail "kinit carol"
		realm_env realm
		fetch_check exit:0 empty "${bp}" got small
		atf_check -o inline:"small\n" cat got
		last_auth "principal=carol@SOCKD\.TEST level=confidentiality\$"
		bg_stop br
	done
	auth_count 2
}
no_ticket_cleanup()
{
	br_cleanup
}

atf_test_case expired_ticket cleanup
expired_ticket_head()
{
	atf_set descr "An expired ticket: the bridge says so per session and" \
	    "curl gets 01; new tickets in the same cache serve the next one"
	atf_set require.user root
	atf_set timeout 90
}
expired_ticket_body()
{
	local bp cc

	br_setup
	realm_kinit_expired realm alice rcmd/localhost ||
	    atf_fail "realm_kinit_expired"
	cc=$(pwd -P)/realm/alice.expired.cc
	bridge_start br env KRB5CCNAME="FILE:${cc}" "${GSOCKS}" bridge \
	    -s rcmd/localhost -p "127.0.0.1:${PROXY}"
	bp=$(cat br.port)
	fetch_check exit:97 match:"SOCKS5.*\(1\)" "${bp}" got small
	atf_check -o match:"session 1 .*: your Kerberos ticket has expired: run kinit" \
	    cat br.err
	bridge_alive br

	realm_kinit realm alice || atf_fail "kinit alice"
	cp realm/alice.cc "${cc}" || atf_fail "cp"
	fetch_check exit:0 empty "${bp}" got small
	atf_check -o inline:"small\n" cat got
	auth_count 1
}
expired_ticket_cleanup()
{
	br_cleanup
}

atf_test_case level_refused cleanup
level_refused_head()
{
	atf_set descr "A level the server does not grant is refused: the" \
	    "bridge says so and curl gets 01; the level it grants works"
	atf_set require.user root
}
level_refused_body()
{
	local bp

	br_setup integrity
	bridge_start br "${GSOCKS}" bridge -s rcmd/localhost \
	    -p "127.0.0.1:${PROXY}"
	bp=$(cat br.port)
	fetch_check exit:97 match:"SOCKS5.*\(1\)" "${bp}" got small
	atf_check -o match:"the server refused protection level confidentiality" \
	    cat br.err
	bg_stop br

	# Clear only where the server's configuration allows it.
	bridge_start br "${GSOCKS_MIT}" bridge -s rcmd/localhost -l clear \
	    -p "127.0.0.1:${PROXY}"
	bp=$(cat br.port)
	fetch_check exit:97 match:"SOCKS5.*\(1\)" "${bp}" got small
	atf_check -o match:"the server refused protection level clear" \
	    cat br.err
	bg_stop br

	# Asking for integrity with integrity as the minimum: granted.
	bridge_start br "${GSOCKS}" bridge -s rcmd/localhost -l integrity \
	    -m integrity -p "127.0.0.1:${PROXY}"
	fetch_ok "$(cat br.port)"
	last_auth "level=integrity\$"
	auth_count 1
}
level_refused_cleanup()
{
	br_cleanup
}

atf_test_case routes cleanup
routes_head()
{
	atf_set descr "socks.conf routes choose the proxy per destination;" \
	    "no route is reply 02; a bad socks.conf names file and line"
	atf_set require.user root
}
routes_body()
{
	local bp dead

	br_setup
	dead=$(free_port)
	cat >socks.conf <<EOF
# Dante's client syntax.
debug: 0
resolveprotocol: fake

# A proxy that is not there, for another network: never taken here.
route {
	from: 0.0.0.0/0 to: 10.0.0.0/8 via: 127.0.0.1 port = ${dead}
	proxyprotocol: socks_v5
	method: gssapi
}
route {
	from: 127.0.0.0/8 to: localhost port = ${WEB}
	via: 127.0.0.1 port = ${PROXY}
	proxyprotocol: socks_v5
	method: gssapi
	gssapi.servicename: rcmd/localhost
	gssapi.enctype: integrity
	command: connect
}
route {
	from: 0.0.0.0/0 to: .localdomain port 1 - 1024 via: 127.0.0.1 port = ${PROXY}
	socksmethod: gssapi
	clientcompatibility: necgssapi
}
EOF
	bridge_start br "${GSOCKS}" bridge -f socks.conf
	bp=$(cat br.port)
	atf_check -o match:"socks\.conf:23: warning: clientcompatibility: necgssapi" \
	    cat br.err
	fetch_ok "${bp}"
	last_auth "level=integrity\$"

	# 127.0.0.1 is not "localhost": no route, refused here with 02.
	atf_check -s exit:97 -e match:"SOCKS5.*\(2\)" curl -sS \
	    --max-time 30 --socks5-hostname "127.0.0.1:${bp}" \
	    "http://127.0.0.1:${WEB}/small"
	atf_check -o match:"no route in socks\.conf for connect 127\.0\.0\.1:${WEB}" \
	    cat br.err
	auth_count 1
	bridge_alive br
	bg_stop br

	# The same routes for gsocks-mit, in forward mode.
	bp=$(free_port)
	bg_start fwd "${GSOCKS_MIT}" forward -f socks.conf -L "${bp}" \
	    "localhost:${WEB}"
	wait_port "${bp}" 10 "$(bg_pid fwd)" || atf_fail "no forward"
	atf_check -s exit:0 curl -sS --max-time 60 -o got \
	    "http://127.0.0.1:${bp}/small"
	atf_check -o inline:"small\n" cat got
	bg_stop fwd

	# Files gsocks refuses, with the reason, file and line.
	cat >bad1.conf <<EOF
route {
	from: 0/0 to: 0/0 via: direct
}
EOF
	atf_check -s exit:1 -e match:"bad1\.conf:2: via: direct is not supported" \
	    "${GSOCKS}" bridge -b "127.0.0.1:${bp}" -f bad1.conf
	cat >bad2.conf <<EOF
badroute.expire: 0
route {
	from: 0/0 to: 0/0
	via: 127.0.0.1 port = 1
}
EOF
	atf_check -s exit:1 \
	    -e match:"bad2\.conf:1: gsocks does not support 'badroute\.expire:'" \
	    "${GSOCKS}" bridge -b "127.0.0.1:${bp}" -f bad2.conf
	cat >bad3.conf <<EOF
route {
	from: 0/0 to: 0/0 via: 127.0.0.1
	proxyprotocol: socks_v4
	noidea: 1
}
EOF
	atf_check -s exit:1 -e match:"bad3\.conf:2: via: 127\.0\.0\.1 needs port = N" \
	    -e match:"bad3\.conf:3: proxyprotocol: gsocks speaks socks_v5 only" \
	    -e match:"bad3\.conf:4: unknown keyword 'noidea:'" \
	    "${GSOCKS}" bridge -b "127.0.0.1:${bp}" -f bad3.conf
	atf_check -s exit:1 -e match:"usage:" "${GSOCKS}" bridge \
	    -f socks.conf -p "127.0.0.1:${PROXY}"
}
routes_cleanup()
{
	br_cleanup
}

atf_test_case listen_warning cleanup
listen_warning_head()
{
	atf_set descr "A bridge on an address that is not loopback warns" \
	    "that whoever reaches it uses the user's Kerberos identity"
	atf_set require.user root
}
listen_warning_body()
{
	local port

	need_tools
	port=$(free_port)
	# Nothing connects to it: the warning is all this checks.
	bg_start wide "${GSOCKS}" bridge -b "0.0.0.0:${port}" -p 127.0.0.1:1
	wait_port "${port}" 10 "$(bg_pid wide)" || atf_fail "no bridge"
	bg_stop wide
	atf_check \
	    -o match:"warning: listening on 0\.0\.0\.0:${port}, which is not" \
	    -o match:"a loopback address: anyone who can reach it uses your" \
	    -o match:"Kerberos identity" cat wide.err
	port=$(free_port)
	bg_start narrow "${GSOCKS}" bridge -b "127.0.0.1:${port}" \
	    -p 127.0.0.1:1
	wait_port "${port}" 10 "$(bg_pid narrow)" || atf_fail "no bridge"
	bg_stop narrow
	atf_check -o not-match:"warning" cat narrow.err
	atf_check -s exit:1 -e match:"usage:" "${GSOCKS}" bridge
	atf_check -s exit:1 -e match:"usage:" "${GSOCKS}" forward \
	    -p 127.0.0.1:1 localhost:80
}
listen_warning_cleanup()
{
	bg_stop_all
}

atf_init_test_cases()
{
	atf_add_test_case levels
	atf_add_test_case concurrent
	atf_add_test_case forward
	atf_add_test_case refusals
	atf_add_test_case no_ticket
	atf_add_test_case expired_ticket
	atf_add_test_case level_refused
	atf_add_test_case routes
	atf_add_test_case listen_warning
}

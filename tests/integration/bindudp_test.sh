#! /usr/bin/env atf-sh
#
# BIND and UDP ASSOCIATE end to end: sockd against a real Heimdal KDC
# on 127.0.0.1, reached through gsocks bridge (plain SOCKS 5 on the local
# side, RFC 1961 upstream at each protection level), and at method none
# without the bridge.
#
# BIND: tests/tools/rawsock is the client: it reads the first reply (the
# address sockd listens on), sends a few bytes before any peer came, and
# a second program, "udpsocks peer", connects there and echoes; the
# second reply must name that peer, and the data goes both ways
# byte-exact.  UDP: "udpsocks assoc" associates through the bridge and
# echoes datagrams off "echod -u"; meanwhile the test sends sockd's relay
# what a well-behaved client never sends (a datagram from another
# socket, a token that does not verify, a frame whose length lies, a
# reply too large to wrap), and each must be dropped and counted while
# the association goes on.  sockd runs with -d 2 so that each drop is
# logged with its reason.

. "$(atf_get_srcdir)/../lib/sockd.subr"
. "$(atf_get_srcdir)/../lib/realm.subr"

GREET="05 01 00"
NOAUTH="05 00"
# BIND for any peer: ATYP 1, 0.0.0.0:0.
BINDREQ="05 02 00 01 00 00 00 00 00 00"
# A successful reply for a 127.0.0.1 address; its port follows.
OKLO4="05 00 00 01 7f 00 00 01"
# "hello", sent by the BIND client before its peer comes.
EARLY="68 65 6c 6c 6f"
# The largest UDP payload over IPv4.
UDPMAX=65507

need_tools()
{
	local t

	for t in echod rawsock freeport udpsocks; do
		[ -x "${TOOLS}/${t}" ] ||
		    atf_fail "${TOOLS}/${t} is not built (make build)"
	done
	for t in "${SOCKD}" "${GSOCKS}" "${GSOCKS_MIT}"; do
		[ -x "${t}" ] || atf_fail "${t} is not built (make)"
	done
}

# wait_grep FILE ERE [SECONDS]: true once FILE has a matching line.
wait_grep()
{
	local i=0 max=$((${3:-10} * 10))

	while ! grep -E -q -e "$2" "$1" 2>/dev/null; do
		if [ "${i}" -ge "${max}" ]; then
			echo "wait_grep: no '$2' in $1 after ${3:-10} s" >&2
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 0
}

# wait_log ERE: the daemon logged a matching line within 10 s.
wait_log()
{
	wait_grep "${SOCKD_LOG}" "$1" 10 || {
		tail -n 20 "${SOCKD_LOG}" >&2
		atf_fail "sockd did not log '$1'"
	}
}

# A file on one line, for a failure message.
oneline()
{
	tr '\n' ' ' <"$1"
}

# The value of field NAME of an audit line.
field()
{
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# "c2 79", as rawsock prints a port it read, in decimal.
hexport()
{
	printf '%d' "0x$(echo "$1" | tr -d ' ')"
}

# bu_conf PORT METHOD: sockd on 127.0.0.1, every command allowed between
# loopback addresses, timeout.connect short for the BIND that nobody
# joins.  BU_BLOCK holds rules that go before the pass rule, BU_IO the
# timeout.io.
bu_conf()
{
	cat <<EOF
logoutput: stderr
internal: 127.0.0.1 port = $1
socksmethod: $2
user.privileged: root
user.unprivileged: nobody
timeout.negotiate: 10
timeout.connect: 3
timeout.io: ${BU_IO:-60}
EOF
	[ "$2" = gssapi ] && cat <<EOF
gssapi.keytab: $(pwd -P)/realm/sockd.keytab
gssapi.servicename: rcmd/localhost
gssapi.enctype: clear integrity confidentiality
EOF
	cat <<EOF

client pass {
	from: 127.0.0.0/8 to: 0/0
}
${BU_BLOCK}
socks pass {
	from: 127.0.0.0/8 to: 0/0
	command: bind connect udpassociate bindreply udpreply
	log: error connect disconnect
}
EOF
}

# bu_setup [METHOD]: a realm for gssapi (the default), echod -u as the
# UDP target (UE is its port) and sockd on PROXY, logging at -d 2.
bu_setup()
{
	local method=${1:-gssapi}

	need_tools
	if [ "${method}" = gssapi ]; then
		realm_setup "$(pwd -P)/realm" || atf_fail "realm_setup failed"
	fi
	echod_start ue -u -v -t 170 || atf_fail "echod -u did not start"
	UE=$(port_of ue)
	PROXY=$(free_port)
	bu_conf "${PROXY}" "${method}" >sockd.conf
	sockd_start sockd.conf "${PROXY}" -d 2 || atf_fail "sockd did not start"
	wait_log "parent: ready"
}

bu_cleanup()
{
	sockd_stop
	bg_stop_all
	realm_teardown "$(pwd -P)/realm"
}

# bridge_start NAME LEVEL [CLIENT] [LISTEN-HOST]: gsocks bridge -v at
# LEVEL on a free port, which NAME.port holds.
bridge_start()
{
	local name=$1 level=$2 client=${3:-${GSOCKS}} host=${4:-127.0.0.1}
	local port six= i=0

	[ "${host}" = "[::1]" ] && six=-6
	port=$(free_port ${six})
	echo "${port}" >"${name}.port"
	bg_start "${name}" "${client}" bridge -v -s rcmd/localhost \
	    -l "${level}" -m "${level}" -p "127.0.0.1:${PROXY}" \
	    -b "${host}:${port}"
	while ! "${TOOLS}/freeport" ${six} -c "${port}"; do
		if [ "${i}" -ge 100 ] ||
		    ! proc_alive "$(bg_pid "${name}")"; then
			cat "${name}.err"
			atf_fail "the bridge ${name} does not listen"
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

bridge_alive()
{
	proc_alive "$(bg_pid "$1")" || {
		cat "$1.err"
		atf_fail "the bridge $1 is gone"
	}
}

# bind_run PORT SIZE SEED: BIND through the plain SOCKS 5 server on
# 127.0.0.1:PORT.  The client sends EARLY before any peer came; a peer
# connects to the address of the first reply and echoes; the second
# reply must name the peer, EARLY and SIZE bytes of the pattern must
# come back byte-exact.  Sets PEER, the peer's port.
bind_run()
{
	local pid second

	rm -f bind.out bind.err peer.out
	"${TOOLS}/rawsock" -t 20 127.0.0.1 "$1" send "${GREET}" \
	    expect "${NOAUTH}" send "${BINDREQ}" expect "${OKLO4}" read 2 \
	    send "${EARLY}" expect "${OKLO4}" read 2 expect "${EARLY}" \
	    echopattern "$2" "$3" shut expecteof >bind.out 2>bind.err &
	pid=$!
	wait_grep bind.out '^[0-9a-f]{2} [0-9a-f]{2}$' 10 ||
	    atf_fail "no first BIND reply: $(oneline bind.err)"
	atf_check -o save:peer.out "${TOOLS}/udpsocks" peer -t 20 \
	    127.0.0.1 "$(hexport "$(sed -n 1p bind.out)")"
	wait "${pid}" || atf_fail "the BIND client failed: $(oneline bind.err)"
	PEER=$(sed -n 's/^local 127\.0\.0\.1://p' peer.out)
	second=$(hexport "$(sed -n 2p bind.out)")
	[ -n "${PEER}" ] && [ "${second}" = "${PEER}" ] ||
	    atf_fail "the second reply names port ${second}, the peer is" \
	    "$(cat peer.out)"
}

# bind_end_ok METHOD LEVEL BYTES: sockd's session-end line for the BIND
# whose peer was PEER, BYTES each way.
bind_end_ok()
{
	local line want

	wait_log "event=session-end .* command=bind target=127\.0\.0\.1:${PEER} "
	line=$(grep -E "event=session-end .* target=127\.0\.0\.1:${PEER} " \
	    "${SOCKD_LOG}" | tail -n 1)
	want="method=$1 level=$2 protect=[^ ]* command=bind target=127\.0\.0\.1:${PEER} "
	want="${want}bytes_out=$3 bytes_in=$3 .*reason=\"closed\""
	echo "${line}" | grep -q -E "${want}" ||
	    atf_fail "unexpected session end: ${line}"
}

# assoc_start NAME PORT [-z] STEP...: udpsocks assoc to the plain SOCKS 5
# server on PORT in the background; NAME.relay gets the relay's port
# from its reply (the bridge's local socket, or sockd's relay).
assoc_start()
{
	local name=$1 port=$2 zflag=

	shift 2
	if [ "$1" = -z ]; then
		zflag=-z
		shift
	fi
	rm -f "${name}.out" "${name}.relay"
	bg_start "${name}" "${TOOLS}/udpsocks" assoc ${zflag} -t 10 \
	    127.0.0.1 "${port}" "$@"
	wait_grep "${name}.out" '^local ' 10 || {
		cat "${name}.err"
		atf_fail "the association ${name} did not start"
	}
	sed -n 's/^relay 127\.0\.0\.1://p' "${name}.out" >"${name}.relay"
}

# assoc_wait NAME: the association's steps all passed.
assoc_wait()
{
	local pid

	pid=$(bg_pid "$1")
	wait "${pid}" || atf_fail "udpsocks $1 failed: $(oneline "$1.err")"
	rm -f "$1.pid"
}

# assoc_bridge BRIDGE NAME: from the bridge's log, the association whose
# local socket NAME was given: UP (our socket toward sockd), RELAY
# (sockd's relay) and MAX (the largest datagram that goes upstream).
assoc_bridge()
{
	local line

	wait_grep "$1.err" "UDP association: local 127\.0\.0\.1:$(cat \
	    "$2.relay")," 10 || atf_fail "no association in $1's log"
	line=$(grep -E "UDP association: local 127\.0\.0\.1:$(cat \
	    "$2.relay")," "$1.err")
	UP=$(echo "${line}" | sed -n 's/.* upstream 127\.0\.0\.1:\([0-9]*\) .*/\1/p')
	RELAY=$(echo "${line}" |
	    sed -n 's/.* to the relay 127\.0\.0\.1:\([0-9]*\),.*/\1/p')
	MAX=$(echo "${line}" | sed -n 's/.* datagrams of up to \([0-9]*\) bytes$/\1/p')
	[ -n "${UP}" ] && [ -n "${RELAY}" ] && [ -n "${MAX}" ] ||
	    atf_fail "cannot read the association: ${line}"
}

# udp_end_line TARGET: sockd's session-end line of the association whose
# request named TARGET (the client's own UDP address).
udp_end_line()
{
	wait_log "event=session-end .* command=udpassociate target=$1 "
	UDPEND=$(grep -E "event=session-end .* command=udpassociate target=$1 " \
	    "${SOCKD_LOG}" | tail -n 1)
}

# udp_counts OUT IN DROPPED BYTES_OUT BYTES_IN: the counts of UDPEND.
# bytes_in, like datagrams_in, counts what reached the client.  A
# mismatch there is kept in BYTES_IN_BAD for the end of the case, so
# that the rest of the case still runs (see udp_bad).
udp_counts()
{
	local f v want

	for f in datagrams_out:$1 datagrams_in:$2 datagrams_dropped:$3 \
	    bytes_out:$4; do
		want=${f#*:}
		v=$(field "${f%%:*}" "${UDPEND}")
		[ "${v}" = "${want}" ] ||
		    atf_fail "${f%%:*}=${v}, not ${want}: ${UDPEND}"
	done
	v=$(field bytes_in "${UDPEND}")
	[ "${v}" = "$5" ] && return
	BYTES_IN_BAD="${BYTES_IN_BAD}${BYTES_IN_BAD:+; }bytes_in=${v}, not"
	BYTES_IN_BAD="${BYTES_IN_BAD} $5 (the datagrams delivered) in ${UDPEND}"
}

# Fail now for any bytes_in mismatch udp_counts kept.
bytes_in_check()
{
	[ -z "${BYTES_IN_BAD}" ] || atf_fail "${BYTES_IN_BAD}"
}

# relay_drops SID REASON N: sockd logged N drops for REASON in SID.
relay_drops()
{
	local n

	n=$(grep -c "session $1: datagram dropped: $2" "${SOCKD_LOG}")
	[ "${n}" -eq "$3" ] ||
	    atf_fail "${n} drops for '$2' in session $1, not $3"
}

# The relay's socket toward the targets: where echod's last datagram
# came from.
relay_target_port()
{
	grep 'bytes from 127\.0\.0\.1:' ue.err | tail -n 1 |
	    sed -n 's/.*from 127\.0\.0\.1:\([0-9]*\)$/\1/p'
}

atf_test_case bind_levels cleanup
bind_levels_head()
{
	atf_set descr "BIND through the bridge at each level, and with" \
	    "gsocks-mit: both replies reach the local client, the second" \
	    "names the peer, data flows both ways byte-exact"
	atf_set require.user root
}
bind_levels_body()
{
	local level client n=0

	bu_setup
	for client in "${GSOCKS}" "${GSOCKS_MIT}"; do
		for level in clear integrity confidentiality; do
			[ "${client}" = "${GSOCKS_MIT}" ] &&
			    [ "${level}" != confidentiality ] && continue
			n=$((n + 1))
			bridge_start br "${level}" "${client}"
			bind_run "$(cat br.port)" 256K "${n}"
			bind_end_ok gssapi "${level}" $((262144 + 5))
			atf_check -o match:"the proxy listens at 127\.0\.0\.1:" \
			    -o match:"the BIND peer 127\.0\.0\.1:${PEER} connected" \
			    -o match:"relaying at level ${level}" cat br.err
			bridge_alive br
			bg_stop br || atf_fail "the bridge ignored SIGTERM"
		done
	done
	atf_check -o match:"^${n}\$" -x \
	    "grep -c 'event=auth-ok .*principal=alice@SOCKD\.TEST' '${SOCKD_LOG}'"
}
bind_levels_cleanup()
{
	bu_cleanup
}

atf_test_case bind_refused cleanup
bind_refused_head()
{
	atf_set descr "A BIND nobody joins gets a failure second reply after" \
	    "timeout.connect; a bindreply block rule refuses the incoming" \
	    "connection, and the BIND then times out too"
	atf_set require.user root
}
bind_refused_body()
{
	local bp pid start ms port sid

	bu_setup
	bridge_start br confidentiality
	bp=$(cat br.port)

	# Nobody comes: 06 (TTL expired) after timeout.connect (3 s).
	start=$(date +%s%N)
	atf_check -o match:"^[0-9a-f]{2} [0-9a-f]{2}\$" "${TOOLS}/rawsock" \
	    -t 10 127.0.0.1 "${bp}" send "${GREET}" expect "${NOAUTH}" \
	    send "${BINDREQ}" expect "${OKLO4}" read 2 \
	    expect "05 06 00 01 00 00 00 00 00 00" expecteof
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "${ms}" -ge 2900 ] && [ "${ms}" -lt 8000 ] ||
	    atf_fail "the BIND ended after ${ms} ms, not timeout.connect"
	wait_log "BIND: no connection within timeout.connect"
	wait_log "event=session-end .* command=bind target=0\.0\.0\.0:0 "
	atf_check -o match:"BIND for 0\.0\.0\.0:0: no peer connected: " \
	    cat br.err
	bridge_alive br
	bind_run "${bp}" 10K 3
	bind_end_ok gssapi confidentiality $((10240 + 5))

	# The same with a rule that blocks every incoming connection.
	sockd_stop
	bg_stop br
	BU_BLOCK="socks block {
	from: 0/0 to: 0/0
	command: bindreply
	log: error connect
}"
	bu_conf "${PROXY}" gssapi >sockd.conf
	sockd_start sockd.conf "${PROXY}" -d 2 || atf_fail "sockd restart"
	wait_log "parent: ready"
	bridge_start br integrity
	bp=$(cat br.port)
	rm -f bind.out
	"${TOOLS}/rawsock" -t 10 127.0.0.1 "${bp}" send "${GREET}" \
	    expect "${NOAUTH}" send "${BINDREQ}" expect "${OKLO4}" read 2 \
	    expect "05 06 00 01 00 00 00 00 00 00" expecteof \
	    >bind.out 2>bind.err &
	pid=$!
	wait_grep bind.out '^[0-9a-f]{2} [0-9a-f]{2}$' 10 ||
	    atf_fail "no first BIND reply: $(oneline bind.err)"
	port=$(hexport "$(sed -n 1p bind.out)")
	# The peer is let in by the kernel and closed at once, unheard.
	atf_check "${TOOLS}/rawsock" -t 5 127.0.0.1 "${port}" \
	    send "41 42 43" expectclose-or ""
	wait "${pid}" || atf_fail "the blocked BIND: $(oneline bind.err)"
	wait_log "event=request-block .* command=bindreply \
target=127\.0\.0\.1:[0-9]+ rule=\"socks block rule #1"
	wait_log "BIND: connection from 127\.0\.0\.1:[0-9]+ refused"
	wait_log "event=session-end .* level=integrity protect=[^ ]* command=bind \
target=0\.0\.0\.0:0 "
	bridge_alive br
}
bind_refused_cleanup()
{
	bu_cleanup
}

# udp_round LEVEL BRIDGE: several associations through BRIDGE at LEVEL:
# datagrams of many sizes echoed byte-exact, to an address and to a
# name; the largest datagram that fits one token, and one byte more,
# which the bridge drops.
udp_round()
{
	local level=$1 br=$2 bp big sent bytes

	bp=$(cat "${br}.port")
	assoc_start a "${bp}" echo "127.0.0.1:${UE}" 3 100 \
	    echo "127.0.0.1:${UE}" 4 4K echo "localhost:${UE}" 2 1000 \
	    echo "127.0.0.1:${UE}" 1 1 close
	assoc_wait a
	assoc_bridge "${br}" a
	udp_end_line "127\.0\.0\.1:${UP}"
	udp_counts 10 10 0 $((300 + 16384 + 2000 + 1)) $((300 + 16384 + 2000 + 1))
	echo "${UDPEND}" | grep -q "method=gssapi level=${level} " ||
	    atf_fail "not at ${level}: ${UDPEND}"

	# The largest datagram: MAX with its 10-byte header.
	big=$((MAX - 10))
	if [ "${level}" = clear ]; then
		[ "${MAX}" -eq "${UDPMAX}" ] || atf_fail "MAX ${MAX} at clear"
		set --
		sent=1
	else
		[ "${MAX}" -gt 65000 ] && [ "${MAX}" -lt 65503 ] ||
		    atf_fail "MAX ${MAX} at ${level}"
		set -- send "127.0.0.1:${UE}" $((big + 1)) quiet 300
		sent=0
	fi
	assoc_start b "${bp}" echo "127.0.0.1:${UE}" 1 "${big}" "$@" \
	    echo "127.0.0.1:${UE}" 2 2K close
	assoc_wait b
	assoc_bridge "${br}" b
	udp_end_line "127\.0\.0\.1:${UP}"
	bytes=$((big + 4096))
	udp_counts 3 3 0 "${bytes}" "${bytes}"
	if [ "${sent}" -eq 0 ]; then
		atf_check -o match:"datagram dropped: $((MAX + 1)) bytes \
from the local client: too large for one GSS-API token \(${MAX} at most\)" \
		    -o match:"UDP association ended: 3 datagrams sent, \
3 received, 1 dropped" cat "${br}.err"
	fi
}

atf_test_case udp_levels cleanup
udp_levels_head()
{
	atf_set descr "UDP echo round trips through the bridge at each" \
	    "level, byte-exact, up to the largest datagram that fits one" \
	    "token; gsocks-mit; a bridge on ::1"
	atf_set require.user root
}
udp_levels_body()
{
	local level

	bu_setup
	for level in clear integrity confidentiality; do
		bridge_start br "${level}"
		udp_round "${level}" br
		bridge_alive br
		bg_stop br || atf_fail "the bridge ignored SIGTERM"
	done
	bridge_start mit confidentiality "${GSOCKS_MIT}"
	udp_round confidentiality mit
	bg_stop mit

	# A bridge on ::1: its datagram socket is there too.
	bridge_start six integrity "${GSOCKS}" "[::1]"
	bg_start a6 "${TOOLS}/udpsocks" assoc -t 10 ::1 "$(cat six.port)" \
	    echo "127.0.0.1:${UE}" 3 3000 echo "localhost:${UE}" 1 10 close
	wait "$(bg_pid a6)" || atf_fail "udpsocks over ::1: $(oneline a6.err)"
	atf_check -o match:"^relay \[::1\]:[0-9]+\$" cat a6.out
	atf_check -o match:"UDP association: local \[::1\]:[0-9]+, \
upstream 127\.0\.0\.1:" cat six.err
	bytes_in_check
}
udp_levels_cleanup()
{
	bu_cleanup
}

# udp_bad LEVEL: an association through a bridge at LEVEL goes on while
# sockd's relay is sent a datagram from another socket (spoofed), a
# token that does not verify and a frame whose length lies, both as
# if from the bridge's own socket (tampered), and a reply too large to
# wrap; and while the bridge is sent a datagram by a stranger.  Each is
# dropped and counted.
udp_bad()
{
	local level=$1 bp rtp sid tamper badlen

	rm -f go
	bridge_start br "${level}"
	bp=$(cat br.port)
	assoc_start a "${bp}" echo "127.0.0.1:${UE}" 3 1000 wait go \
	    stranger "127.0.0.1:${UE}" 10 echo "127.0.0.1:${UE}" 3 3000 \
	    echo "localhost:${UE}" 1 500 close
	assoc_bridge br a
	# Nothing about them passes for a datagram of the client's.
	tamper="01 03 00 10 de ad be ef de ad be ef de ad be ef de ad be ef"
	badlen="01 03 ff ff de ad be ef"
	atf_check "${TOOLS}/udpsocks" send 127.0.0.1 "${RELAY}" \
	    "01 03 00 04 de ad be ef"
	atf_check "${TOOLS}/udpsocks" send -s "${UP}" 127.0.0.1 "${RELAY}" \
	    "${tamper}"
	atf_check "${TOOLS}/udpsocks" send -s "${UP}" 127.0.0.1 "${RELAY}" \
	    "${badlen}"
	# A "reply" to the relay's target socket, too large to go back
	# with a header (and a token) in one datagram.
	rtp=$(relay_target_port)
	[ -n "${rtp}" ] || atf_fail "echod did not log the relay's port"
	atf_check "${TOOLS}/udpsocks" send 127.0.0.1 "${rtp}" -n "${UDPMAX}"
	sleep 0.3
	touch go
	assoc_wait a

	udp_end_line "127\.0\.0\.1:${UP}"
	udp_counts 7 7 4 $((3000 + 9000 + 500)) $((3000 + 9000 + 500))
	sid=$(field sid "${UDPEND}")
	relay_drops "${sid}" "not from the associated client" 1
	if [ "${level}" = clear ]; then
		relay_drops "${sid}" "malformed UDP request header" 2
		relay_drops "${sid}" "Message too long" 1
	else
		relay_drops "${sid}" "gss_unwrap failed" 1
		relay_drops "${sid}" "not one RFC 1961 frame" 1
		relay_drops "${sid}" "gss_wrap failed or too large" 1
	fi
	atf_check -o match:"datagram dropped: from 127\.0\.0\.1:[0-9]+, \
not the local client" -o match:"UDP association ended: 7 datagrams sent, \
7 received, 1 dropped" cat br.err
	bridge_alive br
	bg_stop br
}

atf_test_case udp_bad cleanup
udp_bad_head()
{
	atf_set descr "Spoofed, tampered, malformed and oversized datagrams" \
	    "are dropped and counted at each level while the association" \
	    "goes on"
	atf_set require.user root
}
udp_bad_body()
{
	local level

	bu_setup
	for level in clear integrity confidentiality; do
		udp_bad "${level}"
	done
	# The server serves on.
	bridge_start br confidentiality
	bind_run "$(cat br.port)" 1K 9
	# The reply too large to wrap was dropped: bytes_in must not
	# count it any more than datagrams_in does.
	bytes_in_check
}
udp_bad_cleanup()
{
	bu_cleanup
}

atf_test_case udp_end cleanup
udp_end_head()
{
	atf_set descr "Closing the local control connection ends the" \
	    "association upstream; the proxy ending it (timeout.io) closes" \
	    "the local one"
	atf_set require.user root
}
udp_end_body()
{
	local bp old

	BU_IO=3
	bu_setup
	bridge_start br confidentiality
	bp=$(cat br.port)

	assoc_start a "${bp}" echo "127.0.0.1:${UE}" 2 700 close sleep 500 \
	    send "127.0.0.1:${UE}" 10 quiet 500
	assoc_wait a
	assoc_bridge br a
	udp_end_line "127\.0\.0\.1:${UP}"
	echo "${UDPEND}" | grep -q 'reason="closed"' ||
	    atf_fail "not closed by the client: ${UDPEND}"
	udp_counts 2 2 0 1400 1400
	atf_check -o match:"the local client closed the control connection: \
the UDP association ends" cat br.err
	old=${RELAY}

	# Idle for timeout.io: sockd ends it, the bridge follows.
	assoc_start b "${bp}" echo "127.0.0.1:${UE}" 1 10 expectclose
	assoc_wait b
	assoc_bridge br b
	udp_end_line "127\.0\.0\.1:${UP}"
	echo "${UDPEND}" | grep -q 'reason="timeout.io expired"' ||
	    atf_fail "not ended by timeout.io: ${UDPEND}"
	atf_check -o match:"the proxy closed the control connection: \
the UDP association ends" cat br.err
	[ "${old}" != "${RELAY}" ] || atf_fail "the relay port was reused"
	bridge_alive br
	bytes_in_check
}
udp_end_cleanup()
{
	bu_cleanup
}

atf_test_case none_direct cleanup
none_direct_head()
{
	atf_set descr "Method none, no bridge: BIND with rawsock and UDP" \
	    "with udpsocks straight to sockd; a stranger's and a malformed" \
	    "datagram are dropped"
	atf_set require.user root
}
none_direct_body()
{
	local sid

	bu_setup none
	bind_run "${PROXY}" 128K 4
	bind_end_ok none - $((131072 + 5))

	assoc_start a "${PROXY}" echo "127.0.0.1:${UE}" 3 2000 \
	    stranger "127.0.0.1:${UE}" 10 raw "de ad be ef" \
	    echo "localhost:${UE}" 2 100 close
	assoc_wait a
	# udpsocks names its port, with the address all zeros.
	UP=$(sed -n 's/^local 127\.0\.0\.1://p' a.out)
	udp_end_line "0\.0\.0\.0:${UP}"
	echo "${UDPEND}" | grep -q "method=none level=- " ||
	    atf_fail "not method none: ${UDPEND}"
	udp_counts 5 5 2 6200 6200
	sid=$(field sid "${UDPEND}")
	relay_drops "${sid}" "not from the associated client" 1
	relay_drops "${sid}" "malformed UDP request header" 1

	# All zeros in the request: the first datagram fixes the port.
	assoc_start z "${PROXY}" -z echo "127.0.0.1:${UE}" 2 300 \
	    stranger "127.0.0.1:${UE}" 10 echo "127.0.0.1:${UE}" 1 300 close
	assoc_wait z
	udp_end_line "0\.0\.0\.0:0"
	udp_counts 3 3 1 900 900
	bytes_in_check
}
none_direct_cleanup()
{
	bu_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case bind_levels
	atf_add_test_case bind_refused
	atf_add_test_case udp_levels
	atf_add_test_case udp_bad
	atf_add_test_case udp_end
	atf_add_test_case none_direct
}

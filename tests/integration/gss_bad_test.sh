#! /usr/bin/env atf-sh
#
# sockd with socksmethod gssapi against hostile RFC 1961 clients: bad
# frames before authentication (the front end answers the abort message
# 01 ff and closes), a replayed context token (authd refuses it, at
# once from its replay cache and later as too old), and
# after authentication at confidentiality a token that does not verify,
# a frame of the wrong type or version, a frame that never completes
# (the relay ends that session alone, while a long session in parallel
# carries on byte-exact).  tests/tools/gssraw does the real Kerberos
# handshake with Heimdal before it misbehaves; rawsock sends raw bytes.
# Each case ends with a good session through the same daemon.

. "$(atf_get_srcdir)/../lib/sockd.subr"
. "$(atf_get_srcdir)/../lib/realm.subr"

need_tools()
{
	local t

	for t in echod pattern freeport rawsock gssraw; do
		[ -e "${TOOLS}/${t}" ] ||
		    atf_fail "${TOOLS}/${t} is not built (make build)"
	done
	for t in "${SOCKD}" "${GSOCKS}"; do
		[ -x "${t}" ] || atf_fail "${t} is not built (make)"
	done
}

# bad_setup [GLOBAL-LINE ...]: a realm, echod (ECHO is its port) and
# sockd on PORT with timeout.negotiate 3 s and the lines given.
bad_setup()
{
	local l

	need_tools
	realm_setup "$(pwd -P)/realm" || atf_fail "realm_setup failed"
	echod_start echo -t 170 || atf_fail "echod did not start"
	ECHO=$(port_of echo)
	PORT=$(free_port)
	{
		cat <<EOF
logoutput: stderr
internal: 127.0.0.1 port = ${PORT}
socksmethod: gssapi
user.privileged: root
user.unprivileged: nobody
gssapi.keytab: $(pwd -P)/realm/sockd.keytab
gssapi.servicename: rcmd/localhost
timeout.negotiate: 3
EOF
		for l in "$@"; do
			echo "${l}"
		done
		cat <<EOF
client pass { from: 127.0.0.0/8 to: 0/0 }
socks pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
	command: connect
}
EOF
	} >sockd.conf
	sockd_start sockd.conf "${PORT}" || atf_fail "sockd did not start"
}

bad_cleanup()
{
	sockd_stop
	bg_stop_all
	realm_teardown "$(pwd -P)/realm"
}

# log_has PATTERN: one line or more of the log match (extended regex).
log_has()
{
	grep -E -q -e "$1" "${SOCKD_LOG}" || {
		echo "--- ${SOCKD_LOG}:"
		cat "${SOCKD_LOG}"
		atf_fail "no log line matches: $1"
	}
}

# count_events EVENT N [PATTERN]
count_events()
{
	local n

	n=$(grep -E "event=$1( |\$)" "${SOCKD_LOG}" | grep -E -c -e "${3:-.}")
	[ "${n}" -eq "$2" ] || {
		echo "--- ${SOCKD_LOG}:"
		cat "${SOCKD_LOG}"
		atf_fail "wanted $2 event=$1 lines matching '${3:-.}'," \
		    "found ${n}"
	}
}

# client_of FILE: the "local ADDRESS:PORT" gssraw printed, escaped for
# a regular expression, to find that session's lines in the log.
client_of()
{
	sed -n 's/^local //p' "$1" | sed 's/\./\\./g'
}

# session_events EVENT N FILE PATTERN: count_events for the session
# whose gssraw output is FILE.
session_events()
{
	count_events "$1" "$2" "client=$(client_of "$3") .*$4"
}

# The front end's and the relays' words for bad frames.
BADVER='reason="GSS-API message version is not 1"'
BADTYPE='reason="unexpected GSS-API message type"'

# good_session: a real client, 256 KiB through at confidentiality.
good_session()
{
	"${TOOLS}/pattern" gen 256K 77 >good.in
	atf_check -s exit:0 -o save:good.out -e ignore "${GSOCKS}" connect \
	    -s rcmd/localhost -l confidentiality -p "127.0.0.1:${PORT}" \
	    "127.0.0.1:${ECHO}" <good.in
	atf_check "${TOOLS}/pattern" check 256K 77 <good.out
}

# A random 16-octet token in hex.
random_hex()
{
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

greet="send 050101 expect 0501"

atf_test_case garbage_token cleanup
garbage_token_head()
{
	atf_set descr "A context token of 16 random octets: 01 ff, close," \
	    "an audit line"
	atf_set require.user root
	atf_set timeout 60
}
garbage_token_body()
{
	bad_setup
	for i in 1 2 3; do
		atf_check "${TOOLS}/rawsock" 127.0.0.1 "${PORT}" ${greet} \
		    send "01 01 00 10 $(random_hex)" expect 01ff expecteof
	done
	count_events auth-fail 3 'principal=- reason="gss_accept_sec_context'
	count_events auth-ok 0
	good_session
}
garbage_token_cleanup()
{
	bad_cleanup
}

atf_test_case bad_version cleanup
bad_version_head()
{
	atf_set descr "A frame with version 2 before authentication: 01 ff" \
	    "and close"
	atf_set require.user root
	atf_set timeout 60
}
bad_version_body()
{
	bad_setup
	atf_check "${TOOLS}/rawsock" 127.0.0.1 "${PORT}" ${greet} \
	    send "02 01 00 04 01 02 03 04" expect 01ff expecteof
	atf_check "${TOOLS}/rawsock" 127.0.0.1 "${PORT}" ${greet} \
	    send "ff 01 00 01 00" expect 01ff expecteof
	count_events negotiate-fail 2 "method=gssapi ${BADVER}"
	count_events auth-fail 0
	good_session
}
bad_version_cleanup()
{
	bad_cleanup
}

atf_test_case bad_mtyp cleanup
bad_mtyp_head()
{
	atf_set descr "Message types 3 and 2 before authentication: 01 ff" \
	    "and close"
	atf_set require.user root
	atf_set timeout 60
}
bad_mtyp_body()
{
	bad_setup
	atf_check "${TOOLS}/rawsock" 127.0.0.1 "${PORT}" ${greet} \
	    send "01 03 00 04 01 02 03 04" expect 01ff expecteof
	atf_check "${TOOLS}/rawsock" 127.0.0.1 "${PORT}" ${greet} \
	    send "01 02 00 01 02" expect 01ff expecteof
	count_events negotiate-fail 2 "${BADTYPE}"
	# After a real context token, mtyp 1 again instead of the level.
	atf_check -o save:raw.out "${TOOLS}/gssraw" 127.0.0.1 "${PORT}" \
	    greet context send "01 01 00 04 01 02 03 04" expectabort \
	    expecteof
	session_events negotiate-fail 1 raw.out "${BADTYPE}"
	count_events auth-ok 0
	good_session
}
bad_mtyp_cleanup()
{
	bad_cleanup
}

atf_test_case length_stall cleanup
length_stall_head()
{
	atf_set descr "A context frame that declares 65535 octets and stalls" \
	    "is closed after timeout.negotiate (3 s)"
	atf_set require.user root
	atf_set timeout 60
}
length_stall_body()
{
	bad_setup
	atf_check -o save:a.out "${TOOLS}/gssraw" -t 10 127.0.0.1 \
	    "${PORT}" greet send "01 01 ff ff" expectend
	# The same after part of the token.
	atf_check -o save:b.out "${TOOLS}/gssraw" -t 10 127.0.0.1 \
	    "${PORT}" greet send "01 01 ff ff 60 82 01 00" expectend
	for f in a.out b.out; do
		ms=$(sed -n 's/^end after \([0-9]*\) ms.*/\1/p' "${f}")
		[ -n "${ms}" ] || atf_fail "no end time in ${f}"
		[ "${ms}" -ge 2500 ] && [ "${ms}" -le 6000 ] ||
		    atf_fail "closed after ${ms} ms, not about 3 s"
		# The front end tells the client before it closes.
		grep -q 'abort message first' "${f}" ||
		    atf_fail "no abort message before the close (${f})"
		session_events negotiate-fail 1 "${f}" \
		    'reason="timeout\.negotiate \(3 s\) expired"'
	done
	count_events auth-fail 0
	good_session
}
length_stall_cleanup()
{
	bad_cleanup
}

atf_test_case client_abort cleanup
client_abort_head()
{
	atf_set descr "The client's own abort message in the middle of the" \
	    "negotiation: closed and logged"
	atf_set require.user root
	atf_set timeout 60
}
client_abort_body()
{
	bad_setup
	# Once the context is up, instead of the level message.
	atf_check -o save:a.out "${TOOLS}/gssraw" 127.0.0.1 "${PORT}" \
	    greet context send 01ff expecteof
	session_events negotiate-fail 1 a.out \
	    'method=gssapi reason="the peer aborted the GSS-API negotiation"'
	# Before any token.
	atf_check -o save:b.out "${TOOLS}/gssraw" 127.0.0.1 "${PORT}" \
	    greet send 01ff expecteof
	session_events negotiate-fail 1 b.out \
	    'method=gssapi reason="the peer aborted'
	count_events auth-ok 0
	count_events auth-fail 0
	good_session
}
client_abort_cleanup()
{
	bad_cleanup
}

atf_test_case replay cleanup
replay_head()
{
	atf_set descr "A context token (AP-REQ) sent again in a second" \
	    "connection is refused: 01 ff and a log line about the replay"
	atf_set require.user root
	atf_set timeout 60
}
replay_body()
{
	bad_setup
	atf_check -o save:first.out "${TOOLS}/gssraw" -w token 127.0.0.1 \
	    "${PORT}" greet context level confidentiality \
	    connect "127.0.0.1:${ECHO}" echo 64K 8 shut expecteof
	atf_check -o match:'^60' cat token
	session_events auth-ok 1 first.out \
	    'principal=alice@SOCKD\.TEST level=confidentiality'

	atf_check -o save:second.out "${TOOLS}/gssraw" 127.0.0.1 "${PORT}" \
	    greet replay token expectabort expecteof
	session_events auth-fail 1 second.out \
	    'reason="replayed context token refused"'
	# And again: still refused, nothing authenticated.
	atf_check -o ignore "${TOOLS}/gssraw" 127.0.0.1 "${PORT}" greet \
	    replay token expectabort expecteof
	count_events auth-fail 2 'replayed context token'
	count_events auth-ok 1
	good_session
}
replay_cleanup()
{
	bad_cleanup
}

atf_test_case replay_late cleanup
replay_late_head()
{
	atf_set descr "A context token sent again after twice the clock" \
	    "skew (krb5.conf: 10 s), once the replay cache has let it go," \
	    "does not authenticate anyone"
	atf_set require.user root
	atf_set timeout 90
}
replay_late_body()
{
	bad_setup
	t0=$(date +%s)
	atf_check -o save:first.out "${TOOLS}/gssraw" -w token 127.0.0.1 \
	    "${PORT}" greet context level confidentiality \
	    connect "127.0.0.1:${ECHO}" echo 64K 8 shut expecteof
	# authd keeps a token 2 * clockskew; after that, only the age of
	# its authenticator can refuse it.
	end=$((t0 + 2 * REALM_CLOCKSKEW + 2))
	while [ "$(date +%s)" -lt "${end}" ]; do
		sleep 1
	done
	# Whatever the server answers (01 ff, or a KRB-ERROR token about
	# the skew), the level message that follows must not find an
	# established context: no line may name alice for this client.
	atf_check -o save:late.out "${TOOLS}/gssraw" 127.0.0.1 "${PORT}" \
	    greet replay token sleep 300 send "01 02 00 01 00" drain
	late=$(client_of late.out)
	log_has "event=(auth|negotiate)-fail .*client=${late} "
	atf_check -s exit:1 -o empty grep -E "client=${late} principal=alice" \
	    "${SOCKD_LOG}"
	count_events auth-ok 1
	good_session
}
replay_late_cleanup()
{
	bad_cleanup
}

# A long echo session through a real client, in the background: 1.5 MiB
# in six parts a second apart, so that it spans the bad session.
long_start()
{
	cat >long.sh <<EOF
#!/bin/sh
for i in 0 1 2 3 4 5; do
	dd if=long.in bs=256k skip=\${i} count=1 2>/dev/null
	sleep 1
done | "${GSOCKS}" connect -s rcmd/localhost -l confidentiality \
    -p 127.0.0.1:${PORT} 127.0.0.1:${ECHO} >long.out 2>long.err
echo \$? >long.rc
EOF
	"${TOOLS}/pattern" gen 1536K 42 >long.in || atf_fail "pattern gen"
	rm -f long.rc
	bg_start long sh long.sh
	# Wait until it is through authentication.
	i=0
	while ! grep -q 'event=auth-ok' "${SOCKD_LOG}"; do
		[ "${i}" -lt 100 ] || atf_fail "the long session did not start"
		sleep 0.1
		i=$((i + 1))
	done
}

long_check()
{
	wait_file long.rc 30 || atf_fail "the long session did not end"
	atf_check -o inline:"0\n" cat long.rc
	atf_check "${TOOLS}/pattern" check 1536K 42 <long.out
	count_events session-end 1 \
	    'bytes_out=1572864 bytes_in=1572864 .*reason="closed"'
}

# after_auth NAME STEP...: a gssraw session at confidentiality that
# connects, echoes 1 KiB, then runs the steps; its output is NAME.out.
after_auth()
{
	local name=$1

	shift
	atf_check -o save:"${name}.out" "${TOOLS}/gssraw" -t 10 127.0.0.1 \
	    "${PORT}" greet context level confidentiality \
	    connect "127.0.0.1:${ECHO}" echo 1K 9 "$@"
}

atf_test_case bad_token_after_auth cleanup
bad_token_after_auth_head()
{
	atf_set descr "At confidentiality, an mtyp 3 token with a flipped" \
	    "bit, or one sent twice, ends that session only"
	atf_set require.user root
	atf_set timeout 60
}
bad_token_after_auth_body()
{
	bad_setup
	long_start
	after_auth flip flip 68656c6c6f expectend
	session_events session-end 1 flip.out \
	    'level=confidentiality .*reason="gss_unwrap failed"'
	after_auth dup wrap 68656c6c6f expectdata 68656c6c6f resend \
	    expectend
	session_events session-end 1 dup.out 'reason="gss_unwrap failed"'
	log_has 'gss_unwrap: .*duplicate'
	long_check
	good_session
}
bad_token_after_auth_cleanup()
{
	bad_cleanup
}

atf_test_case bad_frame_after_auth cleanup
bad_frame_after_auth_head()
{
	atf_set descr "At confidentiality, a frame of type 1 or 2 or of" \
	    "version 2 ends that session only"
	atf_set require.user root
	atf_set timeout 60
}
bad_frame_after_auth_body()
{
	bad_setup
	long_start
	after_auth m2 wrapmtyp 2 68656c6c6f expectend
	after_auth m1 wrapmtyp 1 68656c6c6f expectend
	for f in m2 m1; do
		session_events session-end 1 "${f}.out" "${BADTYPE}"
	done
	after_auth v2 send "02 03 00 05 68 65 6c 6c 6f" expectend
	session_events session-end 1 v2.out "${BADVER}"
	long_check
	good_session
}
bad_frame_after_auth_cleanup()
{
	bad_cleanup
}

atf_test_case stall_after_auth cleanup
stall_after_auth_head()
{
	atf_set descr "At confidentiality, a frame that declares 65535" \
	    "octets and stalls ends after timeout.io (3 s), before the" \
	    "request after timeout.negotiate (3 s)"
	atf_set require.user root
	atf_set timeout 60
}
stall_after_auth_body()
{
	bad_setup "timeout.io: 3"
	long_start
	after_auth relay send "01 03 ff ff 00 00" expectend
	session_events session-end 1 relay.out 'reason="timeout\.io expired"'
	# Instead of the request, right after the level.
	atf_check -o save:req.out "${TOOLS}/gssraw" -t 10 127.0.0.1 \
	    "${PORT}" greet context level confidentiality \
	    send "01 03 ff ff" expectend
	session_events session-end 1 req.out \
	    'reason="timeout\.negotiate expired before the request"'
	for f in relay.out req.out; do
		ms=$(sed -n 's/^end after \([0-9]*\) ms.*/\1/p' "${f}")
		[ -n "${ms}" ] || atf_fail "no end time in ${f}"
		[ "${ms}" -ge 2500 ] && [ "${ms}" -le 6000 ] ||
		    atf_fail "${f}: closed after ${ms} ms, not about 3 s"
	done
	long_check
	good_session
}
stall_after_auth_cleanup()
{
	bad_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case garbage_token
	atf_add_test_case bad_version
	atf_add_test_case bad_mtyp
	atf_add_test_case length_stall
	atf_add_test_case client_abort
	atf_add_test_case replay
	atf_add_test_case replay_late
	atf_add_test_case bad_token_after_auth
	atf_add_test_case bad_frame_after_auth
	atf_add_test_case stall_after_auth
}

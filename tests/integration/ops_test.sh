#! /usr/bin/env atf-sh
#
# What an operator does to a running sockd: reload it (SIGHUP) under a
# live confidentiality session, read one session's life from the audit
# log by its sid, ask for counters (SIGUSR1) and stop it (SIGTERM).  A
# real Heimdal KDC on 127.0.0.1 and our client, as in gss_test.sh.

. "$(atf_get_srcdir)/../lib/sockd.subr"
. "$(atf_get_srcdir)/../lib/realm.subr"

ops_setup()
{
	local t

	for t in echod pattern; do
		[ -x "${TOOLS}/${t}" ] || atf_fail "${TOOLS}/${t} is not built"
	done
	[ -x "${GSOCKS}" ] || atf_fail "${GSOCKS} is not built"
	realm_setup "$(pwd -P)/realm" || atf_fail "realm_setup failed"
	echod_start echo -t 120 || atf_fail "echod did not start"
	ECHO=$(port_of echo)
	PORT=$(free_port) || atf_fail "free_port"
}

ops_cleanup()
{
	sockd_stop
	bg_stop_all
	realm_teardown "$(pwd -P)/realm"
}

# conf [EXTRA-SOCKS-RULE]: a gssapi config; the extra rule goes first.
conf()
{
	cat >sockd.conf <<EOF
logoutput: stderr
internal: 127.0.0.1 port = ${PORT}
socksmethod: gssapi
user.privileged: root
user.unprivileged: nobody
gssapi.keytab: $(pwd -P)/realm/sockd.keytab
gssapi.servicename: rcmd/localhost
client pass {
	from: 127.0.0.0/8 to: 0/0
	log: connect error
}
$1
socks pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
	command: connect
	log: connect disconnect error
}
EOF
	chmod 600 sockd.conf
}

# through TARGET-PORT: stdin to the target through sockd, stdout back.
through()
{
	"${GSOCKS}" connect -l confidentiality -s rcmd/localhost \
	    -p "127.0.0.1:${PORT}" "127.0.0.1:$1"
}

sockd_pid()
{
	cat sockd.pid
}

# wait_log PATTERN: until the log has a line matching it (10 s at most).
wait_log()
{
	local i=0

	while [ ${i} -lt 100 ]; do
		grep -qE "$1" "${SOCKD_LOG}" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "no log line matching: $1" >&2
	cat "${SOCKD_LOG}" >&2
	return 1
}

atf_test_case reload_live cleanup
reload_live_head()
{
	atf_set descr "SIGHUP applies new rules to new sessions while a" \
	    "confidentiality session goes on byte-exact"
	atf_set require.user root
}
reload_live_body()
{
	ops_setup
	conf ""
	sockd_start sockd.conf "${PORT}" || atf_fail "sockd did not start"
	# Signals are handled once the parent says it is ready.
	wait_log "parent: ready" || atf_fail "sockd never became ready"

	# A session that sends half its data, waits through the reload,
	# then sends the rest.
	"${TOOLS}/pattern" gen 2M 7 >data.in
	head -c 1048576 data.in >part1
	tail -c +1048577 data.in >part2
	(cat part1; sleep 3; cat part2) | through "${ECHO}" >data.out \
	    2>live.err &
	live=$!
	wait_log "event=auth-ok .*level=confidentiality" ||
	    atf_fail "the live session did not authenticate"

	# New rule: the echo server is off limits.
	conf "socks block {
	from: 0/0 to: 127.0.0.1/32 port = ${ECHO}
	log: connect error
}"
	kill -HUP "$(sockd_pid)"
	wait_log "configuration reloaded" || atf_fail "no reload"

	atf_check -s exit:4 -o empty -e match:"not allowed" \
	    sh -c "echo x | ${GSOCKS} connect -s rcmd/localhost \
	    -p 127.0.0.1:${PORT} 127.0.0.1:${ECHO}"
	grep -q "event=request-block .*socks block rule #1" "${SOCKD_LOG}" ||
	    atf_fail "the new rule did not block the new session"

	wait ${live} || { cat live.err; atf_fail "the live session failed"; }
	cmp -s data.in data.out || atf_fail "the live session lost bytes"
	grep -q "event=session-end .*bytes_out=2097152 bytes_in=2097152 " \
	    "${SOCKD_LOG}" || atf_fail "no session-end for the live session"
}
reload_live_cleanup()
{
	ops_cleanup
}

atf_test_case reload_refused cleanup
reload_refused_head()
{
	atf_set descr "A reload with errors or with a changed internal" \
	    "address keeps the running configuration"
	atf_set require.user root
}
reload_refused_body()
{
	ops_setup
	conf ""
	sockd_start sockd.conf "${PORT}" || atf_fail "sockd did not start"
	# Signals are handled once the parent says it is ready.
	wait_log "parent: ready" || atf_fail "sockd never became ready"

	echo "bogus: keyword" >>sockd.conf
	kill -HUP "$(sockd_pid)"
	wait_log "has errors; keeping the running configuration" ||
	    atf_fail "a bad config was not refused"

	conf ""
	sed -i "s/port = ${PORT}/port = $((PORT + 1))/" sockd.conf
	kill -HUP "$(sockd_pid)"
	wait_log "internal changed, which needs a restart" ||
	    atf_fail "a changed internal address was not refused"

	# A keytab without the service's key: authd refuses, nothing moves.
	conf ""
	sed -i "s/rcmd\/localhost/nosuch\/localhost/" sockd.conf
	kill -HUP "$(sockd_pid)"
	wait_log "authd refused the new configuration" ||
	    atf_fail "a missing key was not refused"

	echo hello >hello.in
	through "${ECHO}" <hello.in >hello.out ||
	    atf_fail "the running configuration stopped working"
	cmp -s hello.in hello.out || atf_fail "echo mismatch"
}
reload_refused_cleanup()
{
	ops_cleanup
}

atf_test_case one_sid cleanup
one_sid_head()
{
	atf_set descr "Every audit line of one session, from accept to" \
	    "close, in every process, carries the same sid"
	atf_set require.user root
}
one_sid_body()
{
	ops_setup
	conf ""
	sockd_start sockd.conf "${PORT}" || atf_fail "sockd did not start"
	# Signals are handled once the parent says it is ready.
	wait_log "parent: ready" || atf_fail "sockd never became ready"
	echo hello | through "${ECHO}" >/dev/null || atf_fail "session failed"
	wait_log "event=session-end" || atf_fail "no session-end"

	sid=$(sed -n 's/.*event=client-pass sid=\([0-9a-f]*\).*/\1/p' \
	    "${SOCKD_LOG}" | head -n 1)
	[ -n "${sid}" ] || atf_fail "no client-pass line"
	for e in "front: event=client-pass" "authd: event=auth-ok" \
	    "relay [0-9]*: event=request-pass" "relay [0-9]*: event=session-end"
	do
		grep -q "${e} sid=${sid} " "${SOCKD_LOG}" ||
		    atf_fail "no '${e}' line for sid ${sid}"
	done
	[ $(grep -c "sid=${sid} " "${SOCKD_LOG}") -eq 4 ] ||
	    atf_fail "sid ${sid} on other than its own four lines"
}
one_sid_cleanup()
{
	ops_cleanup
}

atf_test_case stats_and_stop cleanup
stats_and_stop_head()
{
	atf_set descr "SIGUSR1 makes every process log its counters;" \
	    "SIGTERM ends a live session with its audit line"
	atf_set require.user root
}
stats_and_stop_body()
{
	ops_setup
	conf ""
	sockd_start sockd.conf "${PORT}" -N 2 || atf_fail "sockd did not start"
	wait_log "parent: ready" || atf_fail "sockd never became ready"

	(echo first; sleep 20) | through "${ECHO}" >live.out 2>/dev/null &
	wait_log "event=request-pass" || atf_fail "no session"
	sleep 0.5

	kill -USR1 "$(sockd_pid)"
	wait_log "relay 1: stats:" || atf_fail "no relay stats"
	for p in "parent: stats: rules=2" "front: stats: negotiations=0" \
	    "authd: stats: negotiations=0 replay_cache=1" \
	    "relay 0: stats:" "relay 1: stats:"; do
		grep -q "${p}" "${SOCKD_LOG}" || atf_fail "no '${p}'"
	done
	# The session is idle: it holds no relay buffer, whatever it carried.
	grep -qE "relay [01]: stats: sessions=1 sessions_total=1 \
bytes_out=6 bytes_in=6 buffers=0 pooled=[1-9]" "${SOCKD_LOG}" ||
	    atf_fail "relay counters wrong"

	kill -TERM "$(sockd_pid)"
	wait_log "parent: terminating" || atf_fail "sockd did not stop"
	grep -q 'event=session-end .*reason="sockd is stopping"' \
	    "${SOCKD_LOG}" || atf_fail "the live session had no end line"
	grep -q "killed by signal\|did not stop in time" "${SOCKD_LOG}" &&
	    atf_fail "a child did not stop cleanly"
	return 0
}
stats_and_stop_cleanup()
{
	ops_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case reload_live
	atf_add_test_case reload_refused
	atf_add_test_case one_sid
	atf_add_test_case stats_and_stop
}

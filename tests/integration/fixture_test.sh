#! /usr/bin/env atf-sh
#
# The integration-test fixture itself: the Heimdal realm on 127.0.0.1,
# the keytab it exports as seen by Heimdal's and MIT's GSS-API, the
# expired-ticket and weak-keytab recipes, the servers and the raw
# client in tests/tools, and the start/stop helpers.  Every other
# integration test stands on these, so they get their own checks.

. "$(atf_get_srcdir)/../lib/sockd.subr"
. "$(atf_get_srcdir)/../lib/realm.subr"

need_tools()
{
	local t

	for t in echod httpd rawsock pattern freeport gssloop gssloop-mit \
	    timeshift.so; do
		[ -e "${TOOLS}/${t}" ] ||
		    atf_fail "${TOOLS}/${t} is not built (make build)"
	done
}

setup_realm()
{
	need_tools
	realm_setup "$(pwd -P)/realm" || atf_fail "realm_setup failed"
}

fixture_cleanup()
{
	bg_stop_all
	realm_teardown "$(pwd -P)/realm"
}

atf_test_case kdc_up cleanup
kdc_up_head()
{
	atf_set descr "The realm's KDC runs on 127.0.0.1 and kinit works"
	atf_set require.user root
}
kdc_up_body()
{
	setup_realm
	port=$(cat realm/kdc.port)
	atf_check -o match:"kdc = 127\.0\.0\.1:${port}\$" cat realm/krb5.conf
	port_listening "${port}" || atf_fail "the KDC does not listen"
	atf_check -o match:"Principal: alice@SOCKD\.TEST" \
	    -o match:"krbtgt/SOCKD\.TEST@SOCKD\.TEST" ${REALM_KLIST}

	realm_kinit realm bob || atf_fail "kinit bob"
	atf_check -o match:"Principal: bob@SOCKD\.TEST" ${REALM_KLIST}

	# The KDC must be able to say no, or the other checks mean little.
	echo "not-the-password" >wrong.pw
	atf_check -s not-exit:0 -e match:"kinit" env \
	    KRB5CCNAME=FILE:$(pwd -P)/wrong.cc "${REALM_KINIT}" \
	    --password-file=wrong.pw alice@SOCKD.TEST
	atf_check -s not-exit:0 -e ignore env \
	    KRB5CCNAME=FILE:$(pwd -P)/nobody.cc "${REALM_KINIT}" \
	    --password-file=realm/alice.pw nobody@SOCKD.TEST

	# Nothing was written to the system's KDC database.
	atf_check test -f realm/heimdal.db
	atf_check -o match:"^-rw-------" ls -l realm/alice.pw
}
kdc_up_cleanup()
{
	fixture_cleanup
}

atf_test_case service_ticket cleanup
service_ticket_head()
{
	atf_set descr "Service tickets for rcmd/localhost, rcmd/HOST and" \
	    "socks/localhost"
	atf_set require.user root
}
service_ticket_body()
{
	setup_realm
	host=$(hostname | tr 'A-Z' 'a-z')
	for svc in rcmd/localhost "rcmd/${host}" socks/localhost; do
		realm_kgetcred realm "${svc}" || atf_fail "kgetcred ${svc}"
		atf_check -o match:"${svc}@SOCKD\.TEST" ${REALM_KLIST}
	done
	atf_check -o match:"Ticket etype: aes256-cts-hmac-sha1-96" \
	    ${REALM_KLIST} -v
	atf_check -s not-exit:0 -e match:"not found|unknown|Unknown" \
	    "${REALM_KGETCRED}" nosuch/localhost@SOCKD.TEST
}
service_ticket_cleanup()
{
	fixture_cleanup
}

atf_test_case keytab_verifies cleanup
keytab_verifies_head()
{
	atf_set descr "The exported keytab accepts alice's service ticket," \
	    "in Heimdal's GSS-API and in MIT's"
	atf_set require.user root
}
keytab_verifies_body()
{
	setup_realm
	kt=FILE:$(pwd -P)/realm/sockd.keytab
	atf_check -o match:"^-rw-------" ls -l realm/sockd.keytab
	atf_check \
	    -o match:"aes256-cts-hmac-sha1-96 +rcmd/localhost@SOCKD\.TEST" \
	    -o match:"aes128-cts-hmac-sha1-96 +rcmd/localhost@SOCKD\.TEST" \
	    -o match:"aes256-cts-hmac-sha1-96 +socks/localhost@SOCKD\.TEST" \
	    -o not-match:"arcfour|des" \
	    "${REALM_KTUTIL}" -k realm/sockd.keytab list

	# One process each: context, then a wrapped message both ways.
	atf_check -o match:"^initiator alice@SOCKD\.TEST\$" \
	    -o match:"^wrap ok\$" "${TOOLS}/gssloop" -k "${kt}" both \
	    rcmd@localhost
	atf_check -o match:"^initiator alice@SOCKD\.TEST\$" \
	    -o match:"^wrap ok\$" "${TOOLS}/gssloop-mit" -k "${kt}" both \
	    socks@localhost

	# Across libraries: Heimdal's token to MIT's acceptor and back.
	atf_check -o save:h.tok "${TOOLS}/gssloop" init rcmd@localhost
	atf_check -o match:"^initiator alice@SOCKD\.TEST\$" \
	    "${TOOLS}/gssloop-mit" -k "${kt}" accept <h.tok
	atf_check -o save:m.tok "${TOOLS}/gssloop-mit" init rcmd@localhost
	atf_check -o match:"^initiator alice@SOCKD\.TEST\$" \
	    "${TOOLS}/gssloop" -k "${kt}" accept <m.tok
}
keytab_verifies_cleanup()
{
	fixture_cleanup
}

atf_test_case wrong_keytab cleanup
wrong_keytab_head()
{
	atf_set descr "A keytab without the service's key is refused"
	atf_set require.user root
}
wrong_keytab_body()
{
	setup_realm
	realm_keytab realm other/localhost other.keytab ||
	    atf_fail "realm_keytab"
	atf_check -o match:"other/localhost@SOCKD\.TEST" \
	    -o not-match:"rcmd/localhost" "${REALM_KTUTIL}" -k other.keytab \
	    list
	atf_check -s exit:1 -e match:"accept_sec_context" \
	    "${TOOLS}/gssloop" -k "FILE:$(pwd -P)/other.keytab" both \
	    rcmd@localhost
	# No keytab at all: realm_env points KRB5_KTNAME at nothing.
	atf_check -s exit:1 -e match:"accept_sec_context" \
	    "${TOOLS}/gssloop-mit" both rcmd@localhost
}
wrong_keytab_cleanup()
{
	fixture_cleanup
}

atf_test_case mit_reads_ccache cleanup
mit_reads_ccache_head()
{
	atf_set descr "MIT's GSS-API reads the ccache Heimdal's kinit wrote"
	atf_set require.user root
}
mit_reads_ccache_body()
{
	setup_realm
	atf_check -o match:"^name alice@SOCKD\.TEST\$" \
	    -o match:"^lifetime [1-9]" "${TOOLS}/gssloop-mit" name
	realm_kinit realm bob || atf_fail "kinit bob"
	atf_check -o match:"^name bob@SOCKD\.TEST\$" "${TOOLS}/gssloop-mit" \
	    name
	atf_check -o match:"^name bob@SOCKD\.TEST\$" "${TOOLS}/gssloop" name
	atf_check -s exit:1 -e match:"acquire_cred" env \
	    KRB5CCNAME=FILE:$(pwd -P)/none.cc "${TOOLS}/gssloop-mit" name
}
mit_reads_ccache_cleanup()
{
	fixture_cleanup
}

atf_test_case short_life_user cleanup
short_life_user_head()
{
	atf_set descr "realm_add_user with a maximum ticket life"
	atf_set require.user root
}
short_life_user_body()
{
	setup_realm
	realm_add_user realm carol 3s || atf_fail "realm_add_user"
	realm_kinit realm carol || atf_fail "kinit carol"
	atf_check -o match:"^name carol@SOCKD\.TEST\$" \
	    -o match:"^lifetime [0-3]\$" "${TOOLS}/gssloop" name
	realm_add_user realm dave || atf_fail "realm_add_user"
	realm_kinit realm dave || atf_fail "kinit dave"
	atf_check -o match:"^lifetime [0-9]{4,}\$" "${TOOLS}/gssloop" name
}
short_life_user_cleanup()
{
	fixture_cleanup
}

atf_test_case expired_ticket cleanup
expired_ticket_head()
{
	atf_set descr "An expired ticket reaches the acceptor, which" \
	    "refuses it"
	atf_set require.user root
	atf_set timeout 90
}
expired_ticket_body()
{
	setup_realm
	kt=FILE:$(pwd -P)/realm/sockd.keytab
	realm_kinit_expired realm alice rcmd/localhost ||
	    atf_fail "realm_kinit_expired"

	# On the real clock both clients refuse to use the ticket ...
	atf_check -s exit:1 -e match:"expired|not found" \
	    "${TOOLS}/gssloop" init rcmd@localhost
	atf_check -s exit:1 -e ignore "${TOOLS}/gssloop-mit" init \
	    rcmd@localhost
	# ... shifted back to when it was issued, they send it ...
	atf_check -o save:h.tok env $(realm_timeshift_env realm) \
	    "${TOOLS}/gssloop" init rcmd@localhost
	atf_check -o save:m.tok env $(realm_timeshift_env realm) \
	    "${TOOLS}/gssloop-mit" init rcmd@localhost
	# ... and acceptors on the real clock say why they refuse it.
	atf_check -s exit:1 -e match:"Ticket expired" \
	    "${TOOLS}/gssloop" -k "${kt}" accept <h.tok
	atf_check -s exit:1 -e match:"Ticket expired" \
	    "${TOOLS}/gssloop" -k "${kt}" accept <m.tok
	atf_check -s exit:1 -e match:"Ticket expired" \
	    "${TOOLS}/gssloop-mit" -k "${kt}" accept <m.tok

	# The ordinary ccache still works: only the copy expired.
	realm_env realm
	atf_check -o match:"wrap ok" "${TOOLS}/gssloop" -k "${kt}" both \
	    rcmd@localhost
}
expired_ticket_cleanup()
{
	fixture_cleanup
}

atf_test_case weak_keytab cleanup
weak_keytab_head()
{
	atf_set descr "realm_weak_keytab writes an arcfour-only keytab that" \
	    "works only with clients that allow RC4"
	atf_set require.user root
}
weak_keytab_body()
{
	setup_realm
	realm_weak_keytab realm weak/localhost weak.keytab ||
	    atf_fail "realm_weak_keytab"
	kt=FILE:$(pwd -P)/weak.keytab
	atf_check -o match:"arcfour-hmac-md5 +weak/localhost@SOCKD\.TEST" \
	    -o not-match:"aes" "${REALM_KTUTIL}" -k weak.keytab list
	# The realm's own clients only offer AES: no ticket.
	atf_check -s exit:1 -e match:"encryption type" "${TOOLS}/gssloop" \
	    -k "${kt}" both weak@localhost
	# With krb5-weak.conf, an RC4 ticket that the keytab accepts.
	atf_check -o match:"wrap ok" env \
	    KRB5_CONFIG=$(pwd -P)/realm/krb5-weak.conf "${TOOLS}/gssloop" \
	    -k "${kt}" both weak@localhost
	atf_check -o match:"Ticket etype: arcfour-hmac-md5" \
	    ${REALM_KLIST} -v
	atf_check -o match:"wrap ok" env \
	    KRB5_CONFIG=$(pwd -P)/realm/krb5-weak.conf \
	    "${TOOLS}/gssloop-mit" -k "${kt}" both weak@localhost
}
weak_keytab_cleanup()
{
	fixture_cleanup
}

atf_test_case echod_rawsock cleanup
echod_rawsock_head()
{
	atf_set descr "echod echoes, sinks and sources; rawsock scripts it"
	atf_set require.user root
}
echod_rawsock_body()
{
	need_tools
	echod_start echo -t 60 || atf_fail "echod"
	p=$(port_of echo)
	atf_check "${TOOLS}/rawsock" 127.0.0.1 "${p}" send "05 01 00" \
	    expect 050100 sendslow "01 02 03 04" expect "01 02 03 04" \
	    shut expecteof
	atf_check -o inline:"de ad\n" "${TOOLS}/rawsock" 127.0.0.1 "${p}" \
	    send dead read 2
	atf_check "${TOOLS}/rawsock" 127.0.0.1 "${p}" echopattern 1M 42 \
	    shut expecteof
	atf_check "${TOOLS}/rawsock" 127.0.0.1 "${p}" sendfill 70000 ff \
	    skip 69999 expect ff shut expectclose-or ""

	# rawsock must fail, and say what it read, when the peer differs.
	atf_check -s exit:1 -e match:"got \(2 bytes\): 05 01" \
	    "${TOOLS}/rawsock" 127.0.0.1 "${p}" send 0501 expect 0500
	atf_check -s exit:1 -e match:"did not close" "${TOOLS}/rawsock" \
	    -t 1 127.0.0.1 "${p}" expecteof
	atf_check -s exit:2 -e match:"not a loopback" "${TOOLS}/rawsock" \
	    192.0.2.1 "${p}"

	echod_start sink -t 60 sink || atf_fail "echod sink"
	atf_check "${TOOLS}/rawsock" 127.0.0.1 "$(port_of sink)" \
	    sendfill 123456 00 shut expecteof
	echod_start src -t 60 source 300000 7 || atf_fail "echod source"
	atf_check "${TOOLS}/rawsock" 127.0.0.1 "$(port_of src)" \
	    expectpattern 300000 7 expecteof
	atf_check -s exit:1 -e match:"differs at offset" \
	    "${TOOLS}/rawsock" 127.0.0.1 "$(port_of src)" \
	    expectpattern 300000 8

	echod_start echo6 -6 -t 60 || atf_fail "echod -6"
	atf_check "${TOOLS}/rawsock" ::1 "$(port_of echo6)" send 41 \
	    expect 41
	echod_start udp -u -t 60 || atf_fail "echod -u"
	proc_alive "$(bg_pid udp)" || atf_fail "echod -u exited"

	bg_stop sink || atf_fail "echod ignored SIGTERM"
	atf_check -o inline:"123456\n" cat sink.out
}
echod_rawsock_cleanup()
{
	fixture_cleanup
}

atf_test_case httpd_curl cleanup
httpd_curl_head()
{
	atf_set descr "httpd serves files to curl"
	atf_set require.user root
	atf_set require.progs curl
}
httpd_curl_body()
{
	need_tools
	mkdir www
	atf_check -o save:www/blob "${TOOLS}/pattern" gen 1M 5
	echo hello >www/index.html
	httpd_start web "$(pwd -P)/www" -t 60 || atf_fail "httpd"
	url=http://127.0.0.1:$(port_of web)
	atf_check curl -sS --max-time 20 -o got "${url}/blob"
	atf_check cmp www/blob got
	atf_check -o inline:"hello\n" curl -sS --max-time 20 -0 "${url}/"
	atf_check -o inline:"404" curl -s --max-time 20 -o /dev/null \
	    -w "%{http_code}" "${url}/missing"
	atf_check -o match:"^GET /blob 200\$" -o match:"^GET /missing 404\$" \
	    cat web.out
}
httpd_curl_cleanup()
{
	fixture_cleanup
}

atf_test_case pattern_roundtrip
pattern_roundtrip_head()
{
	atf_set descr "pattern gen | pattern check is exact and catches" \
	    "changes"
}
pattern_roundtrip_body()
{
	need_tools
	atf_check -o save:p "${TOOLS}/pattern" gen 1M 9
	atf_check -o match:"^1048576 p\$" wc -c p
	atf_check "${TOOLS}/pattern" check 1M 9 <p
	atf_check -s exit:1 -e match:"first difference at offset" \
	    "${TOOLS}/pattern" check 1M 10 <p
	atf_check -s exit:1 -e match:"short: got 1048576 of 1048577" \
	    "${TOOLS}/pattern" check 1048577 9 <p
	atf_check -s exit:1 -e match:"extra data" \
	    "${TOOLS}/pattern" check 1048575 9 <p
	# One flipped byte in the middle is found at its offset.
	atf_check -o save:q sh -c "head -c 500000 p; printf x; \
	    tail -c +500002 p"
	atf_check -s exit:1 -e match:"offset 500000" \
	    "${TOOLS}/pattern" check 1M 9 <q
}

atf_test_case daemon_helpers cleanup
daemon_helpers_head()
{
	atf_set descr "sockd_start waits for the port; sockd_stop escalates" \
	    "to SIGKILL when needed"
	atf_set require.user root
}
daemon_helpers_body()
{
	need_tools
	# A stand-in for sockd with its command line: -d 1 -f CONF.
	cat >fake <<EOF
#!/bin/sh
sleep 0.5
exec "${TOOLS}/echod" -l "\$(cat "\$4")" -t 60
EOF
	chmod +x fake
	port=$(free_port) || atf_fail "free_port"
	echo "${port}" >conf
	SOCKD=$(pwd -P)/fake
	port_listening "${port}" && atf_fail "port ${port} taken already"
	sockd_start conf "${port}" || atf_fail "sockd_start"
	port_listening "${port}" || atf_fail "not listening after start"
	atf_check "${TOOLS}/rawsock" 127.0.0.1 "${port}" send 00 expect 00
	pid=$(cat sockd.pid)
	sockd_stop || atf_fail "sockd_stop needed SIGKILL"
	proc_alive "${pid}" && atf_fail "the daemon survived sockd_stop"
	port_listening "${port}" && atf_fail "still listening after stop"

	# One that dies at once: sockd_start fails quickly, not after 10 s.
	printf '#!/bin/sh\necho bad config >&2\nexit 1\n' >fake
	start=$(date +%s)
	sockd_start conf "${port}" 2>err && atf_fail "sockd_start passed"
	[ $(($(date +%s) - start)) -lt 5 ] || atf_fail "slow to notice"
	atf_check -o match:"bad config" cat err

	# One that ignores SIGTERM and has a child: both are killed.
	cat >fake <<EOF
#!/bin/sh
trap '' TERM
"${TOOLS}/echod" -l "\$(cat "\$4")" -t 60 &
while sleep 1; do :; done
EOF
	sockd_start conf "${port}" || atf_fail "sockd_start"
	pid=$(cat sockd.pid)
	SOCKD_STOP_TIMEOUT=1 sockd_stop 2>err &&
	    atf_fail "sockd_stop did not report the SIGKILL"
	atf_check -o match:"SIGKILL" cat err
	proc_alive "${pid}" && atf_fail "the daemon survived SIGKILL"
	port_listening "${port}" && atf_fail "its child still listens"
	return 0
}
daemon_helpers_cleanup()
{
	bg_stop_all
}

atf_test_case teardown cleanup
teardown_head()
{
	atf_set descr "realm_teardown leaves no KDC process behind"
	atf_set require.user root
}
teardown_body()
{
	setup_realm
	pid=$(cat realm/kdc.pid)
	port=$(cat realm/kdc.port)
	kids=$(pgrep -P "${pid}")
	proc_alive "${pid}" || atf_fail "no KDC running"
	realm_teardown realm || atf_fail "the KDC needed SIGKILL"
	for p in ${pid} ${kids}; do
		proc_alive "${p}" && atf_fail "KDC process ${p} is still alive"
	done
	port_listening "${port}" && atf_fail "the KDC port still listens"
	atf_check -s not-exit:0 -e ignore env \
	    KRB5CCNAME=FILE:$(pwd -P)/late.cc "${REALM_KINIT}" \
	    --password-file=realm/alice.pw alice@SOCKD.TEST
	# A second teardown, as the cleanup routine will do, is harmless.
	realm_teardown realm || atf_fail "second realm_teardown failed"
}
teardown_cleanup()
{
	fixture_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case kdc_up
	atf_add_test_case service_ticket
	atf_add_test_case keytab_verifies
	atf_add_test_case wrong_keytab
	atf_add_test_case mit_reads_ccache
	atf_add_test_case short_life_user
	atf_add_test_case expired_ticket
	atf_add_test_case weak_keytab
	atf_add_test_case echod_rawsock
	atf_add_test_case httpd_curl
	atf_add_test_case pattern_roundtrip
	atf_add_test_case daemon_helpers
	atf_add_test_case teardown
}

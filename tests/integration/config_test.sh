#! /usr/bin/env atf-sh
#
# Foundation: the configuration as an administrator meets it.  sockd -V
# accepts Dante configurations we support and rejects, with FILE:LINE,
# what we do not; sockd -v says what it can do; at start-up the keytab
# is checked before any client is served (a real one from the realm
# fixture, so that only the property under test is wrong).

. "$(atf_get_srcdir)/../lib/sockd.subr"
. "$(atf_get_srcdir)/../lib/realm.subr"

need_sockd()
{
	[ -x "${SOCKD}" ] || atf_fail "${SOCKD} is not built"
	[ -x "${TOOLS}/freeport" ] || atf_fail "${TOOLS}/freeport is not built"
}

# check_ok FILE: sockd -V accepts it and says so.
check_ok()
{
	atf_check -s exit:0 -o empty -e match:"^configuration OK\$" \
	    -e not-match:"error|unknown|not supported|not valid|syntax" \
	    "${SOCKD}" -V -f "$1"
}

# check_bad FILE LINE MESSAGE-ERE: sockd -V refuses FILE, naming the
# file and the line (LINE empty: a whole-file error).
check_bad()
{
	local where

	where=$1:$2:
	[ -z "$2" ] && where=$1:
	atf_check -s exit:1 -o empty -e match:"^sockd: ${where} $3\$" \
	    -e not-match:"configuration OK" "${SOCKD}" -V -f "$1"
}

# The number of the only line of FILE that contains STRING.
line_of()
{
	local n

	n=$(grep -n -F -e "$2" "$1" | cut -d: -f1)
	case "${n}" in
	""|*[!0-9]*)
		atf_fail "'$2' is not on exactly one line of $1"
		;;
	esac
	echo "${n}"
}

wait_log()
{
	local i=0 max=$((${2:-10} * 10))

	while ! grep -E -q -e "$1" "${SOCKD_LOG}" 2>/dev/null; do
		if [ "${i}" -ge "${max}" ] || ! proc_alive "$(bg_pid sockd)"
		then
			echo "wait_log: no '$1' in ${SOCKD_LOG}" >&2
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 0
}

config_cleanup()
{
	sockd_stop
	bg_stop_all
	realm_teardown "$(pwd -P)/realm"
}

atf_test_case version
version_head()
{
	atf_set descr "sockd -v prints the version and the features," \
	    "gssapi among them"
}
version_body()
{
	need_sockd
	atf_check -s exit:0 -e empty -o match:"^sockd [0-9]+\.[0-9]+" \
	    -o match:"^features: .*\<gssapi\>" \
	    -o match:"^features: .*socksmethod none gssapi" "${SOCKD}" -v
	atf_check -o inline:"2\n" sh -c "'${SOCKD}' -v | wc -l"
	atf_check -s exit:1 -o empty -e match:"usage: sockd" "${SOCKD}" -Z
	atf_check -s exit:1 -o empty -e match:"usage: sockd" "${SOCKD}" \
	    extra-argument
}

atf_test_case kerberos_site
kerberos_site_head()
{
	atf_set descr "A realistic Dante configuration for a Kerberos site" \
	    "passes sockd -V without a warning"
}
kerberos_site_body()
{
	need_sockd
	cat >kerberos.conf <<'EOF'
# /etc/sockd.conf of a Kerberos site, Dante style: the office network
# and this host authenticate with GSS-API; only integrity or
# confidentiality is offered; the proxy reaches the web and the
# company's hosts, never the management network.
logoutput: syslog/local3 stderr
internal: 192.0.2.10 port = 1080
internal: 127.0.0.1 port = 1080
internal: ::1 port = 1080
external: 198.51.100.7

socksmethod: gssapi
clientmethod: none
user.privileged: root
user.unprivileged: nobody
user.auth: daemon

timeout.negotiate: 30
timeout.connect: 15
timeout.io: 7200

gssapi.servicename: rcmd/proxy.example.com
gssapi.keytab: /etc/sockd.keytab
gssapi.enctype: integrity confidentiality

# Who may talk to the proxy at all.
client pass {
	from: 10.0.0.0/8 to: 0/0
	log: error
}
client pass {
	from: 127.0.0.0/8 to: 127.0.0.1/32 port = 1080
	log: connect disconnect error
}
client pass {
	from: ::1/128 to: ::1/128 port = socks
}
client block {
	from: 0/0 to: 0/0
	log: connect error
}

# What they may reach.
socks block {
	from: 0/0 to: 10.99.0.0/16
	log: connect error
}
socks pass {
	from: 10.0.0.0/8 to: .example.com port = https
	command: connect
	user: alice@EXAMPLE.COM bob@EXAMPLE.COM
	user: carol@EXAMPLE.COM
	gssapi.enctype: confidentiality
	log: connect disconnect
}
socks pass {
	from: 10.0.0.0/8 to: 0/0 port = 80
	command: connect
	socksmethod: gssapi
}
socks pass {
	from: 10.0.0.0/8 to: 10.0.0.0/8 port 1 - 1023
	command: connect
	log: connect disconnect error
}
socks block {
	from: 0/0 to: 0/0
	log: connect error
}
EOF
	atf_check -s exit:0 -o empty -e inline:"configuration OK\n" \
	    "${SOCKD}" -V -f kerberos.conf
}

atf_test_case internals
internals_head()
{
	atf_set descr "Several internal addresses, IPv6 among them: sockd" \
	    "-V takes them and the daemon listens on each"
	atf_set require.user root
}
internals_body()
{
	need_sockd
	p1=$(free_port) || atf_fail "free_port"
	p2=$(free_port -6) || atf_fail "free_port -6"
	p3=$(free_port) || atf_fail "free_port"
	cat >internals.conf <<EOF
internal: 127.0.0.1 port = ${p1}
internal: ::1 port = ${p2}
internal : 127.0.0.1 port=${p3}
socksmethod: none
user.unprivileged: nobody
client pass { from: 127.0.0.0/8 to: 0/0 }
client pass { from: ::1/128 to: ::/0 }
socks pass { from: 0/0 to: 127.0.0.0/8 }
socks pass { from: ::/0 to: ::1/128 }
EOF
	check_ok internals.conf
	# The wildcard addresses are only parsed: binding them would
	# listen beyond loopback.
	cat >wildcard.conf <<EOF
internal: 0.0.0.0 port = 1080
internal: :: port = 1080
internal: 2001:db8::1 port = 1081
internal: 127.0.0.1
socksmethod: none
client pass { from: 0/0 to: 0/0 }
socks pass { from: 0/0 to: 0/0 }
EOF
	check_ok wildcard.conf

	sockd_start internals.conf "${p1}" || atf_fail "sockd did not start"
	wait_log "parent: ready" || atf_fail "sockd did not get ready"
	atf_check -o match:"listening on 127\.0\.0\.1:${p1}\$" \
	    -o match:"listening on \[::1\]:${p2}\$" \
	    -o match:"listening on 127\.0\.0\.1:${p3}\$" \
	    -o match:"startup: 3 listeners" cat "${SOCKD_LOG}"
	port_listening "${p3}" || atf_fail "nothing on 127.0.0.1:${p3}"
	"${TOOLS}/freeport" -6 -c "${p2}" || atf_fail "nothing on [::1]:${p2}"
	for a in "127.0.0.1 ${p1}" "::1 ${p2}" "127.0.0.1 ${p3}"; do
		atf_check "${TOOLS}/rawsock" -t 5 ${a} send "05 01 00" \
		    expect "05 00"
	done
}
internals_cleanup()
{
	config_cleanup
}

# Every keyword the parser's table knows, read from parse.y, so that a
# new keyword without a test here fails this case.
parser_keywords()
{
	sed -n 's/^[[:space:]]*KW\(_OLD\)\{0,1\}("\([^"]*\)".*/\2/p' \
	    "${TOP}/sockd/parse.y"
}

atf_test_case every_keyword
every_keyword_head()
{
	atf_set descr "Every keyword sockd supports, in today's and in the" \
	    "old spellings, passes sockd -V"
}
every_keyword_body()
{
	need_sockd
	[ -f "${TOP}/sockd/parse.y" ] || atf_fail "no ${TOP}/sockd/parse.y"
	mkdir inc
	cat >inc/rules.inc <<'EOF'
# Included from current.conf, found beside it.
socks pass {
	from: ::/0 to: ::1/128 port >= 1024
	command: connect
}
EOF
	cat >current.conf <<'EOF'
# Every global keyword, in today's spelling.
logoutput: stderr syslog/daemon
logoutput: /var/log/sockd.log
internal: 127.0.0.1 port = 1080
internal: ::1 port = 1080
external: 192.0.2.1
external: 2001:db8::1
socksmethod: gssapi none
clientmethod: none
user.privileged: root
user.unprivileged: nobody
user.auth: daemon
debug: 1
timeout.negotiate: 30
timeout.connect: 10
timeout.io: 3600
gssapi.servicename: rcmd/localhost
gssapi.keytab: FILE:/etc/sockd.keytab
gssapi.enctype: integrity confidentiality
gssapi.weakenctypes: no
clientcompatibility: necgssapi
include "inc/rules.inc"

# Every rule keyword.
client pass {
	from: 127.0.0.0/8 port > 1023 to: 127.0.0.1/32 port = 1080
	clientmethod: none
	socksmethod: gssapi
	gssapi.servicename: socks/localhost
	gssapi.keytab: /etc/other.keytab
	gssapi.enctype: confidentiality
	clientcompatibility: necgssapi
	log: connect disconnect error iooperation
}
client block { from: 0/0 to: 0/0 log: connect error }
socks pass {
	from: 127.0.0.0/8 to: .example.com port = https
	command: connect
	protocol: tcp
	socksmethod: gssapi
	user: alice@SOCKD.TEST bob@SOCKD.TEST
	user: "carol@SOCKD.TEST"
	gssapi.enctype: confidentiality
	log: connect disconnect
}
socks pass {
	from: 0/0 to: 127.0.0.0/8 port 1024 - 65535
	command: bind udpassociate
	protocol: tcp udp
	socksmethod: none
}
socks pass {
	from: 0/0 to: 127.0.0.0/8
	command: bindreply udpreply
	log: connect
}
socks block { from: 0/0 to: 0/0 log: error }
EOF
	cat >old.conf <<'EOF'
# The spellings Dante still accepts from its older versions.
internal: 127.0.0.1 port = 1080
method: gssapi none
user.notprivileged: nobody
connecttimeout: 10
iotimeout: 60
client pass {
	from: 127.0.0.0/8 to: 0/0
	method: none
}
pass {
	from: 0/0 to: 127.0.0.0/8
	command: connect
}
EOF
	check_ok current.conf
	# Accepted, each with a warning that names today's spelling.
	w="^sockd: old\.conf"
	kw="warning: keyword"
	dep="is deprecated, use"
	atf_check -s exit:0 -o empty -e match:"^configuration OK\$" \
	    -e match:"${w}:3: ${kw} 'method' ${dep} 'socksmethod'\$" \
	    -e match:"${w}:5: ${kw} 'connecttimeout' ${dep} 'timeout\.connect'\$" \
	    -e match:"${w}:6: ${kw} 'iotimeout' ${dep} 'timeout\.io'\$" \
	    -e match:"${w}:11: warning: 'pass' without 'socks' is deprecated" \
	    "${SOCKD}" -V -f old.conf

	parser_keywords >keywords
	[ "$(grep -c "" keywords)" -ge 20 ] ||
	    atf_fail "could not read the keyword table of parse.y"
	cat current.conf inc/rules.inc old.conf | sed 's/#.*//' >all.conf
	missing=
	for kw in $(cat keywords); do
		re=$(printf '%s' "${kw}" | sed 's/\./\\./g')
		grep -E -q "(^|[[:space:]{])${re}[[:space:]]*(:|\")" all.conf ||
		    missing="${missing} ${kw}"
	done
	[ -z "${missing}" ] || atf_fail "not covered here:${missing}"
}

atf_test_case internal_before_rules
internal_before_rules_head()
{
	atf_set descr "A rule may follow an 'internal: ADDRESS port = N'" \
	    "line directly, as in Dante's examples"
}
internal_before_rules_body()
{
	need_sockd
	cat >a.conf <<'EOF'
socksmethod: none
internal: 127.0.0.1 port = 1080
client pass { from: 127.0.0.0/8 to: 0/0 }
socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 }
EOF
	check_ok a.conf
	cat >b.conf <<'EOF'
socksmethod: none
internal: ::1 port = 1080
socks pass { from: ::/0 to: ::1/128 }
client pass { from: ::1/128 to: ::/0 }
EOF
	check_ok b.conf
	cat >c.conf <<'EOF'
socksmethod: none
internal: 127.0.0.1 port = 1080

# Rules from here on.
client
pass {
	from: 127.0.0.0/8 to: 0/0
}
socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 }
EOF
	check_ok c.conf
}

atf_test_case bad_keywords
bad_keywords_head()
{
	atf_set descr "Unknown keywords and Dante keywords sockd does not" \
	    "implement are errors with FILE:LINE"
}
bad_keywords_body()
{
	need_sockd
	cat >unknown.conf <<'EOF'
internal: 127.0.0.1 port = 1080
socksmethod: none

frobnicate: yes
client pass { from: 0/0 to: 0/0 }
EOF
	check_bad unknown.conf 4 "unknown keyword 'frobnicate'"

	cat >inrule.conf <<'EOF'
internal: 127.0.0.1 port = 1080
socksmethod: none
client pass {
	from: 0/0 to: 0/0
	colour: blue
}
EOF
	check_bad inrule.conf 5 "unknown keyword 'colour'"

	cat >libwrap.conf <<'EOF'
# Dante runs libwrap as this user; we have no libwrap.
internal: 127.0.0.1 port = 1080
socksmethod: none
user.privileged: root
user.libwrap: nobody
client pass { from: 0/0 to: 0/0 }
EOF
	check_bad libwrap.conf 5 "keyword 'user\.libwrap' is not supported"

	cat >username.conf <<'EOF'
internal: 127.0.0.1 port = 1080
socksmethod: gssapi username
client pass { from: 0/0 to: 0/0 }
EOF
	check_bad username.conf 2 "method 'username' is not supported"

	cat >permessage.conf <<'EOF'
internal: 127.0.0.1 port = 1080
socksmethod: gssapi
client pass {
	from: 0/0 to: 0/0
	gssapi.enctype: permessage
}
EOF
	check_bad permessage.conf 5 "gssapi\.enctype 'permessage' is not supported.*"

	# Two errors: both are reported, each with its own line.
	cat >two.conf <<'EOF'
internal: 127.0.0.1 port = 1080
socksmethod: none
libwrap.hosts_access: no
client pass { from: 0/0 to: 0/0 }
socks pass {
	from: 0/0 to: 0/0
	bandwidth: 10000
}
EOF
	atf_check -s exit:1 -o empty \
	    -e match:"^sockd: two\.conf:3: keyword 'libwrap\.hosts_access' is not" \
	    -e match:"^sockd: two\.conf:7: keyword 'bandwidth' is not supported\$" \
	    "${SOCKD}" -V -f two.conf

	# The path is reported as given, and an included file by its name.
	cat >inc.conf <<'EOF'
socks pass {
	from: 0/0 to: 0/0
	session.max: 10
}
EOF
	cat >main.conf <<'EOF'
internal: 127.0.0.1 port = 1080
socksmethod: none
client pass { from: 0/0 to: 0/0 }
include "inc.conf"
EOF
	atf_check -s exit:1 -o empty \
	    -e match:"^sockd: [^:]*inc\.conf:3: keyword 'session\.max' is not" \
	    "${SOCKD}" -V -f "$(pwd -P)/main.conf"
}

atf_test_case bad_values
bad_values_head()
{
	atf_set descr "Bad addresses, a socksmethod in a bindreply-only" \
	    "rule and a missing internal are errors with FILE:LINE"
	atf_set require.user root
}
bad_values_body()
{
	need_sockd
	cat >addr1.conf <<'EOF'
socksmethod: none
internal: 127.0.0.1 port = 1080
internal: 127.0.0.300 port = 1081
EOF
	check_bad addr1.conf 3 "internal: '127\.0\.0\.300' is not an IP address"
	cat >addr2.conf <<'EOF'
internal: 127.0.0.1 port = 1080
socksmethod: none
client pass { from: 127.0.0.0/33 to: 0/0 }
EOF
	check_bad addr2.conf 3 "from: bad prefix length in '127\.0\.0\.0/33'"
	cat >addr3.conf <<'EOF'
internal: 127.0.0.1 port = 1080
socksmethod: none
client pass { from: 0/0 to: 0/0 }
socks pass { from: 0/0 to: ::1/129 }
EOF
	check_bad addr3.conf 4 "to: bad prefix length in '::1/129'"
	cat >addr4.conf <<'EOF'
socksmethod: none
internal: localhost
EOF
	check_bad addr4.conf 2 "internal: 'localhost' is not an IP address"

	cat >bindreply.conf <<'EOF'
internal: 127.0.0.1 port = 1080
socksmethod: gssapi
client pass { from: 0/0 to: 0/0 }
socks pass {
	from: 0/0 to: 0/0
	command: bindreply udpreply
	socksmethod: gssapi
}
EOF
	check_bad bindreply.conf 7 "keyword 'socksmethod' cannot apply to a rule \
for bindreply or udpreply only"

	cat >nointernal.conf <<'EOF'
# No internal: line at all.
socksmethod: none
client pass { from: 0/0 to: 0/0 }
socks pass { from: 0/0 to: 0/0 }
EOF
	check_bad nointernal.conf "" "no internal address"

	atf_check -s exit:1 -o empty \
	    -e match:"^sockd: no-such\.conf: No such file or directory\$" \
	    -e not-match:"configuration OK" "${SOCKD}" -V -f no-such.conf

	# Started for real, a bad configuration stops it before it
	# listens.
	port=$(free_port) || atf_fail "free_port"
	cat >start.conf <<EOF
socksmethod: none
user.libwrap: nobody
internal: 127.0.0.1 port = ${port}
EOF
	atf_check -s exit:1 -o empty \
	    -e match:"^sockd: start\.conf:2: keyword 'user\.libwrap' is not" \
	    timeout 20 "${SOCKD}" -d 1 -f start.conf
	port_listening "${port}" && atf_fail "port ${port} listens"
	return 0
}

# keytab_conf FILE PORT KEYTAB: gssapi on 127.0.0.1 with that keytab.
keytab_conf()
{
	cat >"$1" <<EOF
socksmethod: gssapi
internal: 127.0.0.1 port = $2
user.privileged: root
user.unprivileged: nobody
gssapi.keytab: $3
gssapi.servicename: rcmd/localhost
client pass { from: 127.0.0.0/8 to: 0/0 }
socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 }
EOF
}

setup_realm()
{
	need_sockd
	realm_setup "$(pwd -P)/realm" || atf_fail "realm_setup failed"
	KEYTAB=$(pwd -P)/realm/sockd.keytab
	atf_check -o match:"rcmd/localhost@SOCKD\.TEST" "${REALM_KTUTIL}" \
	    -k "${KEYTAB}" list
}

atf_test_case keytab_good cleanup
keytab_good_head()
{
	atf_set descr "With the realm's keytab, mode 0600, sockd starts" \
	    "with gssapi (the control for the keytab_* cases)"
	atf_set require.user root
}
keytab_good_body()
{
	setup_realm
	port=$(free_port) || atf_fail "free_port"
	keytab_conf good.conf "${port}" "${KEYTAB}"
	check_ok good.conf
	sockd_start good.conf "${port}" || atf_fail "sockd did not start"
	wait_log "parent: ready" || atf_fail "sockd did not get ready"
	# It offers gssapi and nothing else.
	atf_check "${TOOLS}/rawsock" -t 5 127.0.0.1 "${port}" \
	    send "05 02 00 01" expect "05 01"
	atf_check "${TOOLS}/rawsock" -t 5 127.0.0.1 "${port}" \
	    send "05 01 00" expect "05 ff" expecteof
	sockd_stop || atf_fail "sockd needed SIGKILL"
}
keytab_good_cleanup()
{
	config_cleanup
}

atf_test_case keytab_mode cleanup
keytab_mode_head()
{
	atf_set descr "A keytab readable by group or others, or not owned" \
	    "by root, stops sockd at start-up"
	atf_set require.user root
}
keytab_mode_body()
{
	setup_realm
	port=$(free_port) || atf_fail "free_port"
	cp realm/sockd.keytab open.keytab || atf_fail "cp"
	kt=$(pwd -P)/open.keytab
	keytab_conf open.conf "${port}" "${kt}"
	for mode in 0640 0604 0644 0660; do
		chmod "${mode}" open.keytab
		atf_check -s exit:1 -o empty \
		    -e match:"${kt}: readable by group or others \(mode ${mode}\)" \
		    timeout 20 "${SOCKD}" -d 1 -f open.conf
		port_listening "${port}" && atf_fail "port ${port} listens"
	done
	chmod 0600 open.keytab
	chown nobody open.keytab || atf_fail "chown"
	atf_check -s exit:1 -o empty \
	    -e match:"gssapi\.keytab ${kt}: not owned by root" \
	    timeout 20 "${SOCKD}" -d 1 -f open.conf
	port_listening "${port}" && atf_fail "port ${port} listens"
	return 0
}
keytab_mode_cleanup()
{
	config_cleanup
}

atf_test_case keytab_missing cleanup
keytab_missing_head()
{
	atf_set descr "A keytab that does not exist stops sockd at" \
	    "start-up with its path in the message"
	atf_set require.user root
}
keytab_missing_body()
{
	setup_realm
	port=$(free_port) || atf_fail "free_port"
	kt=$(pwd -P)/no-such-dir/sockd.keytab
	keytab_conf missing.conf "${port}" "${kt}"
	# The configuration itself is fine ...
	check_ok missing.conf
	# ... but there is no keytab to serve gssapi with.
	atf_check -s exit:1 -o empty \
	    -e match:"gssapi\.keytab ${kt}: No such file or directory" \
	    timeout 20 "${SOCKD}" -d 1 -f missing.conf
	port_listening "${port}" && atf_fail "port ${port} listens"
	keytab_conf missing2.conf "${port}" "FILE:$(pwd -P)/absent.keytab"
	atf_check -s exit:1 -o empty -e match:"$(pwd -P)/absent\.keytab" \
	    timeout 20 "${SOCKD}" -d 1 -f missing2.conf
	port_listening "${port}" && atf_fail "port ${port} listens"
	return 0
}
keytab_missing_cleanup()
{
	config_cleanup
}

atf_test_case keytab_wrong cleanup
keytab_wrong_head()
{
	atf_set descr "A keytab without a key for the service stops sockd;" \
	    "authd names the principal"
	atf_set require.user root
}
keytab_wrong_body()
{
	setup_realm
	realm_keytab realm other/localhost "$(pwd -P)/other.keytab" ||
	    atf_fail "realm_keytab"
	atf_check -o match:"other/localhost@SOCKD\.TEST" \
	    -o not-match:"rcmd/localhost" "${REALM_KTUTIL}" -k other.keytab \
	    list
	port=$(free_port) || atf_fail "free_port"
	keytab_conf wrong.conf "${port}" "$(pwd -P)/other.keytab"
	check_ok wrong.conf
	atf_check -s exit:1 -o empty \
	    -e match:"authd: .*has no key for rcmd/localhost" \
	    -e not-match:"parent: ready" \
	    timeout 30 "${SOCKD}" -d 1 -f wrong.conf
	port_listening "${port}" && atf_fail "port ${port} listens"
	return 0
}
keytab_wrong_cleanup()
{
	config_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case version
	atf_add_test_case kerberos_site
	atf_add_test_case internals
	atf_add_test_case every_keyword
	atf_add_test_case internal_before_rules
	atf_add_test_case bad_keywords
	atf_add_test_case bad_values
	atf_add_test_case keytab_good
	atf_add_test_case keytab_mode
	atf_add_test_case keytab_missing
	atf_add_test_case keytab_wrong
}

#! /usr/bin/env atf-sh
#
# sockd with socksmethod gssapi, end to end: a real Heimdal KDC on
# 127.0.0.1, the daemon as built, and our client built against Heimdal
# (gsocks) and against MIT (gsocks-mit).  Each protection level carries
# 1 MiB byte-exact both ways through echod; gssapi.enctype and
# clientcompatibility decide, per matching client rule, what is granted;
# credentials that cannot work are refused with a clear message on the
# client and an audit line on the server; and the privilege separation
# keeps GSS-API and the keytab out of the front end.  Every refusal is
# followed by a session that must still work.  Hostile bytes on the
# wire are in gss_bad_test.sh.

. "$(atf_get_srcdir)/../lib/sockd.subr"
. "$(atf_get_srcdir)/../lib/realm.subr"

# The 1 MiB transfers, and how the audit line counts them.
DATA_SIZE=1M
DATA_SEED=1961
BYTES="bytes_out=1048576 bytes_in=1048576 "
# How authd words a level it does not grant.
ASKED="client asked for"

# The words of authd's refusal of a ticket for another service.
ticket_for()
{
	echo "the ticket is for $(echo "$1" | sed 's/\./\\./g')@SOCKD\\.TEST"
}

need_tools()
{
	local t

	for t in echod pattern freeport gssraw timeshift.so; do
		[ -e "${TOOLS}/${t}" ] ||
		    atf_fail "${TOOLS}/${t} is not built (make build)"
	done
	for t in "${SOCKD}" "${GSOCKS}" "${GSOCKS_MIT}"; do
		[ -x "${t}" ] || atf_fail "${t} is not built (make)"
	done
}

# A realm, an echo server (ECHO is its port) and the transfer data.
gss_setup()
{
	need_tools
	realm_setup "$(pwd -P)/realm" || atf_fail "realm_setup failed"
	echod_start echo -t 170 || atf_fail "echod did not start"
	ECHO=$(port_of echo)
	"${TOOLS}/pattern" gen "${DATA_SIZE}" "${DATA_SEED}" >data.in ||
	    atf_fail "pattern gen"
}

gss_cleanup()
{
	sockd_stop
	bg_stop_all
	realm_teardown "$(pwd -P)/realm"
}

# conf_head PORT: the global part every configuration here shares.
conf_head()
{
	cat <<EOF
logoutput: stderr
internal: 127.0.0.1 port = $1
socksmethod: gssapi
user.privileged: root
user.unprivileged: nobody
gssapi.keytab: $(pwd -P)/realm/sockd.keytab
gssapi.servicename: rcmd/localhost
timeout.negotiate: 10
EOF
}

# conf_socks_rule: the socks rule that lets loopback connect to
# loopback.
conf_socks_rule()
{
	cat <<EOF
socks pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
	command: connect
}
EOF
}

# two_ports: P1 and P2, two different free ports.
two_ports()
{
	local i

	P1=$(free_port) || atf_fail "free_port"
	for i in 1 2 3 4 5; do
		P2=$(free_port) || atf_fail "free_port"
		[ "${P2}" != "${P1}" ] && return 0
	done
	atf_fail "no second free port"
}

# start CONF PORT...: start sockd and wait for every listener.
start()
{
	local conf=$1 p

	shift
	sockd_start "${conf}" "$1" || atf_fail "sockd did not start"
	for p in "$@"; do
		wait_port "${p}" 10 || atf_fail "port ${p} does not listen"
	done
}

# events EVENT: the audit lines of that event.
events()
{
	grep -E "event=$1( |\$)" "${SOCKD_LOG}"
}

# count_events EVENT N [PATTERN]: exactly N lines of that event (that
# also match PATTERN).
count_events()
{
	local n

	n=$(events "$1" | grep -E -c -e "${3:-.}")
	[ "${n}" -eq "$2" ] || {
		echo "--- ${SOCKD_LOG}:"
		cat "${SOCKD_LOG}"
		atf_fail "wanted $2 event=$1 lines matching '${3:-.}'," \
		    "found ${n}"
	}
}

# last_event EVENT: the most recent line of that event.  The relay
# logs session-end before it closes the client's connection, so the
# line is there once the client has exited.
last_event()
{
	events "$1" | tail -n 1
}

# transfer CLIENT PORT LEVEL [ARG ...]: 1 MiB to echod and back through
# sockd at LEVEL, byte-exact, and the audit lines that say so.
transfer()
{
	local client=$1 port=$2 level=$3

	shift 3
	rm -f data.out
	atf_check -s exit:0 -o save:data.out -e ignore "${client}" connect \
	    -s rcmd/localhost -l "${level}" "$@" -p "127.0.0.1:${port}" \
	    "127.0.0.1:${ECHO}" <data.in
	atf_check "${TOOLS}/pattern" check "${DATA_SIZE}" "${DATA_SEED}" \
	    <data.out
	last_event auth-ok >last.auth
	atf_check -o match:"principal=alice@SOCKD\.TEST level=${level}" \
	    cat last.auth
	last_event session-end >last.end
	atf_check -o match:"level=${level} protect=[^ ]* command=connect" \
	    -o match:"target=127\.0\.0\.1:${ECHO} ${BYTES}" \
	    -o match:'reason="closed"' cat last.end
}

# refused CLIENT PORT STATUS LEVEL [ARG ...]: the client exits STATUS;
# its message is in client.err.
refused()
{
	local client=$1 port=$2 status=$3 level=$4

	shift 4
	atf_check -s exit:"${status}" -o empty -e save:client.err \
	    "${client}" connect -s rcmd/localhost -l "${level}" "$@" \
	    -p "127.0.0.1:${port}" "127.0.0.1:${ECHO}" </dev/null
}

# ---------------------------------------------------------------------

levels_for()
{
	local client=$1 port l

	gss_setup
	port=$(free_port)
	{
		conf_head "${port}"
		echo "gssapi.enctype: clear integrity confidentiality"
		echo "client pass { from: 127.0.0.0/8 to: 0/0 }"
		conf_socks_rule
	} >sockd.conf
	start sockd.conf "${port}"
	for l in clear integrity confidentiality; do
		transfer "${client}" "${port}" "${l}"
	done
	count_events auth-ok 3
	count_events session-end 3 "${BYTES}.*reason=\"closed\""
	count_events auth-fail 0
	count_events negotiate-fail 0
}

atf_test_case levels_heimdal cleanup
levels_heimdal_head()
{
	atf_set descr "Clear, integrity and confidentiality, each with 1 MiB" \
	    "byte-exact both ways, with the client built against Heimdal"
	atf_set require.user root
	atf_set timeout 60
}
levels_heimdal_body()
{
	levels_for "${GSOCKS}"
}
levels_heimdal_cleanup()
{
	gss_cleanup
}

atf_test_case levels_mit cleanup
levels_mit_head()
{
	atf_set descr "Clear, integrity and confidentiality, each with 1 MiB" \
	    "byte-exact both ways, with the client built against MIT"
	atf_set require.user root
	atf_set timeout 60
}
levels_mit_body()
{
	levels_for "${GSOCKS_MIT}"
}
levels_mit_cleanup()
{
	gss_cleanup
}

atf_test_case enctype_integrity cleanup
enctype_integrity_head()
{
	atf_set descr "gssapi.enctype: integrity refuses confidentiality" \
	    "with the abort message and grants integrity"
	atf_set require.user root
	atf_set timeout 60
}
enctype_integrity_body()
{
	gss_setup
	port=$(free_port)
	{
		conf_head "${port}"
		echo "gssapi.enctype: integrity"
		echo "client pass { from: 127.0.0.0/8 to: 0/0 }"
		conf_socks_rule
	} >sockd.conf
	start sockd.conf "${port}"

	for c in "${GSOCKS}" "${GSOCKS_MIT}"; do
		refused "${c}" "${port}" 3 confidentiality
		atf_check -o match:"refused protection level confidentiality" \
		    cat client.err
	done
	count_events auth-fail 2 "principal=alice@SOCKD\\.TEST \
reason=\"${ASKED} confidentiality, rule allows integrity\""
	# On the wire: the level message answered by 01 ff, then the close.
	atf_check -o match:'^local 127\.0\.0\.1:' "${TOOLS}/gssraw" \
	    127.0.0.1 "${port}" greet context sendlevel confidentiality \
	    expectabort expecteof
	count_events auth-fail 3 'rule allows integrity"'
	count_events auth-ok 0
	# Clear is not in the list either.
	refused "${GSOCKS}" "${port}" 3 clear
	count_events auth-fail 1 "${ASKED} clear, rule allows integrity\""

	transfer "${GSOCKS}" "${port}" integrity
	transfer "${GSOCKS_MIT}" "${port}" integrity
}
enctype_integrity_cleanup()
{
	gss_cleanup
}

atf_test_case enctype_default cleanup
enctype_default_head()
{
	atf_set descr "Without gssapi.enctype, clear is refused and" \
	    "integrity and confidentiality are granted"
	atf_set require.user root
	atf_set timeout 60
}
enctype_default_body()
{
	gss_setup
	port=$(free_port)
	{
		conf_head "${port}"
		echo "client pass { from: 127.0.0.0/8 to: 0/0 }"
		conf_socks_rule
	} >sockd.conf
	start sockd.conf "${port}"

	refused "${GSOCKS}" "${port}" 3 clear
	atf_check -o match:"refused protection level clear" cat client.err
	refused "${GSOCKS_MIT}" "${port}" 3 clear
	count_events auth-fail 2 "reason=\"${ASKED} clear, \
rule allows integrity or confidentiality\""
	atf_check -o ignore "${TOOLS}/gssraw" 127.0.0.1 "${port}" greet \
	    context sendlevel clear expectabort expecteof
	# Levels above 2 are never granted either.
	atf_check -o ignore "${TOOLS}/gssraw" 127.0.0.1 "${port}" greet \
	    context sendlevel 3 expectabort expecteof
	count_events auth-fail 1 'protection level 3'
	count_events auth-ok 0

	transfer "${GSOCKS}" "${port}" integrity
	transfer "${GSOCKS}" "${port}" confidentiality
	transfer "${GSOCKS_MIT}" "${port}" confidentiality
}
enctype_default_cleanup()
{
	gss_cleanup
}

atf_test_case enctype_rule cleanup
enctype_rule_head()
{
	atf_set descr "gssapi.enctype in client rules: the matching rule's" \
	    "setting decides, by listener and by source address"
	atf_set require.user root
	atf_set timeout 60
}
enctype_rule_body()
{
	gss_setup
	two_ports
	p1=${P1}
	p2=${P2}
	# The global setting allows everything: only the rules restrict.
	{
		conf_head "${p1}"
		echo "internal: 127.0.0.1 port = ${p2}"
		echo "gssapi.enctype: clear integrity confidentiality"
		cat <<EOF
client pass {
	from: 127.0.0.2/32 to: 0/0
	gssapi.enctype: clear
}
client pass {
	from: 127.0.0.0/8 to: 127.0.0.1/32 port = ${p1}
	gssapi.enctype: integrity
}
client pass {
	from: 127.0.0.0/8 to: 127.0.0.1/32 port = ${p2}
	gssapi.enctype: confidentiality
}
EOF
		conf_socks_rule
	} >sockd.conf
	start sockd.conf "${p1}" "${p2}"

	# Listener 1: integrity only.
	refused "${GSOCKS}" "${p1}" 3 confidentiality
	refused "${GSOCKS}" "${p1}" 3 clear
	count_events auth-fail 2 'rule allows integrity"'
	transfer "${GSOCKS}" "${p1}" integrity
	transfer "${GSOCKS_MIT}" "${p1}" integrity

	# Listener 2: confidentiality only.
	refused "${GSOCKS}" "${p2}" 3 integrity
	refused "${GSOCKS_MIT}" "${p2}" 3 integrity
	count_events auth-fail 2 \
	    "${ASKED} integrity, rule allows confidentiality\""
	transfer "${GSOCKS}" "${p2}" confidentiality
	transfer "${GSOCKS_MIT}" "${p2}" confidentiality

	# From 127.0.0.2, on either listener: the first rule, clear only.
	atf_check -o match:'^local 127\.0\.0\.2:' "${TOOLS}/gssraw" \
	    -b 127.0.0.2 127.0.0.1 "${p2}" greet context level clear \
	    connect "127.0.0.1:${ECHO}" echo 256K 3 shut expecteof
	last_event auth-ok >last.auth
	atf_check -o match:"level=clear" -o match:"client=127\.0\.0\.2:" \
	    cat last.auth
	atf_check -o ignore "${TOOLS}/gssraw" -b 127.0.0.2 127.0.0.1 \
	    "${p1}" greet context sendlevel integrity expectabort expecteof
	count_events auth-fail 1 \
	    "client=127\\.0\\.0\\.2:.*${ASKED} integrity, rule allows clear\""

	transfer "${GSOCKS}" "${p2}" confidentiality
}
enctype_rule_cleanup()
{
	gss_cleanup
}

atf_test_case servicename_rule cleanup
servicename_rule_head()
{
	atf_set descr "gssapi.servicename in a client rule: that listener" \
	    "takes tickets for its service only"
	atf_set require.user root
	atf_set timeout 60
}
servicename_rule_body()
{
	gss_setup
	two_ports
	p1=${P1}
	p2=${P2}
	{
		conf_head "${p1}"
		echo "internal: 127.0.0.1 port = ${p2}"
		cat <<EOF
client pass {
	from: 127.0.0.0/8 to: 127.0.0.1/32 port = ${p2}
	gssapi.servicename: socks/localhost
}
client pass { from: 127.0.0.0/8 to: 0/0 }
EOF
		conf_socks_rule
	} >sockd.conf
	start sockd.conf "${p1}" "${p2}"

	refused "${GSOCKS}" "${p2}" 2 confidentiality
	atf_check -o match:"the server refused authentication" cat client.err
	count_events auth-fail 1 \
	    "$(ticket_for rcmd/localhost), the rule accepts socks/localhost\""
	transfer "${GSOCKS}" "${p2}" confidentiality -s socks/localhost
	transfer "${GSOCKS_MIT}" "${p2}" integrity -s socks/localhost
	refused "${GSOCKS}" "${p1}" 2 confidentiality -s socks/localhost
	count_events auth-fail 1 \
	    "$(ticket_for socks/localhost), the rule accepts rcmd/localhost\""
	transfer "${GSOCKS}" "${p1}" confidentiality
}
servicename_rule_cleanup()
{
	gss_cleanup
}

atf_test_case nec cleanup
nec_head()
{
	atf_set descr "NEC's unprotected level message: refused unless the" \
	    "matching client rule has clientcompatibility: necgssapi, and" \
	    "logged as a downgrade when taken"
	atf_set require.user root
	atf_set timeout 60
}
nec_body()
{
	gss_setup
	two_ports
	p1=${P1}
	p2=${P2}
	{
		conf_head "${p1}"
		echo "internal: 127.0.0.1 port = ${p2}"
		cat <<EOF
client pass {
	from: 127.0.0.0/8 to: 127.0.0.1/32 port = ${p2}
	clientcompatibility: necgssapi
}
client pass { from: 127.0.0.0/8 to: 0/0 }
EOF
		conf_socks_rule
	} >sockd.conf
	start sockd.conf "${p1}" "${p2}"

	# Listener 1 has no necgssapi: -N is refused, with an audit line.
	refused "${GSOCKS}" "${p1}" 3 confidentiality -N
	atf_check -o match:"refused protection level" cat client.err
	refused "${GSOCKS_MIT}" "${p1}" 3 integrity -N
	count_events auth-fail 2 "principal=alice@SOCKD\\.TEST \
reason=\"protection level sent in the clear.*necgssapi\""
	atf_check -o ignore "${TOOLS}/gssraw" -N 127.0.0.1 "${p1}" greet \
	    context sendlevel confidentiality expectabort expecteof
	count_events auth-fail 3 'necgssapi"'
	count_events auth-ok 0
	transfer "${GSOCKS}" "${p1}" confidentiality

	# Listener 2 takes it, says so each time, and still takes the
	# RFC 1961 form.
	transfer "${GSOCKS}" "${p2}" confidentiality -N
	count_events auth-ok 1 'level=confidentiality downgrade=necgssapi'
	transfer "${GSOCKS_MIT}" "${p2}" integrity -N
	count_events auth-ok 1 'level=integrity downgrade=necgssapi'
	atf_check -o ignore "${TOOLS}/gssraw" -N 127.0.0.1 "${p2}" greet \
	    context level confidentiality connect "127.0.0.1:${ECHO}" \
	    echo 64K 5 shut expecteof
	count_events auth-ok 3 'downgrade=necgssapi'
	transfer "${GSOCKS}" "${p2}" confidentiality
	transfer "${GSOCKS_MIT}" "${p2}" integrity
	events auth-ok | tail -n 2 >last.auth
	atf_check -o match:"level=integrity" -o not-match:"downgrade" \
	    cat last.auth
	# Even with necgssapi, clear stays refused by the default enctype.
	refused "${GSOCKS}" "${p2}" 3 clear -N
	count_events auth-fail 1 'client asked for clear'
}
nec_cleanup()
{
	gss_cleanup
}

# ---------------------------------------------------------------------

# A configuration taking rcmd/localhost with the default levels.
plain_setup()
{
	gss_setup
	port=$(free_port)
	{
		conf_head "${port}"
		echo "client pass { from: 127.0.0.0/8 to: 0/0 }"
		conf_socks_rule
	} >sockd.conf
	start sockd.conf "${port}"
}

atf_test_case wrong_service cleanup
wrong_service_head()
{
	atf_set descr "A ticket for another service in the keytab" \
	    "(socks/localhost) is refused: exit 2 and an audit line"
	atf_set require.user root
	atf_set timeout 60
}
wrong_service_body()
{
	plain_setup
	refused "${GSOCKS}" "${port}" 2 confidentiality -s socks/localhost
	atf_check -o match:"the server refused authentication" cat client.err
	refused "${GSOCKS_MIT}" "${port}" 2 confidentiality \
	    -s socks/localhost
	count_events auth-fail 2 "reason=\"wrong service principal: \
$(ticket_for socks/localhost), the rule accepts rcmd/localhost\""
	count_events auth-ok 0
	transfer "${GSOCKS}" "${port}" confidentiality
}
wrong_service_cleanup()
{
	gss_cleanup
}

atf_test_case unknown_principal cleanup
unknown_principal_head()
{
	atf_set descr "A service the KDC does not know fails in the client;" \
	    "one the KDC knows but the keytab lacks is refused by authd"
	atf_set require.user root
	atf_set timeout 60
}
unknown_principal_body()
{
	plain_setup
	for c in "${GSOCKS}" "${GSOCKS_MIT}"; do
		refused "${c}" "${port}" 2 confidentiality \
		    -s nosuch/localhost
		atf_check -o match:"KDC does not know the proxy's \
principal nosuch/localhost" cat client.err
	done
	# The client gave up before sending a token: nothing authenticated.
	count_events auth-ok 0
	count_events auth-fail 0

	realm_add_service realm other/localhost ||
	    atf_fail "realm_add_service"
	refused "${GSOCKS}" "${port}" 2 confidentiality -s other/localhost
	atf_check -o match:"the server refused authentication" cat client.err
	count_events auth-fail 1 \
	    'principal=- reason="gss_accept_sec_context: .*other/localhost@'
	count_events auth-ok 0
	transfer "${GSOCKS_MIT}" "${port}" confidentiality
}
unknown_principal_cleanup()
{
	gss_cleanup
}

atf_test_case no_ticket cleanup
no_ticket_head()
{
	atf_set descr "Without a credentials cache the client says to run" \
	    "kinit and exits 2"
	atf_set require.user root
	atf_set timeout 60
}
no_ticket_body()
{
	plain_setup
	for c in "${GSOCKS}" "${GSOCKS_MIT}"; do
		atf_check -s exit:2 -o empty -e save:client.err env \
		    KRB5CCNAME=FILE:$(pwd -P)/missing.cc "${c}" connect \
		    -s rcmd/localhost -p "127.0.0.1:${port}" \
		    "127.0.0.1:${ECHO}" </dev/null
		atf_check -o match:"no Kerberos ticket: run kinit" \
		    cat client.err
	done
	atf_check test ! -e missing.cc
	count_events auth-ok 0
	transfer "${GSOCKS}" "${port}" confidentiality
}
no_ticket_cleanup()
{
	gss_cleanup
}

atf_test_case expired_ticket cleanup
expired_ticket_head()
{
	atf_set descr "An expired ticket: the client says so on the real" \
	    "clock; sent from a shifted clock, the server refuses it"
	atf_set require.user root
	atf_set timeout 90
}
expired_ticket_body()
{
	plain_setup
	realm_kinit_expired realm alice rcmd/localhost ||
	    atf_fail "realm_kinit_expired"
	refused "${GSOCKS}" "${port}" 2 confidentiality
	atf_check -o match:"ticket has expired: run kinit" cat client.err
	refused "${GSOCKS_MIT}" "${port}" 2 confidentiality
	atf_check -o match:"expired" cat client.err
	count_events auth-fail 0

	# Shifted back to when the tickets were valid, both send them.
	realm_timeshift_env realm >/dev/null || atf_fail "timeshift env"
	for c in "${GSOCKS}" "${GSOCKS_MIT}"; do
		rc=0
		env $(realm_timeshift_env realm) "${c}" connect \
		    -s rcmd/localhost -t 20 -p "127.0.0.1:${port}" \
		    "127.0.0.1:${ECHO}" </dev/null >client.out \
		    2>client.err || rc=$?
		if [ "${rc}" -ne 2 ]; then
			echo "--- ${SOCKD_LOG}:"
			cat "${SOCKD_LOG}"
			atf_fail "$(basename "${c}") sent an expired ticket" \
			    "and exited ${rc}, not 2"
		fi
		atf_check -o match:"the server refused authentication" \
		    cat client.err
	done
	count_events auth-fail 2 'reason="gss_accept_sec_context: .*[Ee]xpired'
	count_events auth-ok 0

	realm_env realm
	transfer "${GSOCKS}" "${port}" confidentiality
}
expired_ticket_cleanup()
{
	gss_cleanup
}

# ---------------------------------------------------------------------

atf_test_case version
version_head()
{
	atf_set descr "sockd -v lists gssapi among its features"
}
version_body()
{
	[ -x "${SOCKD}" ] || atf_fail "${SOCKD} is not built"
	atf_check -o match:'^features: .*gssapi' -o match:'necgssapi' \
	    "${SOCKD}" -v
}

atf_test_case front_links_no_gss
front_links_no_gss_head()
{
	atf_set descr "sockd (parent and front end) links no GSS-API or" \
	    "Kerberos library; authd and the relays do"
	atf_set require.progs ldd nm
}
front_links_no_gss_body()
{
	[ -x "${SOCKD}" ] || atf_fail "${SOCKD} is not built"
	atf_check -o not-match:'gssapi|krb5|heimdal|k5crypto|hx509' \
	    ldd "${SOCKD}"
	atf_check -o save:symbols nm -D "${SOCKD}"
	atf_check -s exit:1 grep -E ' U (gss|krb5)_' symbols
	# The check above means something: the others do link it.
	atf_check -o match:'libgssapi' ldd "${TOP}/authd/sockd-auth"
	atf_check -o match:'libgssapi' ldd "${TOP}/relayd/sockd-relay"
}

# The daemon's children: "PID ROLE" lines, ROLE one of front, auth,
# relay, from their command lines.
children()
{
	local k cmd

	for k in $(pgrep -P "$1"); do
		cmd=$(tr '\0' ' ' <"/proc/${k}/cmdline" 2>/dev/null)
		case "${cmd}" in
		*"-P front"*)	echo "${k} front" ;;
		*sockd-auth*)	echo "${k} auth" ;;
		*sockd-relay*)	echo "${k} relay" ;;
		*)		echo "${k} other:${cmd}" ;;
		esac
	done
}

# no_keytab_open PID KEYTAB: the process neither holds it open nor
# maps it.
no_keytab_open()
{
	local fds

	fds=$(ls -l "/proc/$1/fd" 2>/dev/null) ||
	    atf_fail "cannot read /proc/$1/fd"
	case "${fds}" in
	*"$2"*)
		echo "${fds}"
		atf_fail "process $1 has the keytab open"
		;;
	esac
	grep -q -F "$2" "/proc/$1/maps" &&
	    atf_fail "process $1 maps the keytab"
	return 0
}

atf_test_case keytab_fds cleanup
keytab_fds_head()
{
	atf_set descr "Once sockd runs (and after a session), no child holds" \
	    "the keytab open or can reach it from its chroot"
	atf_set require.user root
	atf_set timeout 60
}
keytab_fds_body()
{
	plain_setup
	kt=$(pwd -P)/realm/sockd.keytab
	pid=$(bg_pid sockd)
	transfer "${GSOCKS}" "${port}" confidentiality
	children "${pid}" >kids
	atf_check -o match:' front$' -o match:' auth$' -o match:' relay$' \
	    -o not-match:' other:' cat kids
	while read -r k role; do
		no_keytab_open "${k}" "${kt}"
		root=$(readlink "/proc/${k}/root")
		case "${role}" in
		front|auth|relay)
			[ "${root}" != / ] ||
			    atf_fail "the ${role} (pid ${k}) is not chrooted"
			[ ! -e "${root}${kt}" ] ||
			    atf_fail "the ${role} can reach the keytab"
			;;
		esac
	done <kids
	transfer "${GSOCKS_MIT}" "${port}" integrity
}
keytab_fds_cleanup()
{
	gss_cleanup
}

atf_test_case keytab_opened_by_parent cleanup
keytab_opened_by_parent_head()
{
	atf_set descr "Traced from start-up through a session, only the" \
	    "parent ever opens the keytab"
	atf_set require.user root
	atf_set require.progs strace
	atf_set timeout 60
}
keytab_opened_by_parent_body()
{
	gss_setup
	port=$(free_port)
	{
		conf_head "${port}"
		echo "client pass { from: 127.0.0.0/8 to: 0/0 }"
		conf_socks_rule
	} >sockd.conf
	# strace -D runs as a detached grandchild, so that sockd keeps the
	# pid sockd_start records and the usual stop applies.
	cat >traced-sockd <<EOF
#!/bin/sh
# Sanitizer builds: LeakSanitizer cannot work in a traced process.
ASAN_OPTIONS="\${ASAN_OPTIONS:+\${ASAN_OPTIONS}:}detect_leaks=0"
export ASAN_OPTIONS
exec strace -D -f -qq -e trace=open,openat,openat2,creat \
    -o "$(pwd -P)/trace.out" "${SOCKD}" "\$@"
EOF
	chmod +x traced-sockd
	real=${SOCKD}
	SOCKD=$(pwd -P)/traced-sockd
	start sockd.conf "${port}"
	SOCKD=${real}
	pid=$(bg_pid sockd)
	transfer "${GSOCKS}" "${port}" confidentiality
	transfer "${GSOCKS_MIT}" "${port}" integrity
	children "${pid}" >kids
	sockd_stop

	grep -F sockd.keytab trace.out >opens
	# The parent opened it (and with -f, each line starts with a pid).
	atf_check -o match:"^${pid} " cat opens
	atf_check -s exit:1 -o empty grep -v "^${pid} " opens
	# The trace did follow the children, or the check means nothing.
	while read -r k role; do
		grep -q "^${k} " trace.out ||
		    atf_fail "no system call of the ${role} (pid ${k}) traced"
	done <kids
}
keytab_opened_by_parent_cleanup()
{
	gss_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case levels_heimdal
	atf_add_test_case levels_mit
	atf_add_test_case enctype_integrity
	atf_add_test_case enctype_default
	atf_add_test_case enctype_rule
	atf_add_test_case servicename_rule
	atf_add_test_case nec
	atf_add_test_case wrong_service
	atf_add_test_case unknown_principal
	atf_add_test_case no_ticket
	atf_add_test_case expired_ticket
	atf_add_test_case version
	atf_add_test_case front_links_no_gss
	atf_add_test_case keytab_fds
	atf_add_test_case keytab_opened_by_parent
}

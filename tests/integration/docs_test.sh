#! /usr/bin/env atf-sh
#
# The operators' kit: the manual pages, the example configuration,
# etc/users.sh and "make install".
#
# The pages are checked against the code they describe, so that they
# cannot drift from it unnoticed: the keyword table of sockd/parse.y and
# its value tables against sockd.conf.5, the getopt strings against the
# options of each page, the audit lines of sockd/, authd/ and relayd/
# against the AUDIT LOG section of sockd.8, and gsocks' exit statuses
# against gsocks.1.  Every example configuration of sockd.conf.5 and
# etc/sockd.conf must be accepted by sockd -V without a warning.
#
# The example configurations name the _sockd and _sockdauth users, which
# sockd -V looks up, so the cases that check them run etc/users.sh first:
# it creates those system users and /var/empty if they are missing, as a
# site does once, and changes nothing if they exist.

. "$(atf_get_srcdir)/../lib/sockd.subr"

PAGES="gsocks.1 sockd.conf.5 sockd.8 sockd-auth.8 sockd-relay.8"

need_built()
{
	[ -x "${SOCKD}" ] || atf_fail "${SOCKD} is not built (make build)"
	command -v mandoc >/dev/null 2>&1 ||
	    atf_fail "mandoc is not installed (sh etc/deps.sh)"
}

need_users()
{
	id -u _sockd >/dev/null 2>&1 && id -u _sockdauth >/dev/null 2>&1 &&
	    return 0
	sh "${TOP}/etc/users.sh" >users.out 2>&1 || {
		cat users.out >&2
		atf_fail "etc/users.sh failed"
	}
}

# A configuration must be accepted as it is: "configuration OK" and not
# a word more, so that a warning fails the check too.
check_conf()
{
	cp "$1" check.conf || atf_fail "cannot copy $1"
	chmod 600 check.conf
	atf_check -s exit:0 -o empty -e inline:"configuration OK\n" \
	    "${SOCKD}" -V -f check.conf
}

# Keyword names of parse.y's table: KW and KW_OLD accepted (the latter
# deprecated), KW_NOTSUPP refused by name.
parse_keywords()
{
	sed -n '/^static const struct keyword keywords\[\] = {/,/^};/p' \
	    "${TOP}/sockd/parse.y" | grep -o "$1(\"[^\"]*\"" |
	    sed 's/^[^"]*"//; s/"$//'
}

# The names of a { "name", value } table of parse.y.
parse_table()
{
	sed -n "/ $1\[\] = {/,/^	*};/p" "${TOP}/sockd/parse.y" |
	    grep -o '{ "[^"]*",' | sed 's/^{ "//; s/",$//'
}

# The one-word string literals a function of parse.y compares values to.
parse_values()
{
	sed -n "/^$1(/,/^}/p" "${TOP}/sockd/parse.y" |
	    grep -o 'strcmp([a-z_>.-]*\[*[a-z]*\]*, "[a-z][a-z0-9._-]*")' |
	    sed 's/.*, "//; s/")$//'
}

# Every word of a line of sockd.conf.5 that holds a Cm or Ic macro.
page_words()
{
	awk '/^\./ && / (Cm|Ic) |^\.(Cm|Ic) / {
		for (i = 1; i <= NF; i++)
			print $i
	}' "${TOP}/man/$1" | sort -u
}

# The option letters of a getopt(3) string, one a line.
optletters()
{
	echo "$1" | sed 's/://g' | fold -w 1
}

# The getopt string of the first getopt() call after a line matching $2.
getopt_string()
{
	sed -n "/$2/,\$p" "$1" | grep -m 1 -o 'getopt(argc, argv, "[^"]*")' |
	    sed 's/.*"\([^"]*\)")$/\1/'
}

check_options()
{
	local page=$1 opts=$2 skip=$3 o

	[ -n "${opts}" ] || atf_fail "no getopt string found for ${page}"
	for o in $(optletters "${opts}"); do
		case "${skip}" in
		*"${o}"*)
			continue
			;;
		esac
		grep -q "^\.It Fl ${o}\( \|\$\)" "${TOP}/man/${page}" ||
		    atf_fail "${page} does not document -${o}"
	done
}

atf_test_case lint
lint_head()
{
	atf_set descr "mandoc -Tlint finds nothing in any manual page"
}
lint_body()
{
	local p out xr

	need_built
	for p in ${PAGES}; do
		[ -f "${TOP}/man/${p}" ] || atf_fail "man/${p} is missing"
		# Whether a page that .Xr names is installed on this machine,
		# and whether the system's mandoc.db is current, are no
		# faults of the page; our own pages are checked below.
		out=$(mandoc -Tlint "${TOP}/man/${p}" 2>&1 |
		    grep -v -e 'STYLE: referenced manual not found' \
		    -e 'outdated mandoc.db lacks')
		[ -z "${out}" ] || atf_fail "mandoc -Tlint ${p}: ${out}"
		grep -q '^\.Dd \$Mdocdate: [A-Z][a-z]* [0-9]* [0-9]* \$$' \
		    "${TOP}/man/${p}" || atf_fail "${p}: no .Dd \$Mdocdate\$"
	done
	# A reference to one of ours must name a page that exists.
	for xr in $(cat "${TOP}"/man/* |
	    sed -n 's/^\.Xr \(sockd[^ ]*\|gsocks\) \([1-9]\).*/\1.\2/p' |
	    sort -u); do
		[ -f "${TOP}/man/${xr}" ] ||
		    atf_fail "a page refers to ${xr}, which does not exist"
	done
}

atf_test_case conf_keywords
conf_keywords_head()
{
	atf_set descr "sockd.conf.5 documents every keyword of parse.y's" \
	    "table, the accepted ones as such and the refused ones in its" \
	    "list of refused keywords, and no keyword the table lacks"
}
conf_keywords_body()
{
	local accepted refused documented kw

	need_built
	accepted=$(parse_keywords KW; parse_keywords KW_OLD)
	refused=$(parse_keywords KW_NOTSUPP)
	[ $(echo "${accepted}" | wc -w) -ge 20 ] ||
	    atf_fail "could not read the keyword table of parse.y"
	[ $(echo "${refused}" | wc -w) -ge 10 ] ||
	    atf_fail "could not read the refused keywords of parse.y"

	# NAME WHERE for every ".It Ic NAME": "refused" in the refused
	# list of MIGRATION FROM DANTE, "doc" elsewhere.
	awk '/^\.Sh / { sh = $0 } /^\.Ss / { ss = $0 }
	    /^\.It Ic / {
		where = (sh ~ /MIGRATION/ && ss ~ /Refused/) ? "refused" : "doc"
		print $3, where
	    }' "${TOP}/man/sockd.conf.5" | sort -u >items
	for kw in ${accepted}; do
		grep -qxF "${kw} doc" items ||
		    atf_fail "sockd.conf.5 has no entry for keyword ${kw}"
		if grep -qxF "${kw} refused" items; then
			atf_fail "sockd.conf.5 lists ${kw} as refused"
		fi
	done
	for kw in ${refused}; do
		grep -qxF "${kw} refused" items ||
		    atf_fail "sockd.conf.5 does not list ${kw} as refused"
		if grep -qxF "${kw} doc" items; then
			atf_fail "sockd.conf.5 documents refused keyword ${kw}"
		fi
	done
	documented=$(awk '{ print $1 }' items | sort -u)
	for kw in ${documented}; do
		echo "${accepted} ${refused}" | tr ' ' '\n' |
		    grep -qxF "${kw}" ||
		    atf_fail "sockd.conf.5 documents ${kw}, which parse.y" \
		    "does not know"
	done

	# The families of Dante keywords refused by prefix.
	for kw in $(sed -n '/unsupported_prefixes\[\] = {/,/^};/p' \
	    "${TOP}/sockd/parse.y" | grep -o '"[a-z]*\."' | tr -d '"'); do
		grep -q "^\.Ic ${kw}\* " "${TOP}/man/sockd.conf.5" ||
		    grep -q "^\.Ic ${kw}\*\$" "${TOP}/man/sockd.conf.5" ||
		    atf_fail "sockd.conf.5 does not name the ${kw}* family"
	done
}

atf_test_case conf_values
conf_values_head()
{
	atf_set descr "sockd.conf.5 names every value parse.y accepts or" \
	    "refuses by name: methods, levels, commands, log words, port" \
	    "names and syslog facilities"
}
conf_values_body()
{
	local v n=0

	need_built
	page_words sockd.conf.5 >words
	for v in $(parse_table services; parse_table facilities
	    parse_table cmds; parse_table logs
	    sed -n '/dante_methods\[\] = {/,/^};/p' "${TOP}/sockd/parse.y" |
	    grep -o '"[^"]*"' | tr -d '"'
	    for f in p_method conf_enctype conf_clientcompat conf_protocol \
	    conf_log conf_gss conf_logoutput; do parse_values "${f}"; done); do
		n=$((n + 1))
		grep -qxF "${v}" words ||
		    atf_fail "sockd.conf.5 does not name the value ${v}"
	done
	[ "${n}" -ge 60 ] || atf_fail "read only ${n} values from parse.y"
}

atf_test_case conf_examples
conf_examples_head()
{
	atf_set descr "Every example configuration in sockd.conf.5 passes" \
	    "sockd -V without a warning"
	atf_set require.user root
}
conf_examples_body()
{
	local f n

	need_built
	need_users
	awk '/^\.Bd -literal/ { n++; f = sprintf("example.%d", n); inb = 1;
		printf "" > f; next }
	    /^\.Ed/ { if (inb) { inb = 0; close(f) } next }
	    inb { print > f }' "${TOP}/man/sockd.conf.5"
	n=$(ls example.* 2>/dev/null | wc -l)
	[ "${n}" -ge 3 ] || atf_fail "only ${n} examples in sockd.conf.5"
	for f in example.*; do
		# What is extracted must be what the reader sees.
		if grep -q '\\' "${f}"; then
			atf_fail "${f}: a roff escape in an example"
		fi
		check_conf "${f}"
	done
}
atf_test_case etc_conf
etc_conf_head()
{
	atf_set descr "etc/sockd.conf passes sockd -V without a warning"
	atf_set require.user root
}
etc_conf_body()
{
	need_built
	need_users
	check_conf "${TOP}/etc/sockd.conf"
}

atf_test_case options
options_head()
{
	atf_set descr "Every option of sockd, sockd-auth, sockd-relay and" \
	    "gsocks connect is documented, and gsocks.1 has every exit status"
}
options_body()
{
	local n

	need_built
	# -P (the front end's role) and -L (the log file descriptor) are
	# what the parent passes its own children.
	check_options sockd.8 "$(getopt_string "${TOP}/sockd/sockd.c" \
	    '^main(')" PL
	check_options sockd-auth.8 "$(getopt_string "${TOP}/authd/authd.c" \
	    '^main(')" ""
	check_options sockd-relay.8 "$(getopt_string \
	    "${TOP}/relayd/relayd.c" '^main(')" ""
	check_options gsocks.1 "$(getopt_string "${TOP}/client/gsocks.c" \
	    '^connect_main(')" ""

	for n in $(sed -n \
	    's/^#define.*GS_EXIT_[A-Z]*[[:space:]]*\([0-9]*\).*/\1/p' \
	    "${TOP}/client/gsocks.h"); do
		sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "${TOP}/man/gsocks.1" |
		    grep -qx "\.It ${n}" ||
		    atf_fail "gsocks.1 does not document exit status ${n}"
	done
}

atf_test_case audit
audit_head()
{
	atf_set descr "The AUDIT LOG section of sockd.8 documents every" \
	    "event= and every key the daemons log"
}
audit_body()
{
	local e k src

	need_built
	src="${TOP}/sockd/frontend.c ${TOP}/sockd/sockd.c
	    $(ls "${TOP}"/authd/*.c "${TOP}"/relayd/*.c)"
	# The string literals of the log_audit() calls, and those with
	# "key=%" anywhere (parts of audit lines built elsewhere).
	# shellcheck disable=SC2086
	awk '/log_audit\(/ { on = 1 } on { print } on && /\);/ { on = 0 }' \
	    ${src} | sed 's/\\"//g' | grep -o '"[^"]*"' >audit.lit
	# shellcheck disable=SC2086
	cat ${src} | sed 's/\\"//g' | grep -o '"[^"]*"' |
	    grep -oE '(^"| )[a-z_]+=%' | tr -d '" %' >>audit.lit
	grep -o 'event=[a-z-]*' audit.lit | sort -u >events
	grep -oE '(^"| |^)[a-z_]+=' audit.lit | tr -d '" =' |
	    grep -vx event | sort -u >keys
	[ $(wc -l <events) -ge 6 ] || atf_fail "found too few audit events"
	[ $(wc -l <keys) -ge 10 ] || atf_fail "found too few audit keys"

	sed -n '/^\.Sh AUDIT LOG/,/^\.Sh /p' "${TOP}/man/sockd.8" >section
	for e in $(cat events); do
		case "${e}" in
		*-)	# "event=client-%s": at least one of its kind.
			grep -q "^\.It Cm ${e}[a-z]" section ||
			    atf_fail "sockd.8 documents no ${e}* event"
			;;
		*)
			grep -qx "\.It Cm ${e}" section ||
			    atf_fail "sockd.8 does not document ${e}"
			;;
		esac
	done
	for k in $(cat keys); do
		grep -qx "\.It Cm ${k}" section ||
		    atf_fail "sockd.8 does not document the audit key ${k}"
	done
}

atf_test_case install cleanup
install_head()
{
	atf_set descr "make install DESTDIR=... PREFIX=/usr/local installs" \
	    "the expected files with the expected modes, and a second" \
	    "install keeps a changed sockd.conf"
	atf_set require.user root
}
install_body()
{
	local d f

	need_built
	need_users
	d=$(pwd -P)/root
	atf_check -s exit:0 -o save:install.out -e ignore sh -c \
	    "cd '${TOP}' && make install DESTDIR='${d}' PREFIX=/usr/local"

	cat >expected <<EOF
-r-xr-xr-x ./usr/local/sbin/sockd
-r-xr-xr-x ./usr/local/libexec/sockd/sockd-auth
-r-xr-xr-x ./usr/local/libexec/sockd/sockd-relay
-r-xr-xr-x ./usr/local/bin/gsocks
-r--r--r-- ./usr/local/share/man/man1/gsocks.1
-r--r--r-- ./usr/local/share/man/man5/sockd.conf.5
-r--r--r-- ./usr/local/share/man/man8/sockd.8
-r--r--r-- ./usr/local/share/man/man8/sockd-auth.8
-r--r--r-- ./usr/local/share/man/man8/sockd-relay.8
-rw-r--r-- ./etc/sockd.conf
EOF
	sort -k 2 expected >expected.sorted
	(cd "${d}" && find . ! -type d -printf '%M %p\n') | sort -k 2 >got
	atf_check -o empty diff -u expected.sorted got
	(cd "${d}" && find . ! -user root) >notroot
	atf_check -o empty cat notroot
	for f in $(awk '{ print $2 }' expected); do
		grep -qF "${d}/${f#./}" install.out ||
		    atf_fail "make install did not say it installed ${f}"
	done

	# What was installed is what the tree holds, and it works.
	atf_check cmp "${TOP}/sockd/sockd" "${d}/usr/local/sbin/sockd"
	atf_check cmp "${TOP}/man/sockd.8" \
	    "${d}/usr/local/share/man/man8/sockd.8"
	atf_check -o match:'^sockd ' "${d}/usr/local/sbin/sockd" -v
	atf_check -s exit:0 -o empty -e inline:"configuration OK\n" \
	    "${d}/usr/local/sbin/sockd" -V -f "${d}/etc/sockd.conf"

	# A second install never replaces a configuration.
	echo "# changed here" >>"${d}/etc/sockd.conf"
	cp "${d}/etc/sockd.conf" changed.conf
	atf_check -s exit:0 -o save:install2.out -e ignore sh -c \
	    "cd '${TOP}' && make install DESTDIR='${d}' PREFIX=/usr/local"
	atf_check cmp changed.conf "${d}/etc/sockd.conf"
	atf_check -o match:"sockd.conf exists, kept" cat install2.out
}
install_cleanup()
{
	rm -rf "$(pwd -P)/root"
}

atf_test_case users
users_head()
{
	atf_set descr "etc/users.sh makes _sockd, _sockdauth and /var/empty" \
	    "as sockd needs them, and running it again changes nothing"
	atf_set require.user root
}
users_body()
{
	local u

	need_built
	atf_check -s exit:0 -o ignore -e ignore sh "${TOP}/etc/users.sh"
	cksum /etc/passwd /etc/group /etc/shadow >before 2>/dev/null
	atf_check -s exit:0 -o save:again.out -e empty sh "${TOP}/etc/users.sh"
	cksum /etc/passwd /etc/group /etc/shadow >after 2>/dev/null
	atf_check cmp before after
	atf_check -o match:"user _sockd exists" \
	    -o match:"user _sockdauth exists" \
	    -o match:"/var/empty exists, kept" cat again.out
	for u in _sockd _sockdauth; do
		getent passwd "${u}" >pw || atf_fail "no user ${u}"
		atf_check -o match:":/var/empty:/(usr/)?sbin/nologin\$" cat pw
		[ "$(id -u "${u}")" != 0 ] || atf_fail "${u} has uid 0"
	done
	[ "$(id -u _sockd)" != "$(id -u _sockdauth)" ] ||
	    atf_fail "_sockd and _sockdauth share a uid"
	atf_check -o match:'^drwxr-xr-x [0-9]+ 0 0 ' ls -nd /var/empty
}

atf_init_test_cases()
{
	atf_add_test_case lint
	atf_add_test_case conf_keywords
	atf_add_test_case conf_values
	atf_add_test_case conf_examples
	atf_add_test_case etc_conf
	atf_add_test_case options
	atf_add_test_case audit
	atf_add_test_case install
	atf_add_test_case users
}

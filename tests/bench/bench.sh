#!/bin/sh
#
# make bench: sockd against the machine's limits, each figure beside a
# baseline measured in the same run.  Prints a table (medians of RUNS
# runs with min and max) and writes it, the machine and the command into
# tests/bench/RESULTS.md.
#
#	sh tests/bench/bench.sh [-q] [-r runs] [-o file]
#
#	-q	quick: small sizes and 3 runs, to try the machinery (its
#		figures are not the ones to quote)
#	-r	runs per figure (default 5; at least 3)
#	-o	where the results go (default tests/bench/RESULTS.md)
#
# Everything runs on 127.0.0.1 (client source addresses spread over
# 127.0.0.1-127.0.0.8) in a throwaway Kerberos realm, as root (sockd
# drops privileges), on Linux (/proc).  Every wait is bounded; the whole
# run takes about 10 minutes on 2 cores.  What is measured, and how the
# client is kept out of the server's way, is written at the top of
# RESULTS.md (bench_method below).
#
# Issue 9 (RFC 4121 fast path) hook: bench_libpath_switch.

SOCKD_TOP=$(cd "$(dirname "$0")/../.." && pwd -P)
export SOCKD_TOP
BENCH=${SOCKD_TOP}/tests/bench
# Tokens are made ahead of time and the replay cache must hold every
# one: a skew like krb5's default, not the tests' short one.
REALM_CLOCKSKEW=300
. "${SOCKD_TOP}/tests/lib/sockd.subr"
. "${SOCKD_TOP}/tests/lib/realm.subr"

LOADGEN=${BENCH}/loadgen
MINRELAY=${BENCH}/minrelay
WRAPRATE=${BENCH}/wraprate

# How this run was asked for, for RESULTS.md.
if [ -n "${BENCH_VIA_MAKE:-}" ]; then
	BENCH_CMD="make bench${*:+ BENCH_ARGS=\"$*\"}"
else
	BENCH_CMD="sh tests/bench/bench.sh${*:+ $*}"
fi
RUNS=5
QUICK=0
OUT=${BENCH}/RESULTS.md
while getopts qr:o: ch; do
	case ${ch} in
	q)	QUICK=1 ;;
	r)	RUNS=${OPTARG} ;;
	o)	OUT=${OPTARG} ;;
	*)	echo "usage: bench.sh [-q] [-r runs] [-o file]" >&2
		exit 2 ;;
	esac
done
case ${RUNS} in
''|*[!0-9]*)	echo "bench: -r takes a number" >&2; exit 2 ;;
esac
[ "${RUNS}" -ge 3 ] && [ "${RUNS}" -le 50 ] || {
	echo "bench: -r from 3 to 50" >&2; exit 2; }

if [ "${QUICK}" = 1 ]; then
	[ "${RUNS}" -gt 3 ] && RUNS=3
	BULK=128M; WRAPBYTES=64M; HS_N=500; ACCEPT_N=1000
	IDLE_N=1000; ACTIVE_N=200; ACTIVE_B=256K; PROF_BYTES=64M
	IDLETR_N=200; IDLETR_B=256K
else
	BULK=1G; WRAPBYTES=128M; HS_N=2000; ACCEPT_N=2000
	IDLE_N=10000; ACTIVE_N=1000; ACTIVE_B=1M; PROF_BYTES=256M
	IDLETR_N=1000; IDLETR_B=1M
fi
SERVICE=rcmd/localhost
NADDRS=8		# client source addresses 127.0.0.1-8
HS_CONCS="1 8 64"
LEVELS="integrity confidentiality"
BULKCFGS="direct minrelay none clear integrity confidentiality"

if [ "$(id -u)" != 0 ]; then
	echo "bench: run as root (sockd drops to an unprivileged user)" >&2
	exit 1
fi
if [ ! -r /proc/self/stat ]; then
	echo "bench: needs Linux /proc for CPU time and memory" >&2
	exit 1
fi
for p in "${SOCKD}" "${SOCKD_TOP}/authd/sockd-auth" \
    "${SOCKD_TOP}/relayd/sockd-relay" "${LOADGEN}" "${MINRELAY}" \
    "${WRAPRATE}" "${TOOLS}/freeport"; do
	if [ ! -x "${p}" ]; then
		echo "bench: ${p} is not built (make bench-build)" >&2
		exit 1
	fi
done

WORK=$(mktemp -d /tmp/sockd-bench.XXXXXX) || exit 1
SOCKD_WORKDIR=${WORK}
export SOCKD_WORKDIR
cd "${WORK}" || exit 1
# A copy of the programs, laid out as in the tree (sockd runs the authd
# and relays beside it), so that a rebuild during the run cannot mix
# versions.
mkdir -p tree/sockd tree/authd tree/relayd tree/bench || exit 1
cp "${SOCKD}" tree/sockd/sockd &&
    cp "${SOCKD_TOP}/authd/sockd-auth" tree/authd/sockd-auth &&
    cp "${SOCKD_TOP}/relayd/sockd-relay" tree/relayd/sockd-relay &&
    cp "${LOADGEN}" "${MINRELAY}" "${WRAPRATE}" tree/bench/ || exit 1
SOCKD=${WORK}/tree/sockd/sockd
LOADGEN=${WORK}/tree/bench/loadgen
MINRELAY=${WORK}/tree/bench/minrelay
WRAPRATE=${WORK}/tree/bench/wraprate
RES=${WORK}/results		# "name value" per run
LGPIDS=""			# loadgens in the background
KEEP=0

cleanup()
{
	local p

	for p in ${LGPIDS}; do
		kill -TERM "${p}" 2>/dev/null
	done
	sockd_stop_bench
	bg_stop_all >/dev/null 2>&1
	realm_teardown "${WORK}/realm" >/dev/null 2>&1
	cd /
	if [ "${KEEP}" = 1 ]; then
		echo "bench: logs kept in ${WORK}" >&2
	else
		rm -rf "${WORK}"
	fi
}
trap cleanup EXIT
trap 'KEEP=1; exit 1' INT TERM

say()
{
	printf '%s\n' "$*" >&2
}

die()
{
	say "bench: $*"
	KEEP=1
	exit 1
}

# Sockets: a session is two descriptors in the client (loadgen is also
# the target) and two in a relay.  Raise the limit as far as we may.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
NOFILE=$(ulimit -n)
NCPU=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)

# ------------------------------------------------------------------
# Numbers.

kv()
{
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

rec()
{
	[ -n "$2" ] && echo "$1 $2" >>"${RES}"
}

# "median min max count" of a name's values; "- - - 0" without any.
fig()
{
	awk -v k="$1" '$1 == k { print $2 }' "${RES}" 2>/dev/null |
	    sort -g | awk '
	{ v[n++] = $1 }
	END {
		if (n == 0) { print "- - - 0"; exit }
		m = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
		printf "%.6g %.6g %.6g %d\n", m, v[0], v[n - 1], n
	}'
}

med()
{
	fig "$1" | cut -d ' ' -f 1
}

ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 == 0) print "-"
		else printf "%.2f\n", a / b }'
}

# Verdict on a ratio: met, or MISSED.  $2 is ">=" or "<=".
verdict()
{
	awk -v r="$1" -v op="$2" -v t="$3" 'BEGIN {
		if (r == "-") { print "n/a"; exit }
		ok = op == ">=" ? r + 0 >= t + 0 : r + 0 <= t + 0
		print ok ? "met" : "MISSED" }'
}

# ------------------------------------------------------------------
# The server.

SPORT=""
SPIDS=""
SRELAYS=""

# sockd_conf [line]: the line (issue 9's switch) goes before the rules.
sockd_conf()
{
	cat <<EOF
# Written by tests/bench/bench.sh: every level allowed, loopback only.
logoutput: stderr
internal: 127.0.0.1 port = ${SPORT}
socksmethod: gssapi none
user.privileged: root
user.unprivileged: nobody
gssapi.keytab: ${WORK}/realm/sockd.keytab
gssapi.servicename: ${SERVICE}
gssapi.enctype: clear integrity confidentiality
${1:-}
client pass {
	from: 127.0.0.0/8 to: 0/0
}
socks pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
	command: connect
}
EOF
}

# sockd_start_bench [relays [config line [arguments]]]: not sockd.subr's
# sockd_start, which runs with -d 1 (debug logging would be measured
# too).  The audit lines go to stderr, as "logoutput: stderr" says,
# into sockd.err.
sockd_start_bench()
{
	local n=${1:-} i=0 p

	SPORT=$(free_port) || die "no free port"
	sockd_conf "${2:-}" >"${WORK}/sockd.conf"
	[ -n "${n}" ] && n="-N ${n}"
	"${SOCKD}" -V -f "${WORK}/sockd.conf" >"${WORK}/sockd.V" 2>&1 || {
		cat "${WORK}/sockd.V" >&2
		die "sockd -V refuses the configuration"
	}
	bg_start sockd "${SOCKD}" -f "${WORK}/sockd.conf" ${n} ${3:-}
	p=$(bg_pid sockd)
	wait_port "${SPORT}" 15 "${p}" || {
		tail -n 20 "${WORK}/sockd.err" >&2
		die "sockd did not start"
	}
	# The parent and its children: front end, authd, relays.
	while [ "${i}" -lt 50 ]; do
		SPIDS=$(echo "${p}" $(pgrep -P "${p}") | tr ' ' ,)
		SRELAYS=$(pgrep -P "${p}" -x sockd-relay | wc -l)
		[ "$(echo "${SPIDS}" | tr ',' '\n' | wc -l)" -ge 4 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	sleep 1
}

sockd_stop_bench()
{
	[ -f "${WORK}/sockd.pid" ] || return 0
	cat "${WORK}/sockd.err" >>"${WORK}/sockd.log.all" 2>/dev/null
	bg_stop sockd 100 >/dev/null 2>&1
}

sockd_alive()
{
	proc_alive "$(bg_pid sockd)" || die "sockd died; see ${WORK}/sockd.err"
}

# A port below the kernel's range for outgoing connections: loadgen
# binds it again for every run, and after thousands of sessions any
# port in that range may be some connection's, or in TIME_WAIT, which
# bind() refuses.
quiet_port()
{
	local i=0 p lo hi

	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	if [ "${lo:-0}" -le 11000 ]; then
		free_port
		return
	fi
	while [ "${i}" -lt 50 ]; do
		p=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		p=$((10000 + p % (lo - 10000)))
		if ! port_listening "${p}"; then
			echo "${p}"
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}

rss_kb()
{
	local p

	for p in $(echo "$1" | tr ',' ' '); do
		awk '/^VmRSS:/ { print $2 }' "/proc/${p}/status" 2>/dev/null
	done | awk '{ s += $1 } END { print s + 0 }'
}

# ------------------------------------------------------------------
# One measurement each.

# lg NAME ARGS...: loadgen, bounded, its line on stdout; failures are
# counted under NAME.failures and logged.
lg()
{
	local name=$1 out rc

	shift
	out=$(timeout 900 "${LOADGEN}" -s "${SERVICE}" "$@" \
	    2>>"${WORK}/loadgen.err")
	rc=$?
	echo "${name}: ${out} (exit ${rc})" >>"${WORK}/loadgen.log"
	if [ "${rc}" -ne 0 ]; then
		rec "${name}.failures" "$(kv failures "${out}")"
		say "bench: ${name} failed (exit ${rc}); see" \
		    "${WORK}/loadgen.err"
		tail -n 3 "${WORK}/loadgen.err" >&2
		KEEP=1
	fi
	printf '%s\n' "${out}"
}

# The way to reach the target for a bulk configuration.
cfg_args()
{
	case $1 in
	direct)		echo "-m direct" ;;
	minrelay)	echo "-m relay -p 127.0.0.1:${MRPORT} -L ${TPORT}" \
			    "-k ${MRPID}" ;;
	none)		echo "-m none -p 127.0.0.1:${SPORT}" \
			    "-k ${SPIDS}" ;;
	*)		echo "-m gssapi -l $1 -p 127.0.0.1:${SPORT}" \
			    "-k ${SPIDS}" ;;
	esac
}

bulk_one()
{
	local cfg=$1 dir=$2 tag=${3:-} out b

	out=$(lg "bulk.${dir}.${cfg}${tag}" $(cfg_args "${cfg}") -b "${BULK}" \
	    "${dir}")
	b=$(kv bytes "${out}")
	[ -n "${b}" ] || return
	rec "bulk.${dir}.${cfg}${tag}.MBps" "$(kv MBps "${out}")"
	rec "bulk.${dir}.${cfg}${tag}.cpu" "$(awk -v b="${b}" \
	    -v c="$(kv srv_cpu "${out}")" \
	    'BEGIN { printf "%.3f", c * 1073741824 / b }')"
	rec "bulk.${dir}.${cfg}${tag}.wrap" "$(kv wrap_seconds "${out}")"
}

wrap_one()
{
	local out

	out=$(timeout 300 "${WRAPRATE}" -k "${WORK}/realm/sockd.keytab" \
	    -s "${SERVICE}" -n "${WRAPBYTES}" "$1" "$2" \
	    2>>"${WORK}/wraprate.err") || die "wraprate $1 $2 failed"
	rec "lib.$1.$2.MBps" "$(kv MBps "${out}")"
	rec "lib.$1.$2.plain" "$(kv plain "${out}")"
}

accept_one()
{
	local out

	out=$(timeout 300 "${WRAPRATE}" -k "${WORK}/realm/sockd.keytab" \
	    -s "${SERVICE}" -c "${ACCEPT_N}" accept \
	    2>>"${WORK}/wraprate.err") || die "wraprate accept failed"
	rec "lib.accept.rate" "$(kv rate "${out}")"
}

hs_one()
{
	local c=$1 out

	out=$(lg "hs.c${c}" -p "127.0.0.1:${SPORT}" -k "${SPIDS}" \
	    -l confidentiality -n "${HS_N}" -c "${c}" -a "${NADDRS}" hs)
	rec "hs.c${c}.rate" "$(kv rate "${out}")"
	rec "hs.c${c}.p50" "$(kv p50_ms "${out}")"
	rec "hs.c${c}.p99" "$(kv p99_ms "${out}")"
	rec "hs.c${c}.cpu_ms" "$(awk -v c="$(kv srv_cpu "${out}")" \
	    -v n="$(kv ok "${out}")" 'BEGIN { if (n > 0)
	    printf "%.3f", c * 1000 / n }')"
}

active_one()
{
	local what=$1 out

	case ${what} in
	minrelay)
		out=$(lg "active.${what}" -m relay -p "127.0.0.1:${MRPORT}" \
		    -L "${TPORT}" -k "${MRPID}" -n "${ACTIVE_N}" -c 64 \
		    -a "${NADDRS}" -b "${ACTIVE_B}" active) ;;
	*)
		out=$(lg "active.${what}" -p "127.0.0.1:${SPORT}" \
		    -k "${SPIDS}" -l "${what}" -n "${ACTIVE_N}" -c 64 \
		    -a "${NADDRS}" -b "${ACTIVE_B}" active) ;;
	esac
	rec "active.${what}.MBps" "$(kv MBps "${out}")"
	rec "active.${what}.sessions" "$(kv sessions "${out}")"
}

# 10,000 idle sessions: with a descriptor limit below 2 per session
# plus margin, loadgen runs as several processes; sockd gets as many
# relays as its front end's budget of (limit - 32) / 4 sessions per
# relay (sockd/front_limit.c) needs, and never fewer than the default.
# idle_relays N and idle_procs N: for N sessions.
idle_relays()
{
	local per=$(( (NOFILE - 32) / 4 )) r

	r=$(( ($1 + per - 1) / per ))
	[ "${r}" -lt "${NCPU}" ] && r=${NCPU}
	echo "${r}"
}

idle_procs()
{
	local per=$(( (NOFILE - 100) / 2 ))

	echo $(( ($1 + per - 1) / per ))
}

idle_plan()
{
	IDLE_RELAYS=$(idle_relays "${IDLE_N}")
	IDLE_PROCS=$(idle_procs "${IDLE_N}")
	IDLETR_RELAYS=$(idle_relays "${IDLETR_N}")
	IDLETR_PROCS=$(idle_procs "${IDLETR_N}")
}

# relay_bufs: "in-use pooled", the relays' 64 KiB buffers summed from
# the stats line each writes to sockd.err on SIGUSR1: those sessions
# hold, and those kept for the next burst.
relay_bufs()
{
	local p n=0 t=0

	for p in $(pgrep -P "$(bg_pid sockd)" -x sockd-relay); do
		kill -USR1 "${p}" 2>/dev/null && n=$((n + 1))
	done
	while [ "${t}" -lt 30 ] &&
	    [ "$(grep -c ' stats: ' "${WORK}/sockd.err")" -lt "${n}" ]; do
		sleep 0.1
		t=$((t + 1))
	done
	grep ' stats: ' "${WORK}/sockd.err" | tr ' ' '\n' | awk -F= '
	    $1 == "buffers" { b += $2 } $1 == "pooled" { p += $2 }
	    END { print b + 0, p + 0 }'
}

# idle_hold NAME RUN N PROCS RELAYS [ARGS]: N sessions at
# confidentiality held open through a fresh sockd with RELAYS relays by
# PROCS loadgens (ARGS added to their idle test); the RSS of all sockd
# processes before and 2 s after every loadgen has said it holds all
# its sessions, as NAME.*.
idle_hold()
{
	local name=$1 run=$2 total=$3 procs=$4 relays=$5
	local i n left before after bufs lines p fds held pids="" t=0

	shift 5
	sockd_start_bench "${relays}"
	before=$(rss_kb "${SPIDS}")
	i=0
	left=${total}
	while [ "${i}" -lt "${procs}" ]; do
		n=$(( left / (procs - i) ))
		left=$((left - n))
		"${LOADGEN}" -s "${SERVICE}" -p "127.0.0.1:${SPORT}" \
		    -k "${SPIDS}" -l confidentiality -n "${n}" -c 64 \
		    -a "${NADDRS}" -t 300 "$@" idle \
		    >"${WORK}/${name}.${i}.out" 2>>"${WORK}/loadgen.err" &
		pids="${pids} $!"
		i=$((i + 1))
	done
	LGPIDS=${pids}
	# Until every loadgen has said it holds all its sessions.
	while [ "${t}" -lt 3000 ]; do
		lines=$(cat "${WORK}/${name}".*.out 2>/dev/null | wc -l)
		[ "${lines}" -ge "${procs}" ] && break
		for p in ${pids}; do
			proc_alive "${p}" || t=3000
		done
		sleep 0.1
		t=$((t + 1))
	done
	sleep 2
	after=$(rss_kb "${SPIDS}")
	fds=0
	for p in $(pgrep -P "$(bg_pid sockd)" -x sockd-relay); do
		fds=$((fds + $(ls "/proc/${p}/fd" | wc -l)))
	done
	bufs=$(relay_bufs)
	n=0
	for i in "${WORK}/${name}".*.out; do
		held=$(kv sessions "$(cat "${i}")")
		n=$((n + ${held:-0}))
		echo "${name}.${run}: $(cat "${i}")" >>"${WORK}/loadgen.log"
	done
	for p in ${pids}; do
		kill -TERM "${p}" 2>/dev/null
	done
	# A session the server dropped while held fails its loadgen.
	for p in ${pids}; do
		wait "${p}" || {
			say "bench: ${name} run ${run}: a loadgen failed;" \
			    "see ${WORK}/loadgen.err"
			KEEP=1
		}
	done
	LGPIDS=""
	rm -f "${WORK}/${name}".*.out
	sockd_stop_bench
	if [ "${n}" -ne "${total}" ]; then
		say "bench: ${name} run ${run}: ${n} of ${total} sessions held"
		KEEP=1
	fi
	rec "${name}.sessions" "${n}"
	rec "${name}.rss_before" "${before}"
	rec "${name}.rss_after" "${after}"
	rec "${name}.relay_fds" "${fds}"
	rec "${name}.relay_bufs" "${bufs% *}"
	rec "${name}.relay_pooled" "${bufs#* }"
	rec "${name}.per_kb" "$(awk -v a="${after}" -v b="${before}" \
	    -v n="${n}" 'BEGIN { if (n > 0) printf "%.2f", (a - b) / n }')"
}

idle_one()
{
	idle_hold idle "$1" "${IDLE_N}" "${IDLE_PROCS}" "${IDLE_RELAYS}"
}

# Idle after traffic: each session first carries IDLETR_B down (loadgen
# counts it; the target does not close), then is held.
idletr_one()
{
	idle_hold idletr "$1" "${IDLETR_N}" "${IDLETR_PROCS}" \
	    "${IDLETR_RELAYS}" -b "${IDLETR_B}"
}

# ------------------------------------------------------------------
# Issue 9: the relay's RFC 4121 fast path, against gss_wrap/gss_unwrap
# in the same run.  Once sockd can be told to keep every session on the
# GSS-API library, bench_libpath_switch sets LIBPATH_ARGS (arguments
# for sockd, e.g. one it passes on to its relays) and/or LIBPATH_CONF
# (a line for sockd.conf) and returns 0; BENCH_LIBPATH_ARGS and
# BENCH_LIBPATH_CONF in the environment do the same without editing
# this file.  bench_speedup then measures integrity and confidentiality
# both ways once more, on a sockd started with the switch, and
# speedup_lines prints "speedup confidentiality: N.Nx" and "speedup
# integrity: N.Nx".  Without a switch it returns 1 and no speedup is
# claimed.
bench_libpath_switch()
{
	# sockd -G: the relays protect every message with the library.
	LIBPATH_ARGS=${BENCH_LIBPATH_ARGS:--G}
	LIBPATH_CONF=${BENCH_LIBPATH_CONF:-}
	[ -n "${LIBPATH_ARGS}${LIBPATH_CONF}" ]
}

bench_speedup()
{
	local run l d

	bench_libpath_switch || return 0
	say "== issue 9: the GSS-API library path" \
	    "(${LIBPATH_ARGS}${LIBPATH_ARGS:+ }${LIBPATH_CONF})"
	sockd_stop_bench
	sockd_start_bench "" "${LIBPATH_CONF}" "${LIBPATH_ARGS}"
	run=1
	while [ "${run}" -le "${RUNS}" ]; do
		for d in down up; do
			for l in ${LEVELS}; do
				bulk_one "${l}" "${d}" .libpath
			done
		done
		run=$((run + 1))
	done
	sockd_stop_bench
}

# Speedup of a level: the time to carry BULK down and up on the fast
# path (the main bulk figures) against the library path, from medians.
speedup_lines()
{
	local l f1 f2 s1 s2

	bench_libpath_switch || return 0
	for l in confidentiality integrity; do
		f1=$(med "bulk.down.${l}.MBps")
		f2=$(med "bulk.up.${l}.MBps")
		s1=$(med "bulk.down.${l}.libpath.MBps")
		s2=$(med "bulk.up.${l}.libpath.MBps")
		awk -v l="${l}" -v f1="${f1}" -v f2="${f2}" -v s1="${s1}" \
		    -v s2="${s2}" 'BEGIN {
			if (f1 + 0 == 0 || f2 + 0 == 0 || s1 + 0 == 0 ||
			    s2 + 0 == 0) exit
			printf "speedup %s: %.1fx\n", l,
			    (1 / s1 + 1 / s2) / (1 / f1 + 1 / f2) }'
	done
}

# ------------------------------------------------------------------
# Profiles: where the time goes, for each target missed.

PROFILES=${WORK}/profiles

# profile TITLE PIDS LOADGEN-ARGS...: perf samples the processes while
# loadgen runs once more.
profile()
{
	local title=$1 pids=$2 p data

	shift 2
	if ! command -v perf >/dev/null 2>&1; then
		printf '\n%s: no profile, perf is not installed ' \
		    "${title}" >>"${PROFILES}"
		printf '(Debian: linux-perf)\n' >>"${PROFILES}"
		return
	fi
	data=${WORK}/perf.data
	perf record -q -e cpu-clock -F 999 -p "${pids}" -o "${data}" \
	    >/dev/null 2>&1 &
	p=$!
	sleep 0.5
	lg "profile" "$@" >/dev/null
	kill -INT "${p}" 2>/dev/null
	wait "${p}" 2>/dev/null
	{
		printf '\n#### %s\n\n```\n' "${title}"
		perf report -i "${data}" --stdio --no-children \
		    --sort comm 2>/dev/null |
		    sed -n 's/^# Samples: /samples: /p'
		printf 'by process:\n'
		perf report -i "${data}" --stdio --no-children \
		    --sort comm 2>/dev/null | grep -v '^#' | grep -v '^$' |
		    head -n 6
		printf '\nby process and object:\n'
		perf report -i "${data}" --stdio --no-children \
		    --sort comm,dso 2>/dev/null | grep -v '^#' |
		    grep -v '^$' | head -n 10
		printf '\nhottest functions:\n'
		perf report -i "${data}" --stdio --no-children \
		    --sort comm,sym 2>/dev/null | grep -v '^#' |
		    grep -v '^$' | head -n 14
		printf '```\n'
	} >>"${PROFILES}" 2>&1
	rm -f "${data}"
}

relay_pids()
{
	pgrep -P "$(bg_pid sockd)" -x sockd-relay | tr '\n' ',' |
	    sed 's/,$//'
}

profile_misses()
{
	local d l

	: >"${PROFILES}"
	sockd_start_bench
	for d in down up; do
		if [ "$(verdict "$(ratio "$(med "bulk.${d}.clear.MBps")" \
		    "$(med "bulk.${d}.minrelay.MBps")")" ">=" 0.90)" = MISSED ]
		then
			profile "clear, ${d}: sockd-relay" "$(relay_pids)" \
			    $(cfg_args clear) -b "${BULK}" "${d}"
			profile "clear, ${d}: minrelay, for comparison" \
			    "${MRPID}" $(cfg_args minrelay) -b "${BULK}" "${d}"
		fi
		for l in ${LEVELS}; do
			if [ "$(verdict "$(ratio "$(med \
			    "bulk.${d}.${l}.MBps")" "$(med \
			    "lib.$(libop "${d}").${l}.MBps")")" ">=" 0.90)" = \
			    MISSED ]; then
				profile "${l}, ${d}: sockd-relay" \
				    "$(relay_pids)" $(cfg_args "${l}") \
				    -b "${PROF_BYTES}" "${d}"
			fi
		done
	done
	if [ "$(verdict "$(ratio "$(med hs.c64.rate)" \
	    "$(med lib.accept.rate)")" ">=" 0.50)" = MISSED ]; then
		profile "handshakes at concurrency 64: every sockd process" \
		    "${SPIDS}" -p "127.0.0.1:${SPORT}" -k "${SPIDS}" \
		    -l confidentiality -n $((HS_N * 2)) -c 64 -a "${NADDRS}" hs
	fi
	sockd_stop_bench
}

libop()
{
	[ "$1" = down ] && echo wrap || echo unwrap
}

# ------------------------------------------------------------------
# The machine.

machine()
{
	local cpu flags

	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo |
	    head -n 1)
	flags=""
	for f in aes sha_ni avx2 avx512f; do
		grep -qw "${f}" /proc/cpuinfo && flags="${flags} ${f}"
	done
	echo "- CPU: ${cpu:-unknown}, ${NCPU} online"\
	    "(flags:${flags:- none of aes sha_ni avx2})"
	echo "- memory: $(awk '/^MemTotal/ { printf "%.1f GiB",
	    $2 / 1048576 }' /proc/meminfo)"
	echo "- kernel: $(uname -srm)"
	echo "- system: $(. /etc/os-release 2>/dev/null &&
	    echo "${PRETTY_NAME}")"
	echo "- compiler: $(${CC:-cc} --version 2>/dev/null | head -n 1)"
	echo "- C library: $(ldd --version 2>/dev/null | head -n 1)"
	echo "- GSS-API: Heimdal $(dpkg-query -W -f '${Version}' \
	    libgssapi3-heimdal 2>/dev/null || echo '?')"\
	    "(libgssapi3-heimdal, libhcrypto5-heimdal)"
	echo "- libevent: $(pkg-config --modversion libevent_core \
	    2>/dev/null || echo '?'), OpenSSL: $(pkg-config --modversion \
	    libcrypto 2>/dev/null || echo '?'), libbsd: $(pkg-config \
	    --modversion libbsd 2>/dev/null || echo '?')"
	echo "- sockd: $(cd "${SOCKD_TOP}" && git rev-parse --short HEAD \
	    2>/dev/null || echo '?')$(cd "${SOCKD_TOP}" &&
	    [ -n "$(git status --porcelain -uno 2>/dev/null)" ] &&
	    echo ' with uncommitted changes'), ${SRELAYS_MAIN} relays"\
	    "(one per CPU, sockd's default)"
	echo "- descriptor limit: ${NOFILE} (hard $(ulimit -Hn))"
	echo "- load average before / after: ${LOAD0} / $(cut -d ' ' -f 1-3 \
	    /proc/loadavg)"
}

# ------------------------------------------------------------------
# How it is measured, for RESULTS.md.

bench_method()
{
	cat <<EOF
## Method

- **Setting.** A throwaway Heimdal realm on 127.0.0.1
  (tests/lib/realm.subr; aes256-cts-hmac-sha1-96 tickets, clockskew
  300 s) and sockd as built, with its defaults (${SRELAYS_MAIN} relays:
  one per CPU), every level allowed, audit lines to stderr (a file).
  Clients use source addresses 127.0.0.1 to 127.0.0.${NADDRS}.
- **The client** is tests/bench/loadgen, one process that speaks RFC
  1928 and RFC 1961 itself (Heimdal, the context flags gsocks asks for)
  and is also the target (echo, source or sink) on 127.0.0.1.  On two
  cores it must keep out of the server's way, so the timed part has no
  client cryptography: AP-REQs are made before the clock (one fresh
  AP-REQ per session, since authd's replay cache refuses a repeated
  one; from a MEMORY: copy of the credentials cache); going up, every
  token is wrapped before the clock and the client only writes; going
  down, the client checks every frame header and counts the plaintext
  as token length less the per-token overhead it learnt by unwrapping
  the session's echo, without unwrapping.  Before the timed runs each
  configuration carries 32 MiB with every byte unwrapped and checked
  against the pattern(1) stream (loadgen -V).  The relay carrying a
  session thus has a core to itself; loadgen and the kernel's loopback
  share the other.
- **Server CPU** is utime + stime of every sockd process (parent, front
  end, authd, relays) from /proc, read when the timed part starts and
  ends.
- **Bulk:** one session carries ${BULK} from the target (down) or to it
  (up), after an echo.  Baselines: the same transfer direct (no relay),
  through tests/bench/minrelay (a plain read/write relay in C, 64 KiB
  buffers, one poll loop, the same flow control as sockd's relay), and
  tests/bench/wraprate: gss_wrap (the relay's work going down) and
  gss_unwrap (going up) by the acceptor's context, exported and imported
  as authd hands it to a relay, on chunks of gss_wrap_size_limit(65535)
  bytes, ${WRAPBYTES} in one process without I/O: the library's limit on
  one core.  Each run does every configuration in turn, so that changes
  in the machine's load spread over all of them.
- **Handshakes:** complete sessions (greeting, AP-REQ and AP-REP, the
  protection level, CONNECT, a 64-byte echo at confidentiality, close),
  ${HS_N} per run at concurrency ${HS_CONCS}: sessions per second of
  wall time, latency from connect() to the echo's return.  Baseline:
  wraprate's loop of gss_accept_sec_context over ${ACCEPT_N} pre-made
  AP-REQs with one acceptor credential over a MEMORY: keytab, as authd
  has.  The front end allows 32 negotiations in flight per client
  address (sockd/front_limit.c) and closes any more at once, hence the
  spread of source addresses; the one-address line shows it.
- **Idle sessions:** ${IDLE_N} sessions, each authenticated at
  confidentiality and through its echo, held open against a fresh
  sockd; RSS is the sum of VmRSS over all sockd processes, before the
  sessions and 2 s after the last is up; per session is the
  difference over the sessions.  Kernel socket memory is not in it.
  With a descriptor limit of ${NOFILE}, loadgen runs as ${IDLE_PROCS}
  process(es) and sockd with ${IDLE_RELAYS} relays: the front end gives a
  relay at most (limit - 32) / 4 sessions.
- **Idle after traffic:** ${IDLETR_N} sessions at confidentiality as
  above (sockd with ${IDLETR_RELAYS} relays), but once all are through
  their echo the target sends ${IDLETR_B} down each, all at once; the
  client counts it in whole frames and the target does not close (an
  end of file would end the session).  Once every session has its
  bytes they are held, and RSS is taken as for idle sessions.  A relay
  takes a 64 KiB buffer only while data waits, so a session that has
  carried data should cost no more than one that has not; the relays'
  stats line (SIGUSR1) gives the buffers sessions still hold and those
  kept in the relays' pools for the next burst (bounded per relay),
  which count in the RSS too.
- **Active sessions:** ${ACTIVE_N} sessions through their echo, then the
  target sends ${ACTIVE_B} on each at once; aggregate throughput until
  the last end of file.  Baselines: the same through minrelay, and for
  confidentiality gss_wrap on one core (sockd has ${SRELAYS_MAIN}
  relays).
EOF
}

# ------------------------------------------------------------------
# The run.

START=$(date +%s)
LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg)
say "== bench: ${RUNS} runs, bulk ${BULK}, work in ${WORK}"
say "== a throwaway realm on 127.0.0.1"
mkdir -p realm
realm_setup "${WORK}/realm" >"${WORK}/realm.log" 2>&1 ||
    { cat "${WORK}/realm.log" >&2; die "realm setup failed"; }

say "== the GSS-API library's limits (wraprate)"
run=1
while [ "${run}" -le "${RUNS}" ]; do
	for l in ${LEVELS}; do
		wrap_one wrap "${l}"
		wrap_one unwrap "${l}"
	done
	accept_one
	run=$((run + 1))
done

# The target's port is fixed so that minrelay can be told it.
TPORT=$(quiet_port) || die "no free port"
bg_start minrelay "${MINRELAY}" -t 3600 -p "${WORK}/minrelay.port" \
    "127.0.0.1:${TPORT}"
wait_file "${WORK}/minrelay.port" 10 "$(bg_pid minrelay)" ||
    die "minrelay did not start"
MRPORT=$(cat "${WORK}/minrelay.port")
MRPID=$(bg_pid minrelay)

sockd_start_bench
SRELAYS_MAIN=${SRELAYS}
say "== bulk: every configuration once with every byte checked"
for d in down up; do
	for c in ${BULKCFGS}; do
		out=$(lg "check.${d}.${c}" -V $(cfg_args "${c}") -b 32M "${d}")
		[ "$(kv failures "${out}")" = 0 ] ||
		    die "bulk ${d} ${c}: the data did not come through intact"
	done
done
say "== bulk: ${BULK} each way, ${RUNS} runs"
run=1
while [ "${run}" -le "${RUNS}" ]; do
	say "   run ${run}"
	for d in down up; do
		for c in ${BULKCFGS}; do
			bulk_one "${c}" "${d}"
		done
	done
	sockd_alive
	run=$((run + 1))
done

say "== handshakes: ${HS_N} sessions at concurrency ${HS_CONCS}"
run=1
while [ "${run}" -le "${RUNS}" ]; do
	for c in ${HS_CONCS}; do
		hs_one "${c}"
	done
	run=$((run + 1))
done
# One source address: how the front end's per-address bound shows.
out=$(timeout 300 "${LOADGEN}" -s "${SERVICE}" -p "127.0.0.1:${SPORT}" \
    -l confidentiality -n 500 -c 64 -a 1 hs 2>/dev/null)
ONEADDR="$(kv ok "${out}") of 500 sessions completed, $(kv failures \
    "${out}") refused"

say "== ${ACTIVE_N} active sessions, ${ACTIVE_B} each"
run=1
while [ "${run}" -le "${RUNS}" ]; do
	for w in minrelay clear confidentiality; do
		active_one "${w}"
	done
	run=$((run + 1))
done
sockd_alive

bench_speedup
sockd_stop_bench

idle_plan
say "== ${IDLE_N} idle sessions (${IDLE_RELAYS} relays," \
    "${IDLE_PROCS} loadgen processes); ${IDLETR_N} idle after" \
    "${IDLETR_B} each (${IDLETR_RELAYS} relays)"
run=1
while [ "${run}" -le "${RUNS}" ]; do
	idle_one "${run}"
	idletr_one "${run}"
	run=$((run + 1))
done

# ------------------------------------------------------------------
# The table.

# row LABEL NAME UNIT BASELINE-NAME BASELINE-LABEL OP TARGET
row()
{
	local s r v

	s=$(fig "$2")
	r="-"
	[ -n "$4" ] && r=$(ratio "$(med "$2")" "$(med "$4")")
	v=""
	[ -n "$7" ] && v=$(verdict "${r}" "$6" "$7")
	echo "$1|${s}|$3|${r}|$5|${6:+$6 $7}|${v}"
}

# The table, one row per figure: label|median min max n|unit|ratio|
# baseline|target|verdict; "H|title" starts a section.
table_rows()
{
	local d l op t

	echo "H|Bulk transfer, ${BULK} each way (MB/s = 10^6 bytes/s;" \
	    "CPU: server CPU seconds per GiB)"
	for d in down up; do
		op=$(libop "${d}")
		row "${d} direct (no relay)" "bulk.${d}.direct.MBps" MB/s \
		    "" "" "" ""
		row "${d} minrelay" "bulk.${d}.minrelay.MBps" MB/s \
		    "bulk.${d}.direct.MBps" "direct" "" ""
		row "${d} method none" "bulk.${d}.none.MBps" MB/s \
		    "bulk.${d}.minrelay.MBps" "minrelay" "" ""
		row "${d} clear" "bulk.${d}.clear.MBps" MB/s \
		    "bulk.${d}.minrelay.MBps" "minrelay" ">=" 0.90
		for l in ${LEVELS}; do
			row "${d} ${l}" "bulk.${d}.${l}.MBps" MB/s \
			    "lib.${op}.${l}.MBps" "gss_${op} ${l}" ">=" 0.90
		done
		for c in minrelay none clear ${LEVELS}; do
			row "${d} ${c}: CPU" "bulk.${d}.${c}.cpu" s/GiB \
			    "" "" "" ""
		done
	done
	echo "H|GSS-API library limits, one core, tokens of 65535 bytes"
	for l in ${LEVELS}; do
		for op in wrap unwrap; do
			row "gss_${op} ${l}" "lib.${op}.${l}.MBps" MB/s \
			    "" "" "" ""
		done
	done
	row "gss_accept_sec_context" lib.accept.rate "/s" "" "" "" ""
	echo "H|Handshakes: GSS-API SOCKS sessions (authentication, level," \
	    "CONNECT, 64-byte echo, close) at confidentiality"
	for c in ${HS_CONCS}; do
		row "concurrency ${c}" "hs.c${c}.rate" sessions/s \
		    lib.accept.rate "gss_accept" ">=" 0.50
		row "concurrency ${c}: p50" "hs.c${c}.p50" ms "" "" "" ""
		row "concurrency ${c}: p99" "hs.c${c}.p99" ms "" "" "" ""
		row "concurrency ${c}: CPU" "hs.c${c}.cpu_ms" "ms/session" \
		    "" "" "" ""
	done
	echo "H|Scale: ${IDLE_N} idle sessions (${IDLE_RELAYS} relays)," \
	    "${IDLETR_N} idle after ${IDLETR_B} each (${IDLETR_RELAYS}" \
	    "relays), ${ACTIVE_N} active sessions of ${ACTIVE_B} each"
	row "idle: sessions held" idle.sessions "" "" "" "" ""
	row "idle: RSS of all sockd processes" idle.rss_after KiB \
	    "" "" "" ""
	row "idle: RSS per session" idle.per_kb KiB budget.idle_kb \
	    "64 KiB" "<=" 1.00
	row "idle: relay descriptors" idle.relay_fds "" "" "" "" ""
	t="idle after ${IDLETR_B} each"
	row "${t}: sessions held" idletr.sessions "" "" "" "" ""
	row "${t}: sockd RSS" idletr.rss_after KiB "" "" "" ""
	row "${t}: RSS per session" idletr.per_kb KiB budget.idle_kb \
	    "64 KiB" "<=" 1.00
	row "${t}: relay buffers" idletr.relay_bufs "" "" "" "" ""
	row "${t}: pooled buffers" idletr.relay_pooled "" "" "" "" ""
	row "active: minrelay" active.minrelay.MBps MB/s "" "" "" ""
	row "active: clear" active.clear.MBps MB/s active.minrelay.MBps \
	    "minrelay" "" ""
	row "active: confidentiality" active.confidentiality.MBps MB/s \
	    lib.wrap.confidentiality.MBps "gss_wrap conf, 1 core" "" ""
}

print_table()
{
	awk -F'|' '
	BEGIN {
		fmt = "  %-37s %9s %9s %9s %-10s %5s %-26s %-7s %s\n"
		printf fmt, "figure", "median", "min", "max", "unit",
		    "ratio", "baseline", "target", ""
	}
	$1 == "H" { printf "\n%s\n", $2; next }
	{
		split($2, s, " ")
		printf fmt, $1, s[1], s[2], s[3], $3, $4, $5, $6, $7
	}'
}

md_table()
{
	awk -F'|' '
	$1 == "H" {
		printf "\n**%s**\n\n", $2
		print "| figure | median | min | max | unit | ratio |" \
		    " baseline | target | |"
		print "|---|--:|--:|--:|---|--:|---|---|---|"
		next
	}
	{
		split($2, s, " ")
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
		    $1, s[1], s[2], s[3], $3, $4, $5, $6, $7
	}'
}

count_verdicts()
{
	echo "$(grep -c '|met$' "${WORK}/table") met," \
	    "$(grep -c '|MISSED$' "${WORK}/table") missed"
}

busy_note()
{
	awk -v l="${LOAD0%% *}" 'BEGIN { if (l + 0 >= 0.5)
		printf "the machine was busy before the run (load average " \
		    "%s): expect noise.\n", l }'
}

issue9_note()
{
	if bench_libpath_switch; then
		echo "above (library path: ${LIBPATH_ARGS}${LIBPATH_ARGS:+ }" \
		    "${LIBPATH_CONF}): the time to carry ${BULK} down plus" \
		    "${BULK} up on the library path over the same on the" \
		    "fast path, from medians."
		return
	fi
	cat <<'EOF'
not measured: sockd has no switch yet that keeps
  sessions on the GSS-API library path.  Issue 9 adds one and sets it in
  `bench_libpath_switch` (tests/bench/bench.sh), or runs with
  BENCH_LIBPATH_ARGS="sockd arguments" or BENCH_LIBPATH_CONF="a sockd.conf
  line"; bench.sh then carries integrity and confidentiality both ways on
  a second sockd with the switch and prints `speedup confidentiality:
  N.Nx` and `speedup integrity: N.Nx` (the time for the bulk size down
  plus up, library path over fast path).
EOF
}

# Each run's value of each figure, in the order measured.
raw_figures()
{
	awk '{
		v[$1] = v[$1] " " $2
		if (!($1 in o)) {
			o[$1] = ++n
			k[n] = $1
		}
	}
	END {
		for (i = 1; i <= n; i++)
			printf "%-36s%s\n", k[i], v[k[i]]
	}' "${RES}"
}

# RESULTS.md: all generated, but for the notes between the markers,
# which are carried over from the file it replaces.
results_md()
{
	local notes=""

	[ -f "${OUT}" ] && notes=$(sed -n \
	    '/^<!-- notes -->$/,/^<!-- \/notes -->$/p' "${OUT}")
	[ -n "${notes}" ] || notes=$(printf '<!-- notes -->\n<!-- /notes -->')
	cat <<EOF
# sockd benchmark results

Produced by \`${BENCH_CMD}\` on ${DATE}, in about ${ELAPSED} minutes.
Every figure is the median of ${RUNS} runs with the smallest and the
largest; a ratio is the figure's median over its baseline's median,
both measured in this run.
EOF
	[ "${QUICK}" = 1 ] &&
	    printf '\n**Quick run (-q): small sizes, not figures to quote.**\n'
	printf '\n## Machine\n\n'
	machine
	printf '\n## Results\n'
	md_table <"${WORK}/table"
	printf '\n'
	speedup_lines
	printf '\n- Targets: %s.\n' "$(count_verdicts)"
	printf -- '- One source address at concurrency 64: %s%s\n' \
	    "${ONEADDR}" " (see Method)."
	printf -- "- Issue 9's speedup lines: %s\n" "$(issue9_note)"
	busy_note | sed 's/^/- Note: /'
	printf '\n'
	bench_method
	printf '\n## Where the time goes (targets missed)\n\n'
	if [ -s "${PROFILES}" ]; then
		echo "perf record -e cpu-clock on the processes named, during"
		echo "one more run of the test that missed (loadgen is not"
		echo "sampled)."
		cat "${PROFILES}"
	else
		echo "Every target was met."
	fi
	printf '\n## Notes\n\n%s\n' "${notes}"
	printf '\n## Raw figures\n\nEach run, in the order measured.\n\n'
	printf '```\n'
	raw_figures
	printf '```\n'
}

say "== where the time goes, for each target missed"
rec budget.idle_kb 64
table_rows >"${WORK}/table"
profile_misses

DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
ELAPSED=$(( ($(date +%s) - START + 30) / 60 ))
{
	printf '\nsockd benchmark, %s: median, min and max of %s runs\n' \
	    "${DATE}" "${RUNS}"
	print_table <"${WORK}/table"
	echo
	speedup_lines
	echo "one source address at concurrency 64: ${ONEADDR}"
	busy_note
	echo "targets: $(count_verdicts); about ${ELAPSED} minutes;" \
	    "details in ${OUT}"
}
results_md >"${WORK}/RESULTS.md"
cp "${WORK}/RESULTS.md" "${OUT}" || die "cannot write ${OUT}"
say "== results in ${OUT}"
exit 0

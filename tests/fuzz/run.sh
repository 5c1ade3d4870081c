#!/bin/sh
#
# Run libFuzzer harnesses: first every regression input once, then the
# fuzzer from the checked-in seed corpus.  Called by "make fuzz" and
# "make fuzz-short" (tests/fuzz/Makefile.inc) from the top directory:
#
#	sh tests/fuzz/run.sh runs N harness...	N executions each
#	sh tests/fuzz/run.sh time S harness...	S seconds each
#
# New inputs the fuzzer finds go to a scratch directory that is removed
# afterwards, so the seed corpus only changes by hand.  A crash, leak,
# timeout or failed check is saved as tests/fuzz/artifacts/NAME-*; the
# script goes on with the other harnesses and fails at the end.  It
# prints one line per harness: executions, seconds, executions/second.

set -u

usage()
{
	echo "usage: $0 runs|time N harness..." >&2
	exit 2
}

[ $# -ge 3 ] || usage
mode=$1
amount=$2
shift 2
case ${mode} in
runs)	limit="-runs=${amount}" ;;
time)	limit="-max_total_time=${amount}" ;;
*)	usage ;;
esac

top=tests/fuzz
artifacts=${top}/artifacts
mkdir -p "${artifacts}" || exit 1
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sockd-fuzz.XXXXXX") || exit 1
trap 'rm -rf "${scratch}"' EXIT
trap 'exit 1' HUP INT TERM
# Whatever a harness leaves in TMPDIR goes with the scratch directory.
TMPDIR=${scratch}
export TMPDIR

# What each harness needs beyond the defaults: inputs long enough for
# its largest message, a dictionary, a cap on any one allocation.
options()
{
	case $1 in
	fuzz_socks)	echo "-max_len=600" ;;
	fuzz_gssframe)	echo "-max_len=512" ;;
	fuzz_gssreader)	echo "-max_len=140000" ;;
	fuzz_config)	echo "-max_len=8192 -dict=${top}/config.dict" ;;
	fuzz_keytab)	echo "-max_len=4096" ;;
	fuzz_cfx)	echo "-max_len=4200" ;;
	# No message is larger than PROC_MAX_IMSGSIZE plus its header, and
	# the read buffer is 64 KiB: 1 MiB is far beyond any of it.
	fuzz_imsg)	echo "-max_len=140000 -malloc_limit_mb=1" ;;
	*)		echo "" ;;
	esac
}

failed=""
summary=""
for bin in "$@"; do
	name=${bin##*/}
	opts="$(options "${name}") -timeout=10"
	log=${scratch}/${name}.log

	# The regression inputs: each run once, all must pass.  The
	# fuzzer runs all the same, to find what else there is.
	regress=${top}/regress/${name}
	if [ -d "${regress}" ] && [ -n "$(ls -A "${regress}")" ]; then
		if ! "${bin}" ${opts} "${regress}"/* >"${log}" 2>&1; then
			echo "=== ${name}: a regression input fails" >&2
			tail -n 40 "${log}" >&2
			failed="${failed} ${name}(regress)"
		else
			n=$(ls "${regress}" | wc -l | tr -d ' ')
			echo "${name}: ${n} regression inputs pass"
		fi
	fi

	work=${scratch}/${name}
	mkdir -p "${work}"
	start=$(date +%s)
	"${bin}" ${opts} ${limit} -print_final_stats=1 \
	    -artifact_prefix="${artifacts}/${name}-" \
	    "${work}" "${top}/corpus/${name}" >"${log}" 2>&1
	rc=$?
	end=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "${log}")
	cov=$(sed -n 's/^#[0-9]*.*DONE *cov: \([0-9]*\).*/\1/p' "${log}")
	line=$(printf '%-16s %10s execs %6s s %8s execs/s  cov %s' \
	    "${name}" "${execs:-?}" "$((end - start))" "${rate:-?}" \
	    "${cov:-?}")
	if [ ${rc} -ne 0 ]; then
		echo "=== ${name}: fuzzer failed (exit ${rc})" >&2
		tail -n 60 "${log}" >&2
		failed="${failed} ${name}"
		line="${line}  FAILED"
	fi
	echo "${line}"
	summary="${summary}${line}
"
done

echo
echo "summary (${mode} ${amount}):"
printf '%s' "${summary}"
if [ -n "${failed}" ]; then
	echo "FAILED:${failed}; inputs in ${artifacts}/" >&2
	exit 1
fi
exit 0

#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`: clang 14, ASan + UBSan, only the SIP library) and
# runs each for DURATION seconds on a scratch copy of its seed corpus (the repository is never
# modified). Exits 1 if any target finds a crash, leak, sanitizer report, timeout or OOM.
#
#   scripts/fuzz.sh 30                      # `make test`
#   scripts/fuzz.sh 600                     # `make fuzz`
#   FUZZ_TARGETS="fuzz_uri" scripts/fuzz.sh 60
#
# Each run works in its own directory, build/fuzz/scratch/run-<time>-<pid>/<target>/, so runs at
# the same time do not disturb each other; it is removed when every target passes. A finding
# leaves its input there as crash-* (or leak-, timeout-, oom-); reproduce it with
# build/fuzz/fuzz/<target> <file> (fuzz_datagram prints the serialized message when
# OSPREY_FUZZ_DUMP=1 is set).
set -euo pipefail

duration="${1:-30}"
if ! [[ "${duration}" =~ ^[0-9]+$ ]] || [[ "${duration}" -eq 0 ]]; then
  echo "usage: $0 SECONDS" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"
build="${root}/build/fuzz"
jobs="${FUZZ_BUILD_JOBS:-2}"

mkdir -p "${build}"
# One build of build/fuzz at a time (another run may be building it too).
(
  flock 9
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j"${jobs}"
) 9>"${build}/.fuzz-build.lock"

run_dir="${build}/scratch/run-$(date +%Y%m%d-%H%M%S)-$$"

targets="${FUZZ_TARGETS:-fuzz_datagram fuzz_stream fuzz_uri fuzz_name_addr fuzz_digest fuzz_header fuzz_access fuzz_stun fuzz_dns_answer fuzz_header_rules}"
failed=0
for target in ${targets}; do
  binary="${build}/fuzz/${target}"
  work="${run_dir}/${target}"
  mkdir -p "${work}/corpus"
  if [[ -d "fuzz/corpus/${target}" ]]; then
    cp -R "fuzz/corpus/${target}/." "${work}/corpus/"
  fi

  args=(-max_total_time="${duration}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
        -artifact_prefix="${work}/")
  case "${target}" in
    fuzz_datagram | fuzz_stream) args+=(-max_len=65536 -dict="${root}/fuzz/sip.dict") ;;
    fuzz_stun) args+=(-max_len=600) ;;
    fuzz_access) args+=(-max_len=4096 -dict="${root}/fuzz/sip.dict") ;;
    *) args+=(-max_len=4096) ;;
  esac

  log="${work}/fuzz.log"
  status=0
  "${binary}" "${args[@]}" "${work}/corpus" >"${log}" 2>&1 || status=$?

  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "${log}" | grep -o '[0-9]*$' | tail -1 || true)"
  cov="$(grep -oE '(DONE|pulse|NEW|REDUCE|INITED) +cov: [0-9]+' "${log}" | grep -oE '[0-9]+$' | tail -1 || true)"
  ft="$(grep -oE ' ft: [0-9]+' "${log}" | grep -oE '[0-9]+$' | tail -1 || true)"
  corpus="$(find "${work}/corpus" -type f | wc -l)"
  artifacts="$(find "${work}" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' -o -name 'slow-unit-*' \) | grep -v slow-unit || true)"
  if [[ "${status}" -ne 0 || -n "${artifacts}" || -z "${runs}" ]]; then
    failed=1
    echo "${target}: FAILED (exit ${status}) runs=${runs:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corpus}"
    grep -E 'ERROR: |property failed|runtime error|SUMMARY' "${log}" | head -5 | sed 's/^/    /'
    for a in ${artifacts}; do echo "    input: ${a}"; done
    echo "    log: ${log}"
  else
    echo "${target}: ok runs=${runs:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corpus} (${duration}s)"
  fi
done
if [[ "${failed}" -eq 0 ]]; then
  rm -rf "${run_dir}"
else
  echo "findings kept in ${run_dir}"
fi
exit "${failed}"

#!/usr/bin/env bash
# Runs the whole suite (`make test`) N times in a row while stress-ng keeps both cores busy,
# as CI's machine often is. Prints each run's result and wall time, and appends them to
# var/stress-runs.log. Usage: scripts/stress-test.sh [RUNS] (default 3); extra pytest
# arguments through PYTEST_ARGS. Exits non-zero at the first failing run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${1:-3}
cpus=${STRESS_CPUS:-2}
command -v stress-ng >/dev/null || {
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stress-ng >/dev/null
	else
		echo "stress-ng is needed: sudo apt-get install stress-ng" >&2
		exit 1
	fi
}
mkdir -p var
log=var/stress-runs.log

stress-ng --cpu "$cpus" --cpu-load 100 --timeout 0 --quiet &
stress_pid=$!
trap 'kill "$stress_pid" 2>/dev/null || true; wait "$stress_pid" 2>/dev/null || true' EXIT

for i in $(seq 1 "$runs"); do
	out=$(mktemp -t care-stress.XXXXXX)
	start=$(date +%s)
	set +e
	make --no-print-directory test PYTEST_ARGS="${PYTEST_ARGS:-} -p no:cacheprovider" >"$out" 2>&1
	rc=$?
	set -e
	took=$(($(date +%s) - start))
	summary=$(grep -E '^=+ .*(passed|failed|error).* =+$' "$out" | tail -1 || true)
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	line="$(date -u +%FT%TZ) run $i/$runs stress-ng --cpu $cpus: exit $rc in ${took}s (load $load) $summary"
	echo "$line" | tee -a "$log"
	if [ "$rc" -ne 0 ]; then
		grep -E '^(FAILED|ERROR) ' "$out" | tee -a "$log" || true
		echo "full output: $out" >&2
		exit "$rc"
	fi
	rm -f "$out"
done

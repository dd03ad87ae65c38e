#!/usr/bin/env bash
# A whole reproduce profile's wall time, one run at a time against populations: `innate reproduce
# --profile PROFILE --only EXPERIMENT --populations never|always` into a scratch folder (nothing
# reused), --jobs 2 (this machine's cores), each mode once.
#
#   bench/profile_speed.sh EXPERIMENT [PROFILE [MODES]]     # e.g. gem-fig1c paper "never always"
#
# Needs target/release/innate (cargo build --release) and the data in $INNATE_DATA or
# ../shared/data. Appends one JSON line per mode to bench/results/profile_speed.jsonl (wall
# seconds, runs, runs per hour, peak memory of the process) and prints them.
set -euo pipefail
cd "$(dirname "$0")/.."
experiment=${1:?usage: bench/profile_speed.sh EXPERIMENT [PROFILE [MODES]]}
profile=${2:-paper}
modes=${3:-never always}
jobs=${JOBS:-2}
data=${INNATE_DATA:-../shared/data}
out=bench/results/profile_speed.jsonl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p bench/results
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for mode in $modes; do
  /usr/bin/time -f "%e %M" -o "$tmp/time" target/release/innate --quiet --data-dir "$data" reproduce \
    --profile "$profile" --only "$experiment" --populations "$mode" --jobs "$jobs" --out "$tmp/$mode" > /dev/null
  python3 - "$tmp/$mode/results/$experiment.jsonl" "$tmp/time" "$experiment" "$profile" "$mode" "$jobs" "$stamp" >> "$out" <<'PY'
import json, sys
rows_file, time_file, experiment, profile, mode, jobs, stamp = sys.argv[1:]
wall, peak_kb = open(time_file).read().split()[-2:]
rows = [json.loads(l) for l in open(rows_file) if l.strip()]
print(json.dumps({
    "bench": "profile_speed", "experiment": experiment, "profile": profile, "populations": mode,
    "jobs": int(jobs), "runs": len(rows), "wall_seconds": float(wall), "runs_per_hour": 3600 * len(rows) / float(wall),
    "peak_rss_mb": int(peak_kb) / 1024, "innate": rows[0]["metrics"]["innate_version"], "at": stamp,
    "best": {r["run"]: r["metrics"]["best_test_accuracy"] for r in rows}}))
PY
  tail -1 "$out" | python3 -c 'import json, sys; r = json.loads(sys.stdin.read()); r.pop("best"); print(r)'
done

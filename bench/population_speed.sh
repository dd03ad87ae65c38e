#!/usr/bin/env bash
# Populations against one run at a time: `innate train --seeds` with and without
# --one-at-a-time, on one thread, for the arms of the developmental-priors sweeps under the paper's
# protocol (early stopping and all), and for GN30 g-networks trained intermittently on MNIST (10
# of the paper's 500 generations), the two modes interleaved per arm. Both modes train in one
# process from one copy of the data; the results are the same run for run (checked here).
#
#   bench/population_speed.sh [SEEDS]          # default 10 seeds per arm
#   ARMS=gnet-gn30-10gen bench/population_speed.sh 10
#
# Needs target/release/innate (cargo build --release) and the data in $INNATE_DATA or
# ../shared/data. Appends one JSON line per arm and mode to bench/results/population_speed.jsonl
# (wall seconds, runs per hour, per-member seconds per 1,000 batches, the process's peak memory)
# and prints the table the README shows. ARMS=name,name limits the arms.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-10}
data=${INNATE_DATA:-../shared/data}
out=bench/results/population_speed.jsonl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p bench/results
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
declare -A arms=(
  [mlsgem-g9]="--model mlp --hidden 784 --encoding mlsgem --genes 9"
  [mlsgem-g22]="--model mlp --hidden 784 --encoding mlsgem --genes 22"
  [rb-b135]="--model mlp --hidden 784 --encoding rb --basis 135"
  [direct-mlp784]="--model mlp --hidden 784 --encoding direct"
  [gem-slp-g20]="--model slp --encoding gem --genes 20 --learn-output"
  [gnet-gn30-10gen]="--model mlp --encoding gnet --preset gn30 --strategy intermittent --generations 10"
)
# Arms shorter than the paper's protocol, and how (recorded with each line).
declare -A shortened=(
  [gnet-gn30-10gen]="paper protocol shortened to 10 of its 500 generations"
)
order=(gem-slp-g20 mlsgem-g9 mlsgem-g22 rb-b135 direct-mlp784 gnet-gn30-10gen)
[ -n "${ARMS:-}" ] && IFS=, read -r -a order <<<"$ARMS"
for arm in "${order[@]}"; do
  [ -n "${arms[$arm]:-}" ] || { echo "unknown arm $arm (known: ${!arms[*]})" >&2; exit 1; }
  for mode in population one-at-a-time; do
    flag=()
    [ "$mode" = one-at-a-time ] && flag=(--one-at-a-time)
    # shellcheck disable=SC2086
    RAYON_NUM_THREADS=1 /usr/bin/time -f "%e %M" -o "$tmp/time" target/release/innate --quiet --data-dir "$data" \
      train --dataset mnist ${arms[$arm]} --seeds "0..$seeds" "${flag[@]}" --out "$tmp/$mode" --overwrite > /dev/null \
      || echo "$arm, $mode: some runs stopped without a result (collapsed or diverged; recorded as null)" >&2
    protocol="paper protocol"
    [ -n "${shortened[$arm]:-}" ] && protocol=${shortened[$arm]}
    python3 - "$tmp/$mode" "$tmp/time" "$arm" "$mode" "$seeds" "$stamp" "$protocol" >> "$out" <<'PY'
import json, os, sys
run_dir, time_file, arm, mode, seeds, stamp, protocol = sys.argv[1:]
wall, peak_kb = open(time_file).read().split()[-2:]
paths = [os.path.join(run_dir, f"seed{s}", "metrics.json") for s in range(int(seeds))]
# A run that stopped (collapsed, diverged) has no metrics.json: null, in both modes alike.
ms = [json.load(open(p)) if os.path.exists(p) else None for p in paths]
done = [m for m in ms if m]
print(json.dumps({
    "bench": "population_speed", "arm": arm, "mode": mode, "members": len(ms), "threads": 1,
    "protocol": protocol,
    "wall_seconds": float(wall), "runs_per_hour": 3600 * len(ms) / float(wall),
    "peak_rss_mb": int(peak_kb) / 1024,
    "seconds_per_1000_batches": sum(m["seconds_per_1000_batches"] for m in done) / max(len(done), 1),
    "batches": [m and m["batches"] for m in ms], "best": [m and m["best_test_accuracy"] for m in ms],
    "at": stamp, "innate": done[0]["innate_version"] if done else None}))
PY
    echo "$arm, $mode: done" >&2
  done
done
python3 - "$out" "$stamp" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r.get("at") == sys.argv[2]]
print("| arm (1 thread; the paper protocol unless its name says otherwise) | runs | one at a time: runs / hour | population: runs / hour | ratio | peak memory, one at a time / population (MB) | same results |")
print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
for arm in dict.fromkeys(r["arm"] for r in rows):
    one = next(r for r in rows if r["arm"] == arm and r["mode"] == "one-at-a-time")
    pop = next(r for r in rows if r["arm"] == arm and r["mode"] == "population")
    same = one["best"] == pop["best"] and one["batches"] == pop["batches"]
    print(f"| {arm} | {one['members']} | {one['runs_per_hour']:.0f} | {pop['runs_per_hour']:.0f} | "
          f"{pop['runs_per_hour'] / one['runs_per_hour']:.2f} | {one['peak_rss_mb']:.0f} / {pop['peak_rss_mb']:.0f} | {'yes' if same else 'NO'} |")
PY

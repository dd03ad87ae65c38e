#!/usr/bin/env bash
# One call's worth of GPU checks for a session lent a GPU machine (see ../shared/GPU.md): it
# checks that the carried CUDA binary links and opens the GPU, then times the developmental-priors
# runs the issues ask about on the GPU against the same machine's CPU and against
# bench/sgem_torch.py (PyTorch) on the same GPU, and writes one JSON line per timing.
#
# Prepare here (the CUDA binary and the data it reads in the ignored folder .gpu/):
#
#     ../shared/tools/cuda-build.sh -p innate-cli
#     mkdir -p .gpu && strip -o .gpu/innate target/cuda/release/innate && gzip -9f .gpu/innate
#     cp -r ../shared/data/mnist .gpu/
#
# then call the device tool's `run` with carry [".gpu"] and the command
#
#     bash bench/gpu_check.sh
#
# It writes $OUT/gpu_check.jsonl (the timings) and $OUT/gpu_check.log (everything printed), and
# exits 1 if any step failed (its JSON line says "failed" and the exit status; 124 is a timeout).
# Environment: BIN (default .gpu/innate), DATA (default .gpu), DEVICE (default cuda; cpu runs the
# same script here to check it), BATCHES (default 2000: batches per timing run), OUT (default
# /tmp/gpu_check), STEP_LIMIT (default 120: seconds per step) and DEADLINE (default 540: no step
# starts unless it would end by then, so the whole script fits one 600-second device call).
set -uo pipefail

BIN=${BIN:-.gpu/innate}
DATA=${DATA:-.gpu}
DEVICE=${DEVICE:-cuda}
BATCHES=${BATCHES:-2000}
OUT=${OUT:-/tmp/gpu_check}
STEP_LIMIT=${STEP_LIMIT:-120}
DEADLINE=${DEADLINE:-540}

die() {
    echo "gpu_check: $*" >&2
    exit 1
}

for v in BATCHES STEP_LIMIT DEADLINE; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive whole number, got '${!v}'"
done
[[ $DEVICE == cpu || $DEVICE == cuda || $DEVICE =~ ^cuda:[0-9]+$ ]] ||
    die "DEVICE must be cpu, cuda or cuda:N, got '$DEVICE'"
mkdir -p "$OUT/runs" || die "cannot create $OUT/runs"
RESULTS=$OUT/gpu_check.jsonl
LOG=$OUT/gpu_check.log
: >"$RESULTS"
exec > >(tee -a "$LOG") 2>&1

if [ -f "$BIN.gz" ]; then
    gunzip -f "$BIN.gz" || die "cannot unpack $BIN.gz"
fi
[ -x "$BIN" ] || chmod +x "$BIN" 2>/dev/null || die "no innate binary at $BIN: build it as the header says"
[ -f "$DATA/mnist/t10k-images-idx3-ubyte.gz" ] || die "no MNIST under $DATA/mnist: copy ../shared/data/mnist there"

if [ "$DEVICE" != cpu ]; then
    # cublas, curand and cudart come from PyTorch's cu13 packages; libcuda from the driver.
    LIB=$(python3 -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13", "lib"))' 2>/dev/null) ||
        die "python3 cannot import the nvidia packages that hold the CUDA libraries"
    export LD_LIBRARY_PATH=$LIB:${LD_LIBRARY_PATH:-}
    if ldd "$BIN" | grep -i "not found"; then
        die "the binary misses the libraries above"
    fi
    nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv || die "nvidia-smi failed"
fi
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' || true

# failed IMPL NAME DEVICE STATUS WHY: records a step that did not give a timing.
failed() {
    printf '{"implementation": "%s", "check": "%s", "device": "%s", "failed": true, "status": %s, "why": "%s"}\n' \
        "$1" "$2" "$3" "$4" "$5" >>"$RESULTS"
    echo "gpu_check: $1 $2 on $3 failed ($5, status $4)" >&2
}

# time_left WHAT: whether a step of STEP_LIMIT seconds still ends before DEADLINE.
time_left() {
    if ((SECONDS + STEP_LIMIT > DEADLINE)); then
        echo "gpu_check: skipping $1: ${SECONDS} s gone, a step may take ${STEP_LIMIT} s, deadline ${DEADLINE} s" >&2
        failed skipped "$1" - 0 "no time left before the deadline"
        return 1
    fi
}

# innate NAME DEVICE ARGS...: one `innate train` run; appends its timing to $RESULTS.
innate() {
    local name=$1 device=$2 status
    shift 2
    time_left "innate $name on $device" || return 0
    local dir=$OUT/runs/$name-$device
    echo "== innate $name on $device: $*"
    timeout "$STEP_LIMIT" "$BIN" train -q --data-dir "$DATA" --device "$device" --out "$dir" --overwrite "$@"
    status=$?
    if ((status != 0)); then
        failed innate "$name" "$device" "$status" "innate train failed or timed out"
        return 0
    fi
    python3 - "$dir/metrics.json" "$name" >>"$RESULTS" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
c = m["config"]
print(json.dumps({
    "implementation": "innate " + m["innate_version"], "check": sys.argv[2], "device": m["device"],
    "encoding": m["encoding"], "model": c["network"]["kind"], "genes": c["encoding"].get("genes"),
    "learned_params": m["genome_params"], "batches": m["batches"],
    "seconds_per_1000_batches": m["seconds_per_1000_batches"], "seconds": m["seconds"],
    "best_test_accuracy": m["best_test_accuracy"],
}))
EOF
    status=$?
    ((status == 0)) || failed innate "$name" "$device" "$status" "cannot read $dir/metrics.json"
}

# torch_run NAME DEVICE ARGS...: one bench/sgem_torch.py run; appends its JSON lines to $RESULTS.
torch_run() {
    local name=$1 device=$2 status lines
    shift 2
    time_left "pytorch $name on $device" || return 0
    echo "== pytorch $name on $device: $*"
    lines=$(timeout "$STEP_LIMIT" python3 bench/sgem_torch.py --data-dir "$DATA" --device "$device" "$@")
    status=$?
    if ((status != 0)); then
        failed pytorch "$name" "$device" "$status" "bench/sgem_torch.py failed or timed out"
        return 0
    fi
    python3 -c 'import json, sys
for line in sys.stdin:
    r = json.loads(line); r["check"] = sys.argv[1]; print(json.dumps(r))' "$name" <<<"$lines" >>"$RESULTS" ||
        failed pytorch "$name" "$device" 1 "bench/sgem_torch.py printed no JSON"
}

speed=(--batches "$BATCHES" --eval-every "$BATCHES" --patience 0)
mlsgem=(--encoding mlsgem --model mlp --hidden 784 --genes 22)
sgem=(--encoding sgem --model slp --genes 11)

# Speed: ML-S-GEM G = 22 (the issue's timing), S-GEM SLP and the direct 784-784-10 MLP, on the GPU
# and on the CPU (one thread for the GEM family, as `innate train` chooses).
innate mlsgem-g22-speed "$DEVICE" "${mlsgem[@]}" "${speed[@]}"
innate sgem-slp-g11-speed "$DEVICE" "${sgem[@]}" "${speed[@]}"
innate direct-mlp784-speed "$DEVICE" --encoding direct --model mlp --hidden 784 "${speed[@]}"
# On a CPU, PyTorch gets one thread as innate's GEM family does.
threads=()
[ "$DEVICE" = cpu ] && threads=(--threads 1)
torch_run mlsgem-g22-speed "$DEVICE" --model mlp --genes 22 --batches "$BATCHES" "${threads[@]}"
torch_run sgem-slp-g11-speed "$DEVICE" --model slp --genes 11 --batches "$BATCHES" "${threads[@]}"
if [ "$DEVICE" != cpu ]; then
    innate mlsgem-g22-speed cpu "${mlsgem[@]}" "${speed[@]}"
    torch_run mlsgem-g22-speed cpu --model mlp --genes 22 --batches "$BATCHES" --threads 1
fi
# The paper's own timing claim: a whole ML-S-GEM run under its protocol (97 s in the paper) and a
# whole 784-784-10 MLP run (89 s), seed 0.
innate mlsgem-g22-paper "$DEVICE" "${mlsgem[@]}"
innate direct-mlp784-paper "$DEVICE" --encoding direct --model mlp --hidden 784
torch_run mlsgem-g22-paper "$DEVICE" --model mlp --genes 22 --protocol paper "${threads[@]}"

echo "== results ($RESULTS), ${SECONDS} s"
cat "$RESULTS"
if grep -q '"failed": true' "$RESULTS"; then
    exit 1
fi

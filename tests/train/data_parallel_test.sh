#!/usr/bin/env bash
# Data-parallel facet-train (train/data_parallel.h), launched as torchrun launches it (RANK,
# WORLD_SIZE, MASTER_ADDR, MASTER_PORT), two processes of one thread on 127.0.0.1 with Gloo:
#  - 20 steps with --verify-replicas: after every step both ranks' weights are bitwise equal;
#  - its loss curve is one process's with the doubled batch, within 1e-4 relative (fp32; only the
#    order of the gradient sums differs);
#  - a rank killed mid-run ends the other with an error within the timeout, and the checkpoint
#    stays readable: a single process resumes from it (another world size);
#  - a rank that hangs (stopped) ends the other after --dist-timeout;
#  - one process stopped and resumed writes the checkpoint of an uninterrupted run, byte for byte;
#  - the same two checks with balanced rate points and relative rate-point weights.
# Usage: data_parallel_test.sh FACET FACET_TRAIN SOURCE_DIR
set -u
facet=$1
trainer=$2
src=$3
work=$(mktemp -d)
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
passed=0
failed=0
check() {
  local name=$1
  shift
  if "$@"; then echo "ok   $name"; passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}
port=$((20000 + RANDOM % 20000))
"$facet" train --data "$src/corpus" --crop-size 64 --crops-per-image 16 --save-crops "$work/crops.bin" --steps 0 \
  > /dev/null || { echo "FAIL cannot pack crops"; exit 1; }
common=(--data "$work/crops.bin" --n 16 --m 32 --hyper-n 16 --groups 3 --chroma 8 --lambdas 0.01,0.03 --patch 64
        --lr 1e-3 --warmup 2 --precision fp32 --threads 1 --seed 5 --log-every 1)
rank() {  # rank R PORT ARGS...: one rank in the background, its pid in pids, log in $work/rR.log
  local r=$1 p=$2
  shift 2
  MASTER_ADDR=127.0.0.1 MASTER_PORT=$p WORLD_SIZE=2 RANK=$r LOCAL_RANK=$r "$trainer" "${common[@]}" "$@" \
    > "$work/r$r.log" 2>&1 &
  pids+=($!)
}

# Two ranks of batch 2 against one process of batch 4.
rank 0 $port --batch 2 --steps 20 --verify-replicas --dist-timeout 30 --checkpoint "$work/dp.safetensors"
r0=${pids[-1]}
rank 1 $port --batch 2 --steps 20 --verify-replicas --dist-timeout 30 --checkpoint "$work/dp.safetensors"
r1=${pids[-1]}
wait $r0; s0=$?
wait $r1; s1=$?
check two-ranks-finish test $s0 -eq 0 -a $s1 -eq 0
check replicas-verified-each-step test "$(grep -c '^train step' "$work/r0.log")" -eq 20
check rank0-says-data-parallel grep -q 'data parallel: rank 0 of 2 (Gloo), global batch 4' "$work/r0.log"
check only-rank0-logs test ! -s "$work/r1.log"
check all-reduce-timed grep -q 'all-reduce [0-9.]* ms/step' "$work/r0.log"
"$trainer" "${common[@]}" --batch 4 --steps 20 > "$work/one.log" 2>&1
check one-process-runs test $? -eq 0
same_losses() {  # same_losses STEPS A.log B.log: both logs have STEPS losses, equal within 1e-4 relative
  awk -v steps="$1" '
    FNR == NR && /^train step/ { a[++n] = $5; next }
    /^train step/ { b[++m] = $5 }
    END {
      worst = 0
      for (i = 1; i <= n; i++) { d = (a[i] - b[i]) / b[i]; if (d < 0) d = -d; if (d > worst) worst = d }
      printf "  %d and %d steps, largest relative difference of the loss %.2e\n", n, m, worst
      exit !(n == steps && m == steps && worst < 1e-4)
    }' "$2" "$3"
}
check same-loss-curve same_losses 20 "$work/r0.log" "$work/one.log"

# Balanced rate points and relative rate-point weights: two ranks still train as one process (the
# weights' running means are the global batch's), and a resumed run goes on as an uninterrupted
# one (the running means are kept in the checkpoint).
balanced=(--rate-points balanced --rate-point-weights relative)
port=$((port + 1))
rank 0 $port --batch 2 --steps 12 "${balanced[@]}" --dist-timeout 30
r0=${pids[-1]}
rank 1 $port --batch 2 --steps 12 "${balanced[@]}" --dist-timeout 30
r1=${pids[-1]}
wait $r0; s0=$?
wait $r1; s1=$?
"$trainer" "${common[@]}" --batch 4 --steps 12 "${balanced[@]}" > "$work/one-balanced.log" 2>&1
s2=$?
check relative-weights-two-ranks-as-one test $s0 -eq 0 -a $s1 -eq 0 -a $s2 -eq 0
check relative-weights-same-loss-curve same_losses 12 "$work/r0.log" "$work/one-balanced.log"

# A rank that dies: the other ends with an error, within the timeout; the checkpoint is intact.
port=$((port + 1))
rank 0 $port --batch 2 --steps 100000 --dist-timeout 20 --checkpoint "$work/kill.safetensors" --checkpoint-every 5
r0=${pids[-1]}
rank 1 $port --batch 2 --steps 100000 --dist-timeout 20 --checkpoint "$work/kill.safetensors" --checkpoint-every 5
r1=${pids[-1]}
for _ in $(seq 300); do [ -f "$work/kill.safetensors" ] && break; sleep 0.1; done
sleep 0.5
kill -9 $r1
start=$SECONDS
wait $r0; s0=$?
check survivor-fails test $s0 -ne 0
check survivor-ends-in-time test $((SECONDS - start)) -le 25
check survivor-says-why grep -Eq 'error: .*data parallel' "$work/r0.log"
"$trainer" "${common[@]}" --batch 4 --steps 1 --resume --checkpoint "$work/kill.safetensors" \
  -o "$work/resumed.safetensors" > "$work/resume.log" 2>&1
check checkpoint-resumes-alone test $? -eq 0 -a -s "$work/resumed.safetensors"

# A rank that hangs: the other ends after --dist-timeout.
port=$((port + 1))
rank 0 $port --batch 2 --steps 100000 --dist-timeout 5 --checkpoint "$work/hang.safetensors" --checkpoint-every 5
r0=${pids[-1]}
rank 1 $port --batch 2 --steps 100000 --dist-timeout 5 --checkpoint "$work/hang.safetensors" --checkpoint-every 5
r1=${pids[-1]}
for _ in $(seq 300); do [ -f "$work/hang.safetensors" ] && break; sleep 0.1; done
kill -STOP $r1
start=$SECONDS
wait $r0; s0=$?
kill -9 $r1
check hung-rank-ends-run test $s0 -ne 0 -a $((SECONDS - start)) -le 20
check hung-rank-error grep -Eq 'error: .*(data parallel|Timed out|timeout)' "$work/r0.log"

# One process: stopping at step 5 and resuming gives the checkpoint of an uninterrupted run, byte
# for byte (the draws depend on the seed and the sample's index, not on a generator's history).
flat=(--lr-schedule step --final-lr 1 --batch 2)
"$trainer" "${common[@]}" "${flat[@]}" --steps 10 --checkpoint "$work/straight.ck" > /dev/null 2>&1
"$trainer" "${common[@]}" "${flat[@]}" --steps 5 --checkpoint "$work/split.ck" > /dev/null 2>&1
"$trainer" "${common[@]}" "${flat[@]}" --steps 10 --checkpoint "$work/split.ck" --resume > /dev/null 2>&1
check resume-equals-uninterrupted cmp "$work/straight.ck" "$work/split.ck"
flat+=("${balanced[@]}")
"$trainer" "${common[@]}" "${flat[@]}" --steps 10 --checkpoint "$work/straight-b.ck" > /dev/null 2>&1
"$trainer" "${common[@]}" "${flat[@]}" --steps 5 --checkpoint "$work/split-b.ck" > /dev/null 2>&1
"$trainer" "${common[@]}" "${flat[@]}" --steps 10 --checkpoint "$work/split-b.ck" --resume > /dev/null 2>&1
check resume-equals-uninterrupted-relative-weights cmp "$work/straight-b.ck" "$work/split-b.ck"

# Launch mistakes are usage errors.
WORLD_SIZE=2 RANK=5 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$trainer" "${common[@]}" --steps 1 > "$work/bad.log" 2>&1
check bad-rank-refused test $? -ne 0
check bad-rank-message grep -q 'RANK=5 is not an integer in 0..1' "$work/bad.log"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

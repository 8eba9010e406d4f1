#!/usr/bin/env bash
# Kill-and-resume soak: for sft, reward, ppo, dpo and grpo, run a small job once without interruption, then run it
# again, SIGKILL it at a random moment KILLS times (resuming with --resume after each kill, or starting over when it
# died before its first checkpoint), let it finish, and compare the final model files, metrics.jsonl and
# samples.jsonl byte for byte with the uninterrupted run (timing metrics, which measure the machine, are left out).
# Prints one PASS/FAIL line per command; exits 1 if any failed.
#
#   Scripts/kill-resume-soak.sh                      # SEED=1 KILLS=5, all five commands
#   SEED=7 KILLS=10 COMMANDS="sft ppo" Scripts/kill-resume-soak.sh
#
# Uses the release binary (.build/release/rlft; build it with `swift build -c release`), or $RLFT. Work files go
# to $WORK (default: a new temporary directory, removed at the end unless KEEP=1).
set -uo pipefail

SEED=${SEED:-1}
KILLS=${KILLS:-5}
COMMANDS=${COMMANDS:-"sft reward ppo dpo grpo"}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RLFT=${RLFT:-$ROOT/.build/release/rlft}
if [ ! -x "$RLFT" ]; then
    echo "kill-resume-soak: $RLFT is missing; build it with: swift build -c release" >&2
    exit 2
fi
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/kill-resume-soak.XXXXXX")}
mkdir -p "$WORK"
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi
RANDOM=$SEED  # seeds bash's generator: the same SEED kills at the same moments (relative to each job's length)

now_ms() { date +%s%3N; }

# Inputs: the built-in task (small splits), a tiny pretrained base model, and an SFT model for the later stages.
"$RLFT" task instructions --out "$WORK/data" --demonstration-count 200 --comparison-count 200 --rl-prompt-count 100 \
    --evaluation-count 20 >"$WORK/setup.log" 2>&1 || { echo "FAIL setup: rlft task (see $WORK/setup.log)"; exit 1; }
"$RLFT" pretrain --out "$WORK/base" --data "$WORK/data/pretrain.jsonl" --steps 30 --layer-count 1 --head-count 2 \
    --embedding-size 32 --context-length 128 --block-length 128 --batch-size 8 --warmup-steps 5 --validation-interval 30 \
    --sample-interval 30 --sample-length 32 --checkpoint-interval 30 --quiet true >>"$WORK/setup.log" 2>&1 \
    || { echo "FAIL setup: rlft pretrain (see $WORK/setup.log)"; exit 1; }
SFT_MODEL=$WORK/base/model  # replaced by the uninterrupted SFT run's model once it exists

# The arguments of each job, without --out. Sizes are chosen so that a job runs for a few seconds and writes many
# checkpoints, so most kills land mid-training (and some mid-checkpoint).
job_arguments() {
    case $1 in
        sft) echo "--train $WORK/data/sft.jsonl --model $WORK/base/model --steps 1000 --batch-size 8 --warmup-steps 5 --evaluation-interval 50 --checkpoint-every 7" ;;
        reward) echo "--train $WORK/data/comparisons.jsonl --model $SFT_MODEL --references $WORK/data/sft.jsonl --epochs 16 --batch-size 4 --evaluation-interval 25 --checkpoint-every 7" ;;
        ppo) echo "--model $SFT_MODEL --reward gold --prompts $WORK/data/prompts.jsonl --iterations 120 --batch-size 8 --checkpoint-every 3 --samples-every 2" ;;
        dpo) echo "--model $SFT_MODEL --train $WORK/data/comparisons.jsonl --epochs 12 --batch-size 4 --checkpoint-every 7" ;;
        grpo) echo "--model $SFT_MODEL --reward gold --prompts $WORK/data/prompts.jsonl --iterations 100 --prompts-per-iteration 4 --generations 4 --checkpoint-every 3 --samples-every 2" ;;
    esac
}

# What a resumed run is given: sft, reward and dpo saved their options in the run directory; ppo and grpo take their
# inputs again.
resume_arguments() {
    case $1 in
        sft | reward | dpo) echo "--resume $2" ;;
        *) echo "$(job_arguments "$1") --resume $2" ;;
    esac
}

has_checkpoint() { compgen -G "$1/checkpoints/step-*" >/dev/null; }

# The files two runs must agree on: everything but checkpoints (pruned differently), plots and the report (which
# hold paths and timings) and the lock file; JSONL logs without timing keys. Temporary files and folders a killed
# run left anywhere (checkpoints included) show up too, so they fail the comparison.
fingerprint() {
    (cd "$1" && find ./checkpoints -name '.*' -print 2>/dev/null
        find . -path ./checkpoints -prune -o -type f ! -name '*.svg' ! -name report.md ! -name .lock -print | sort |
        while read -r file; do
            case $file in
                *.jsonl) printf '%s %s\n' "$file" "$(sed -E 's/"timing\\?\/[A-Za-z_]+":[^,}]*,?//g; s/,}/}/g' "$file" | cksum)" ;;
                *) printf '%s %s\n' "$file" "$(cksum <"$file")" ;;
            esac
        done)
}

failures=0
for command in $COMMANDS; do
    whole=$WORK/$command-whole
    killed=$WORK/$command-killed
    log=$WORK/$command.log
    started=$(now_ms)
    # shellcheck disable=SC2046
    if ! "$RLFT" "$command" $(job_arguments "$command") --out "$whole" >"$log" 2>&1; then
        echo "FAIL $command: the uninterrupted run failed (see $log)"
        failures=$((failures + 1))
        continue
    fi
    length=$(($(now_ms) - started))
    [ "$command" = sft ] && SFT_MODEL=$whole/model

    kills=0 resumes=0 restarts=-1 finished=0 status=0
    rm -rf "$killed"
    while [ $kills -lt "$KILLS" ] && [ $finished -eq 0 ]; do
        if has_checkpoint "$killed"; then
            # shellcheck disable=SC2046
            "$RLFT" "$command" $(resume_arguments "$command" "$killed") >>"$log" 2>&1 &
            resumes=$((resumes + 1))
        else
            rm -rf "$killed"  # died before its first checkpoint: nothing to resume, start over
            # shellcheck disable=SC2046
            "$RLFT" "$command" $(job_arguments "$command") --out "$killed" >>"$log" 2>&1 &
            restarts=$((restarts + 1))
        fi
        pid=$!
        # Uniform in [0, 1.5 L/(KILLS+1)) for a job of length L: the KILLS kills spread over about 3/4 of the job
        # (a resumed run also repeats its start-up and the steps after its checkpoint), so nearly all of them land.
        delay=$((RANDOM * 3 * length / (32768 * 2 * (KILLS + 1))))
        sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        status=$?
        # 128 + 9: the kill landed. Anything else: the run ended first (a finished process is a zombie until
        # waited for, so kill succeeding proves nothing): done, or failed (checked below).
        if [ $status -eq 137 ]; then
            kills=$((kills + 1))
            status=0
        else
            finished=1
        fi
    done
    if [ $finished -eq 0 ]; then
        if has_checkpoint "$killed"; then
            # shellcheck disable=SC2046
            "$RLFT" "$command" $(resume_arguments "$command" "$killed") >>"$log" 2>&1
            status=$?
            resumes=$((resumes + 1))
        else
            rm -rf "$killed"
            # shellcheck disable=SC2046
            "$RLFT" "$command" $(job_arguments "$command") --out "$killed" >>"$log" 2>&1
            status=$?
            restarts=$((restarts + 1))
        fi
    fi
    seconds=$(awk -v ms=$(($(now_ms) - started)) 'BEGIN { printf "%.1f", ms / 1000 }')
    summary="$kills SIGKILLs at random moments of a ${length} ms job, $resumes resumes from a checkpoint, $restarts restarts (killed before the first checkpoint), $seconds s"
    if [ $status -ne 0 ]; then
        echo "FAIL $command: the last run exited with status $status; $summary (see $log)"
        failures=$((failures + 1))
    elif ! difference=$(diff <(fingerprint "$whole") <(fingerprint "$killed")); then
        echo "FAIL $command: differs from the uninterrupted run: $(echo "$difference" | grep '^[<>]' | head -4 | tr '\n' ' '); $summary"
        failures=$((failures + 1))
    else
        echo "PASS $command: final model, metrics and samples identical to the uninterrupted run; $summary"
    fi
done
[ $failures -eq 0 ]

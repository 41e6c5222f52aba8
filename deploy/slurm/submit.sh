#!/usr/bin/env bash
# Submits a sharded parksim sweep to Slurm: an array of SHARDS tasks
# (sweep.sbatch), then the merge (merge.sbatch) with
# --dependency=afterok on the whole array. Prints the two job ids
# ("ARRAY_ID MERGE_ID") on stdout; the merged tables land in OUT/all,
# the jobs' logs in OUT/logs.
#
#   deploy/slurm/submit.sh [SWEEP [SHARDS [OUT]]]
#
# Defaults (or the environment): SWEEP=scenarios/sweeps/hospital-policy.toml,
# SHARDS=50, OUT=sweep-out, PARKSIM=parksim on PATH. Other sbatch options
# go through sbatch's own variables, for both jobs: SBATCH_PARTITION,
# SBATCH_ACCOUNT, SBATCH_TIMELIMIT, ...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SWEEP="${1:-${SWEEP:-scenarios/sweeps/hospital-policy.toml}}"
SHARDS="${2:-${SHARDS:-50}}"
OUT="${3:-${OUT:-sweep-out}}"
PARKSIM="${PARKSIM:-$(command -v parksim || true)}"

die() { echo "submit.sh: $*" >&2; exit 2; }
[[ "$SHARDS" =~ ^[1-9][0-9]*$ ]] || die "SHARDS must be a positive whole number, not '$SHARDS'"
[ -f "$SWEEP" ] || die "no sweep file '$SWEEP'"
if [ -z "$PARKSIM" ] || [ ! -x "$PARKSIM" ]; then
  die "no parksim binary: put it on PATH or set PARKSIM"
fi
command -v sbatch >/dev/null || die "sbatch not found: is this a Slurm login node?"

# The jobs may start in another directory: every path absolute.
abs() { (cd "$(dirname "$1")" && echo "$PWD/$(basename "$1")"); }
mkdir -p "$OUT/logs"
SWEEP="$(abs "$SWEEP")"
OUT="$(cd "$OUT" && pwd)"
PARKSIM="$(abs "$PARKSIM")"
env="ALL,PARKSIM=$PARKSIM,SWEEP=$SWEEP,SHARDS=$SHARDS,OUT=$OUT"

array="$(sbatch --parsable --array="0-$((SHARDS - 1))" --export="$env" \
  --output="$OUT/logs/sweep-%A_%a.out" "$here/sweep.sbatch")"
array="${array%%;*}" # --parsable prints "id" or "id;cluster"
merge="$(sbatch --parsable --dependency="afterok:$array" --export="$env" \
  --output="$OUT/logs/merge-%j.out" "$here/merge.sbatch")"
merge="${merge%%;*}"
echo "$array $merge"

#!/usr/bin/env bash
# The cluster recipes of deploy/, run for real.
#
# Slurm: brings up a one-node Slurm cluster in a temporary directory (munged,
# slurmctld and slurmd started by hand as root: no systemd, no cgroups),
# submits a sweep as an array of 4 shards plus the dependent merge through
# deploy/slurm/submit.sh, waits for both, and checks that the merged
# directory equals an unsharded `parksim sweep` of the same file byte for
# byte, file by file (runs.jsonl, runs.csv/.parquet, summary.csv/.parquet,
# sweep.toml, provenance.json, the plots). The cluster is stopped and its
# state removed on every exit. Slurm and munge are installed from Debian's
# packages when missing.
#
# Kubernetes: deploy/kubernetes/*.yaml checked by .ci/kubernetes.py (schema
# check against the bundled Kubernetes OpenAPI schemas, then the Jobs'
# commands run locally, index by index, and compared the same way).
#
#   .ci/slurm.sh PATH/TO/parksim
#
# SLURM_CI_TIMEOUT (seconds, default 300) bounds the wait for the jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
parksim="$(realpath "${1:?usage: .ci/slurm.sh PATH/TO/parksim}")"
[ -x "$parksim" ] || { echo "slurm: $parksim is not an executable" >&2; exit 2; }
sweep_file="scenarios/sweeps/small.toml"
shards=4
timeout="${SLURM_CI_TIMEOUT:-300}"
t0=$SECONDS

# --- Slurm and munge, from Debian's packages when missing -------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
  ! command -v sbatch >/dev/null || ! command -v munged >/dev/null ||
  ! command -v mungekey >/dev/null; then
  echo "slurm: installing slurmctld slurmd slurm-client munge"
  apt-get update -qq
  # Their services are not started here (no init system); this script
  # starts its own daemons.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
fi

# --- A one-node cluster in a temporary directory ----------------------------
state="$(mktemp -d /tmp/parksim-slurm.XXXXXX)" # mode 700: munged insists
daemons=()                                     # pids of what this script started
dump_logs() {
  for f in "$state"/log/*.log "$state"/out/logs/*; do
    [ -f "$f" ] || continue
    echo "----- $f (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
}
stop_cluster() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "slurm: FAILED (exit $rc); the cluster's logs:" >&2
    dump_logs
  fi
  if [ -n "${SLURM_CONF:-}" ] && [ -f "$SLURM_CONF" ]; then
    timeout 10 scancel --quiet --user="$(id -un)" 2>/dev/null || true
  fi
  # Newest first: slurmd, slurmctld, munged; by pid, each one this script
  # started; a daemon that ignores SIGTERM for 10 s gets SIGKILL.
  local i pid
  for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do
    pid="${daemons[i]}"
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$state"
  exit "$rc"
}
trap stop_cluster EXIT
trap 'exit 130' INT TERM

mkdir -p "$state"/{log,ctld,spool,munge}
chmod 700 "$state/munge"
host="$(hostname -s)"
# Two free TCP ports on the loopback for slurmctld and slurmd.
read -r ctld_port slurmd_port < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))')

mungekey --create --keyfile="$state/munge/munge.key"
munged --foreground --force --key-file="$state/munge/munge.key" \
  --socket="$state/munge/munge.sock" --pid-file="$state/munge/munged.pid" \
  --log-file="$state/log/munged.log" --seed-file="$state/munge/munged.seed" \
  >>"$state/log/munged.log" 2>&1 &
daemons+=($!)
for _ in $(seq 50); do [ -S "$state/munge/munge.sock" ] && break; sleep 0.1; done
[ -S "$state/munge/munge.sock" ] || { echo "slurm: munged did not start" >&2; exit 1; }

# The node as slurmd sees it (CPUs, sockets, memory), named after this host
# and reached on the loopback.
node="$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$host/")"
export SLURM_CONF="$state/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=parksimci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$state/munge/munge.sock
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
DependencyParameters=kill_invalid_depend
ReturnToService=2
MinJobAge=600
MailProg=/bin/true
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -D -i -f "$SLURM_CONF" >>"$state/log/slurmctld.out" 2>&1 &
daemons+=($!)
slurmd -D -N "$host" -f "$SLURM_CONF" >>"$state/log/slurmd.out" 2>&1 &
daemons+=($!)

up=""
for _ in $(seq 120); do
  up="$(sinfo -h -N -n "$host" -o %t 2>/dev/null || true)"
  [ "$up" = idle ] && break
  sleep 0.5
done
[ "$up" = idle ] || { echo "slurm: node $host not idle after 60 s (state '${up:-none}')" >&2; exit 1; }
echo "slurm: node $host idle after $((SECONDS - t0)) s (ports $ctld_port, $slurmd_port)"

# --- The sweep: 4 shards as an array, the merge after -----------------------
out="$state/out"
ids="$(PARKSIM="$parksim" deploy/slurm/submit.sh "$sweep_file" "$shards" "$out")"
read -r array merge <<<"$ids"
echo "slurm: array job $array ($shards tasks), merge job $merge (afterok:$array)"
deadline=$((SECONDS + timeout))
while [ -n "$(squeue -h -j "$array,$merge" -o %i 2>/dev/null)" ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "slurm: jobs $array/$merge not done after $timeout s:" >&2
    squeue -j "$array,$merge" >&2 || true
    exit 1
  fi
  sleep 1
done

# Every array task and the merge completed (records kept MinJobAge).
states="$(scontrol -o show job "$array" "$merge" 2>&1 | grep -o 'JobState=[A-Z_]*' | sort | uniq -c || true)"
count="$(scontrol -o show job "$array" | grep -c 'JobState=COMPLETED' || true)"
if [ "$count" -ne "$shards" ] ||
  ! scontrol -o show job "$merge" | grep -q 'JobState=COMPLETED'; then
  echo "slurm: jobs did not all complete:" >&2
  echo "$states" >&2
  exit 1
fi

# Each shard holds its share of the runs, and the merge all of them.
for ((i = 0; i < shards; i++)); do
  grep -q "\"shard\": \"$i/$shards\"" "$out/shard-$i/provenance.json" ||
    { echo "slurm: $out/shard-$i/provenance.json does not say shard $i/$shards" >&2; exit 1; }
done

# --- The merged tables equal an unsharded sweep, byte for byte ---------------
local_out="$state/local"
"$parksim" sweep "$sweep_file" --out "$local_out" --quiet
(cd "$local_out" && find . -type f | sort) >"$state/local.files"
(cd "$out/all" && find . -type f | sort) >"$state/merged.files"
if ! cmp -s "$state/local.files" "$state/merged.files"; then
  echo "slurm: the merged directory holds other files than an unsharded sweep:" >&2
  diff "$state/local.files" "$state/merged.files" >&2 || true
  exit 1
fi
differ=()
while read -r f; do
  cmp -s "$local_out/$f" "$out/all/$f" || differ+=("$f")
done <"$state/local.files"
if [ "${#differ[@]}" -gt 0 ]; then
  echo "slurm: merged and unsharded sweeps differ in: ${differ[*]}" >&2
  for f in "${differ[@]}"; do
    case "$f" in
    *.csv | *.json | *.jsonl | *.toml) diff "$local_out/$f" "$out/all/$f" | head -n 20 >&2 || true ;;
    esac
  done
  exit 1
fi
echo "slurm: after $((SECONDS - t0)) s, $shards shards merged = unsharded sweep" \
  "($(wc -l <"$out/all/runs.jsonl") runs)," \
  "byte for byte: $(grep -vc -e '\.png$' -e '\.svg$' "$state/merged.files") tables" \
  "($(grep -v -e '\.png$' -e '\.svg$' "$state/merged.files" | sed 's|\./||' | tr '\n' ' '| sed 's/ $//'))" \
  "and $(grep -c -e '\.png$' -e '\.svg$' "$state/merged.files") plots"

# --- Kubernetes: the manifests' schema, then their commands run locally ------
python_env="${CARGO_TARGET_DIR:-$state}/k8senv"
if [ ! -x "$python_env/bin/kubernetes-validate" ] ||
  ! cmp -s .ci/kubernetes-requirements.txt "$python_env/requirements.txt"; then
  rm -rf "$python_env"
  python3 -m venv "$python_env"
  "$python_env/bin/pip" install --quiet -r .ci/kubernetes-requirements.txt
  cp .ci/kubernetes-requirements.txt "$python_env/requirements.txt"
fi
"$python_env/bin/python" .ci/kubernetes.py "$parksim" "$python_env/bin/kubernetes-validate"

echo "slurm.sh: done in $((SECONDS - t0)) s"

#!/usr/bin/env bash
# Start a one-node Slurm cluster on this machine (controller and only compute node), for the
# job-array test and for trying the array script locally. Debian/Ubuntu, run as root.
#
# Idempotent: when the node already answers `sinfo` as idle it returns at once; otherwise it
# installs what is missing, writes the munge key and slurm.conf only if absent or different,
# starts whichever of munged/slurmctld/slurmd is not running, and waits for the node to be idle.
# Exit status 0 = the cluster accepts jobs; non-zero = it could not be brought up (reason on stderr).
#
#   scripts/slurm/setup-cluster.sh            # bring it up
#   SLURM_SETUP_TIMEOUT=60 scripts/slurm/...  # seconds to wait for the node (default 90)
set -euo pipefail

timeout_s="${SLURM_SETUP_TIMEOUT:-90}"
log() { printf 'slurm-setup: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts daemons)"

node="$(hostname -s)"

node_state() { sinfo -h -N -n "$node" -o '%T' 2>/dev/null | head -n 1 | tr -d '*~#!%$@^-'; }

# slurm.conf: this host is the controller and the only node. proctrack/linuxproc and task/none
# avoid cgroups, which containers often do not delegate; SlurmUser=root avoids a slurm account;
# the loopback address works even where the host name does not resolve.
cpus="$(nproc)"
# 90 % of the RAM, so slurmd (which checks the real amount) never finds less than configured.
mem_mb="$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)"
conf="$(
  cat <<EOF
# Written by alma-classifier scripts/slurm/setup-cluster.sh: a one-node test cluster.
ClusterName=alma
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=3600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
)"
conf_dir=/etc/slurm
if command -v sinfo >/dev/null 2>&1 && [ "$(cat "$conf_dir/slurm.conf" 2>/dev/null)" = "$conf" ] &&
  [[ "$(node_state)" =~ ^(idle|mixed|allocated)$ ]]; then
  log "node $node already up"
  exit 0
fi

missing=()
command -v munged >/dev/null 2>&1 || missing+=(munge)
command -v slurmctld >/dev/null 2>&1 || missing+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || missing+=(slurmd)
command -v sbatch >/dev/null 2>&1 || missing+=(slurm-client)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The package index may be stale in a fresh container; refresh only when the install fails.
  apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
    die "apt-get install ${missing[*]} failed"
fi

# munge: one shared key authenticates controller and node (they are the same host here).
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  log "creating munge key"
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if ! munge -n >/dev/null 2>&1; then
  log "starting munged"
  runuser -u munge -- /usr/sbin/munged --force
  for _ in $(seq 1 20); do
    munge -n >/dev/null 2>&1 && break
    sleep 0.25
  done
  munge -n >/dev/null 2>&1 || die "munged did not start (see /var/log/munge/munged.log)"
fi

install -d -m 0755 "$conf_dir" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm
conf_changed=0
if [ ! -f "$conf_dir/slurm.conf" ] || [ "$(cat "$conf_dir/slurm.conf")" != "$conf" ]; then
  log "writing $conf_dir/slurm.conf (controller and node: $node, $cpus CPUs, $mem_mb MB)"
  printf '%s\n' "$conf" >"$conf_dir/slurm.conf"
  conf_changed=1
fi

running() { pgrep -x "$1" >/dev/null 2>&1; }
if [ "$conf_changed" -eq 1 ]; then
  # Daemons started with another configuration (node size) must restart to read it.
  if running slurmctld || running slurmd; then
    log "restarting slurmctld and slurmd for the new configuration"
    scontrol shutdown >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 20); do
    running slurmctld || running slurmd || break
    sleep 0.5
  done
fi
if ! running slurmctld; then
  log "starting slurmctld"
  slurmctld || die "slurmctld failed to start (see /var/log/slurm/slurmctld.log)"
fi
if ! running slurmd; then
  log "starting slurmd"
  slurmd || die "slurmd failed to start (see /var/log/slurm/slurmd.log)"
fi

deadline=$((SECONDS + timeout_s))
resumed=0
while [ "$SECONDS" -lt "$deadline" ]; do
  state="$(node_state || true)"
  case "$state" in
    idle | mixed | allocated)
      log "node $node is $state"
      exit 0
      ;;
    down | drained | draining | drain | fail | failing)
      # A node left down by an earlier run (e.g. the machine rebooted) is brought back once.
      if [ "$resumed" -eq 0 ]; then
        scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true
        resumed=1
      fi
      ;;
  esac
  sleep 1
done
die "node $node not idle after ${timeout_s}s (state: ${state:-unknown}); see /var/log/slurm/"

#!/usr/bin/env bash
# Starts a single-node Slurm cluster on this machine for the sweep tests (Debian's slurm-wlm and
# munge, installed when missing): munged, slurmctld and slurmd with proctrack/linuxproc,
# task/none and select/cons_tres, one partition "debug" holding this node. Safe to run again.
# Prints why and exits 0 without a cluster where Slurm cannot be installed (the tests then skip).
set -uo pipefail

if [ "$(uname -s)" != "Linux" ] || ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != "0" ]; then
    echo "slurm-up: needs Debian/Ubuntu and root to install and start Slurm; the Slurm tests will skip"
    exit 0
fi
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    echo "slurm-up: installing slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    (apt-get -o DPkg::Lock::Timeout=600 install -y -qq slurm-wlm munge >/dev/null 2>&1) || (apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq slurm-wlm munge >/dev/null) || {
        echo "slurm-up: could not install slurm-wlm and munge; the Slurm tests will skip"; exit 0; }
fi

# srun --mpi=pmix: Slurm's PMIx plugin loads libpmix.so (libpmix-dev); slurmd must start after it is there
if [ ! -e /usr/lib/x86_64-linux-gnu/pmix2/lib/libpmix.so ] && [ "$(uname -m)" = "x86_64" ]; then
    export DEBIAN_FRONTEND=noninteractive
    (apt-get -o DPkg::Lock::Timeout=600 install -y -qq libpmix-dev >/dev/null 2>&1) || (apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq libpmix-dev >/dev/null 2>&1) || true
    pkill -x slurmd 2>/dev/null && sleep 1
fi

host=$(hostname -s)
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /var/lib/munge /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key

cat > /etc/slurm/slurm.conf <<CONF
ClusterName=wrnn-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
JobRequeue=1
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
MinJobAge=600
KillWait=30
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
rm -f /etc/slurm/cgroup.conf   # slurmd 22.05 then autodetects; proctrack/linuxproc needs no cgroups

pgrep -x munged >/dev/null || su -s /bin/sh munge -c "munged" 2>/dev/null || munged --force
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 1 30); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
        echo "slurm-up: single-node cluster up ($host, $cpus CPUs)"
        exit 0
    fi
    scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
    sleep 1
done
echo "slurm-up: Slurm did not come up; the Slurm tests will report it"
sinfo 2>&1 | head -5
exit 0

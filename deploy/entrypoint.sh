#!/bin/sh
# Every CodeArena container starts here. Docker mounts the cgroup hierarchies read-only inside a
# container; the sandbox makes one cgroup per run *below the container's own cgroup* (memory and
# process limits, CPU accounting, a kill that reaches every process), so it remounts them
# read-write. That needs CAP_SYS_ADMIN, which the sandbox needs anyway for its namespaces and
# mounts (docker-compose.yml says why each capability is there). Without it nothing is remounted
# and `codearena doctor` reports "rlimits only".
set -eu
awk '($3 == "cgroup" || $3 == "cgroup2") && $4 ~ /(^|,)ro(,|$)/ {print $2}' /proc/self/mounts |
while read -r mountpoint; do
    mount -o remount,rw "$mountpoint" 2>/dev/null || mount -o remount,bind,rw "$mountpoint" 2>/dev/null ||
        echo "[ENTRYPOINT] cannot remount $mountpoint read-write: the sandbox will use rlimits only" >&2
done
exec "$@"

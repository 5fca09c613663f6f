#!/bin/sh
# Every CodeArena container starts here. In a container that runs the sandbox (it has
# CAP_SYS_ADMIN: docker-compose.yml and the Kubernetes manifests say why), two things Docker
# does by default stand in the sandbox's way; elsewhere both steps fail quietly and change nothing.
#
# 1. The cgroup hierarchies are mounted read-only. The sandbox makes one cgroup per run *below
#    this container's own cgroup* (memory and process limits, CPU accounting, a kill that reaches
#    every process), so they are remounted read-write.
# 2. Parts of /proc are masked by over-mounts (/proc/kcore, /proc/sys, ...). Each box mounts its
#    own /proc inside a user namespace, which the kernel refuses while any file of the existing
#    /proc is covered ("Can't mount proc on /newroot/proc"), so the over-mounts are removed. What
#    programs see is their box's /proc, as an unprivileged uid; this container's root sees the
#    host's /proc as any root process on the host would (docs/deployment.md: security).
set -eu

if [ -e /sys/fs/cgroup ]; then
    for mountpoint in $(awk '($3 == "cgroup" || $3 == "cgroup2") && $4 ~ /(^|,)ro(,|$)/ {print $2}' /proc/self/mounts); do
        mount -o remount,rw "$mountpoint" 2>/dev/null || mount -o remount,bind,rw "$mountpoint" 2>/dev/null || true
    done
fi
# Deepest first, so a mount under another comes off before it.
for covered in $(awk '$2 ~ /^\/proc\// {print $2}' /proc/self/mounts | sort -r); do
    umount "$covered" 2>/dev/null || umount -l "$covered" 2>/dev/null || true
done
exec "$@"

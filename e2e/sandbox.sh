#!/usr/bin/env bash
# Runs a command as the only tenant of a one-node "machine" made for the real-pods e2e,
# and takes that machine apart afterwards, also after a failure or Ctrl-C:
#
#  - network: a namespace of its own ($GRPC_LB_E2E_NETNS) with loopback and the node's address
#    ($GRPC_LB_E2E_NODE_IP) on one end of a veth pair whose other end is in the same
#    namespace and has no address (the default route points into it; the kernel here has no
#    dummy links). The cluster, the pods' bridge, kube-proxy's iptables rules and all pod
#    traffic live in it; nothing can leave.
#  - mounts: a private mount namespace with a tmpfs on /run and overlays on /var/lib and
#    /var/log (writes go to this run's temp dir), so what containerd, runc, the CNI plugins
#    and the kubelet keep at their fixed paths never reaches the host, and every mount ends
#    with the namespace.
#  - cgroups: a cgroup of its own in every v1 hierarchy (its name in $GRPC_LB_E2E_CGROUP),
#    the kubelet's cgroup root. At the end every process still in it (pods, shims) is
#    killed by PID, then the cgroups and the network namespace are removed. What a run
#    killed outright (SIGKILL) left behind, the next run takes apart the same way.
#
#   bash e2e/sandbox.sh <command...>
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: bash e2e/sandbox.sh <command...>" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "sandbox: the real-pods e2e needs root (network namespace, mounts, cgroups)" >&2; exit 1; }

ID=grpclb-e2e-$$
export GRPC_LB_E2E_NODE_IP=10.123.0.2 GRPC_LB_E2E_CGROUP=$ID GRPC_LB_E2E_NETNS=$ID
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/$ID.XXXXXX") # overlay upper dirs; named for stale cleanup
say() { printf '[sandbox] %s\n' "$*" >&2; }

# The v1 hierarchies (cpu and cpuacct may be one, behind two names).
HIERARCHIES=()
for h in /sys/fs/cgroup/*/; do
  h=${h%/}
  [ -L "$h" ] && continue
  [ -f "$h/cgroup.procs" ] && [ "$(stat -f -c %T "$h")" = cgroupfs ] && HIERARCHIES+=("$h")
done

procs_left() { find "/sys/fs/cgroup/pids/$1" -name cgroup.procs -exec cat {} + 2>/dev/null; }
take_apart() { # <id>: kill what is left in its cgroups (by PID), remove them and its netns
  local id=$1 i pids h
  for i in $(seq 1 20); do
    pids=$(procs_left "$id")
    [ -z "$pids" ] && break
    [ "$i" = 1 ] && say "killing $(wc -w <<<"$pids") processes left in cgroup $id"
    # shellcheck disable=SC2086 # one PID per word
    kill -KILL $pids 2>/dev/null
    sleep 0.5
  done
  [ -n "$(procs_left "$id")" ] && say "WARNING: processes still in cgroup $id: $(procs_left "$id" | tr '\n' ' ')"
  for h in /sys/fs/cgroup/*; do # also the v2 one, where runc mirrors the tree
    [ -L "$h" ] && continue
    [ -d "$h/$id" ] && find "$h/$id" -depth -type d -exec rmdir {} + 2>/dev/null
    [ -d "$h/$id" ] && say "WARNING: could not remove $h/$id"
  done
  ip netns del "$id" 2>/dev/null
}
cleanup() {
  trap - EXIT
  take_apart "$ID"
  rm -rf "$SCRATCH"
}
# A sandbox whose script was killed outright (SIGKILL: no trap ran) is taken apart by the
# next run: its netns is named after the PID of a script that no longer runs.
for stale in $(ip netns list 2>/dev/null | grep -o '^grpclb-e2e-[0-9]*'); do
  pid=${stale#grpclb-e2e-}
  if ! tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q 'e2e/sandbox.sh'; then
    say "taking apart $stale, left by a run that was killed"
    take_apart "$stale"
    rm -rf "${TMPDIR:-/tmp}/$stale".*
  fi
done
trap cleanup EXIT
trap 'exit 130' INT   # bash runs these after the foreground command below has returned
trap 'exit 143' TERM

for h in "${HIERARCHIES[@]}"; do
  mkdir -p "$h/$ID" || exit 1
  if [ -f "$h/cpuset.cpus" ]; then # a new cpuset is empty until given its parent's
    cat "$h/cpuset.cpus" >"$h/$ID/cpuset.cpus" && cat "$h/cpuset.mems" >"$h/$ID/cpuset.mems" || exit 1
  fi
done

ip netns add "$ID" || exit 1
ip -n "$ID" link set lo up &&
  ip -n "$ID" link add node0 type veth peer name node0-void &&
  ip -n "$ID" addr add "$GRPC_LB_E2E_NODE_IP/24" dev node0 &&
  ip -n "$ID" link set node0-void up &&
  ip -n "$ID" link set node0 up &&
  ip -n "$ID" route add default via "${GRPC_LB_E2E_NODE_IP%.*}.1" dev node0 &&
  ip netns exec "$ID" sysctl -qw net.ipv4.ip_forward=1 || { say "network namespace setup failed"; exit 1; }

mkdir -p "$SCRATCH/lib/upper" "$SCRATCH/lib/work" "$SCRATCH/log/upper" "$SCRATCH/log/work"
say "network namespace, cgroup and mount namespace $ID ready"
# Foreground on purpose: the command gets Ctrl-C itself and tears down its own processes.
(
  for h in "${HIERARCHIES[@]}"; do echo "$BASHPID" >"$h/$ID/cgroup.procs" || exit 1; done
  # nsenter, not `ip netns exec`: that one remounts /sys, and the kubelet needs the
  # cgroup mounts under it.
  exec nsenter --net="/run/netns/$ID" -- unshare --mount --propagation private -- bash -c '
    mount -t tmpfs -o mode=0755 grpclb-e2e-run /run &&
    for d in lib log; do
      mount -t overlay "grpclb-e2e-var-$d" -o "lowerdir=/var/$d,upperdir=$0/$d/upper,workdir=$0/$d/work" "/var/$d" || exit 1
    done
    exec "$@"' "$SCRATCH" "$@"
)

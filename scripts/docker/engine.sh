# shellcheck shell=bash
# A private Docker engine for tests, sourced by test/containers/run.sh.
#
#   engine_start   -> exports DOCKER (client) and DOCKER_HOST, starts dockerd if needed
#   engine_stop    -> stops the dockerd engine_start started (by PID), cleans up after it
#
# If DOCKER_HOST is already set, that engine is used as is: nothing is started
# or stopped. Otherwise dockerd (Debian's docker.io package) runs with all its
# state under one directory, kept across runs so images and build cache are
# reused:
#   ${GRPC_LB_DOCKER_STATE:-${XDG_STATE_HOME:-$HOME/.local/state}/grpc-lb/docker}
# The daemon is told to leave the host alone: its own config file, key, socket,
# pidfile, data and exec roots and cgroup parent; no default bridge; no iptables
# rules and no ip_forward change (containers only talk over user-defined
# bridges, which need neither). What it still creates outside the state dir
# (empty runtime dirs, cgroup dirs) is removed again by engine_stop, and only if
# it was not there before.

ENGINE_STARTED=""
ENGINE_PID=""
ENGINE_LOCK_FD=""

_engine_log() { echo "[engine] $*" >&2; }
_engine_die() { echo "[engine] ERROR: $*" >&2; exit 1; }

# A binary from Debian's docker.io package, by the package's own file list (a
# docker client elsewhere on PATH may belong to something else).
_engine_pkg_bin() {
  local files
  files=$(dpkg -L docker.io 2>/dev/null) || return 0
  grep -m 1 -E "/s?bin/$1\$" <<<"$files" || true
}

_engine_alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# Stops a process left by an earlier run of ours that died without cleaning up:
# only if the pidfile's process is alive and its command line names our state dir.
_engine_stop_stale() {
  local pidfile=$1 pid
  [[ -f "$pidfile" ]] || return 0
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if _engine_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$ENGINE_STATE"; then
    _engine_log "stopping PID $pid left by an earlier run"
    kill -TERM "$pid" 2>/dev/null || true
    _engine_wait_gone "$pid" 30 || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# Waits up to $2 seconds for PID $1 to exit.
_engine_wait_gone() {
  local pid=$1 i
  for ((i = 0; i < $2 * 5; i++)); do
    _engine_alive "$pid" || return 0
    sleep 0.2
  done
  ! _engine_alive "$pid"
}

engine_start() {
  DOCKER=${GRPC_LB_DOCKER_CLI:-$(_engine_pkg_bin docker)}
  [[ -n "$DOCKER" && -x "$DOCKER" ]] ||
    _engine_die "no docker client from the docker.io package: run 'apt-get install -y docker.io' (or set GRPC_LB_DOCKER_CLI)"
  export DOCKER

  if [[ -n "${DOCKER_HOST:-}" ]]; then
    _engine_log "using the engine at DOCKER_HOST (not started or stopped here)"
    "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
      _engine_die "DOCKER_HOST is set but no engine answers there: $("$DOCKER" version 2>&1 | tail -n 1)"
    return 0
  fi

  local dockerd
  dockerd=$(_engine_pkg_bin dockerd)
  [[ -n "$dockerd" && -x "$dockerd" ]] || _engine_die "dockerd not found: run 'apt-get install -y docker.io'"
  [[ $(id -u) -eq 0 ]] || _engine_die "dockerd needs root (or point DOCKER_HOST at a running engine)"

  ENGINE_STATE=${GRPC_LB_DOCKER_STATE:-${XDG_STATE_HOME:-$HOME/.local/state}/grpc-lb/docker}
  mkdir -p "$ENGINE_STATE/data" "$ENGINE_STATE/exec"
  ENGINE_STATE=$(cd "$ENGINE_STATE" && pwd -P)
  # containerd's sockets live under the exec root; unix socket paths max out at 108.
  ((${#ENGINE_STATE} <= 60)) || _engine_die "state dir path too long for unix sockets: set GRPC_LB_DOCKER_STATE to a shorter path"

  # One run at a time per state dir. The lock goes with this shell's exit; the
  # daemon (and whatever runs through engine_unlocked) does not inherit it, so
  # a daemon left behind by a killed run is found and stopped by the next one.
  exec {ENGINE_LOCK_FD}>"$ENGINE_STATE/lock"
  flock -n "$ENGINE_LOCK_FD" || _engine_die "another run is using $ENGINE_STATE"

  _engine_stop_stale "$ENGINE_STATE/dockerd.pid"
  _engine_stop_stale "$ENGINE_STATE/exec/containerd/containerd.pid"

  # What the host had before our daemon first touched it, so engine_stop removes
  # only what the daemon added. Kept in the state dir until a clean stop: after
  # a killed run, the next run still knows what the host looked like before.
  ENGINE_HOST_BEFORE="$ENGINE_STATE/host-before"
  if [[ ! -f "$ENGINE_HOST_BEFORE" ]]; then
    local dir
    {
      for dir in /run/docker/plugins /run/docker /run/containerd/s /run/containerd; do
        [[ -e "$dir" ]] || echo "absent-dir $dir"
      done
      echo "iptables-docker-chains $(iptables-save 2>/dev/null | grep -c '^:DOCKER' || true)"
    } >"$ENGINE_HOST_BEFORE.tmp"
    mv "$ENGINE_HOST_BEFORE.tmp" "$ENGINE_HOST_BEFORE"
  fi
  ENGINE_CGROUP_PARENT=grpc-lb-test-engine

  # Its own config file (a host's /etc/docker/daemon.json is not ours to follow)
  # and its own identity key (by default it writes one under /etc/docker).
  node -e 'fs.writeFileSync(process.argv[1], JSON.stringify({ "deprecated-key-path": process.argv[2] }) + "\n")' \
    "$ENGINE_STATE/daemon.json" "$ENGINE_STATE/key.json"
  export DOCKER_HOST="unix://$ENGINE_STATE/docker.sock"
  _engine_log "starting dockerd (state in $ENGINE_STATE)"
  "$dockerd" \
    --config-file "$ENGINE_STATE/daemon.json" \
    --data-root "$ENGINE_STATE/data" \
    --exec-root "$ENGINE_STATE/exec" \
    --pidfile "$ENGINE_STATE/dockerd.pid" \
    --host "$DOCKER_HOST" \
    --cgroup-parent "/$ENGINE_CGROUP_PARENT" \
    --bridge none --iptables=false --ip-forward=false --ip-masq=false \
    --log-level warn \
    >"$ENGINE_STATE/dockerd.log" 2>&1 </dev/null {ENGINE_LOCK_FD}>&- &
  ENGINE_PID=$!
  ENGINE_STARTED=1

  local i
  for ((i = 0; i < 120; i++)); do
    _engine_alive "$ENGINE_PID" ||
      _engine_die "dockerd exited at start; its log ends with:
$(tail -n 15 "$ENGINE_STATE/dockerd.log")"
    "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
    sleep 0.5
  done
  "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
    _engine_die "dockerd did not answer within 60 s; its log ends with:
$(tail -n 15 "$ENGINE_STATE/dockerd.log")"
  _engine_log "dockerd $("$DOCKER" version --format '{{.Server.Version}}') ready, PID $ENGINE_PID"
}

# Runs a command without the run lock's file descriptor (see engine_start).
engine_unlocked() {
  if [[ -n "${ENGINE_LOCK_FD:-}" ]]; then
    "$@" {ENGINE_LOCK_FD}>&-
  else
    "$@"
  fi
}

# Removes the DOCKER* chains (and the rules jumping to them) from a table, for
# when the host had none before our daemon started: with --iptables=false it
# should never have any to remove.
_engine_remove_iptables_chains() {
  local table=$1 rule chain
  iptables-save -t "$table" 2>/dev/null | grep -E '^-A .* -j DOCKER' | while read -r rule; do
    # shellcheck disable=SC2086 # the rule is iptables-save's own word list
    iptables -t "$table" -D ${rule#-A } 2>/dev/null || true
  done
  iptables-save -t "$table" 2>/dev/null | sed -n 's/^:\(DOCKER[^ ]*\).*/\1/p' | while read -r chain; do
    iptables -t "$table" -F "$chain" 2>/dev/null || true
  done
  iptables-save -t "$table" 2>/dev/null | sed -n 's/^:\(DOCKER[^ ]*\).*/\1/p' | while read -r chain; do
    iptables -t "$table" -X "$chain" 2>/dev/null || true
  done
}

engine_stop() {
  [[ -n "$ENGINE_STARTED" ]] || return 0
  ENGINE_STARTED=""
  if _engine_alive "$ENGINE_PID"; then
    kill -TERM "$ENGINE_PID" 2>/dev/null || true
    if ! _engine_wait_gone "$ENGINE_PID" 40; then
      _engine_log "dockerd (PID $ENGINE_PID) still running after 40 s: killing it"
      kill -KILL "$ENGINE_PID" 2>/dev/null || true
    fi
  fi
  wait "$ENGINE_PID" 2>/dev/null || true
  # dockerd stops its containerd; if it could not, that containerd is ours too.
  _engine_stop_stale "$ENGINE_STATE/exec/containerd/containerd.pid"
  # A daemon that failed at start or was killed can leave mounts in its state
  # dir (it bind-mounts its data root onto itself): deepest first.
  local mount
  awk -v p="$ENGINE_STATE" 'index($2, p) == 1 && (length($2) == length(p) || substr($2, length(p) + 1, 1) == "/") { print $2 }' \
    /proc/mounts | sort -r | while read -r mount; do
    umount "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || true
  done

  local hierarchy kind value
  for hierarchy in /sys/fs/cgroup/*/; do
    if [[ -d "$hierarchy$ENGINE_CGROUP_PARENT" ]]; then # empty once its containers are gone
      find "$hierarchy$ENGINE_CGROUP_PARENT" -depth -type d -exec rmdir {} + 2>/dev/null || true
    fi
  done
  while read -r kind value; do
    case "$kind" in
      absent-dir) rmdir "$value" 2>/dev/null || true ;; # only if empty: then nobody else uses it
      iptables-docker-chains)
        if [[ "$value" == 0 ]] && iptables-save 2>/dev/null | grep -q '^:DOCKER'; then
          _engine_log "removing the iptables chains dockerd left"
          _engine_remove_iptables_chains filter
          _engine_remove_iptables_chains nat
        fi
        ;;
    esac
  done <"$ENGINE_HOST_BEFORE"
  rm -f "$ENGINE_HOST_BEFORE"
  _engine_log "dockerd stopped"
}

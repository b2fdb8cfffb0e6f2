# shellcheck shell=bash
# Sourced by the e2e's bring-up scripts: logging and processes started and stopped by PID.
# A script that sources it sets LOG_TAG, and LOGS (where component logs go) before start_bg.

say() { printf '[%s] %s\n' "${LOG_TAG:-e2e}" "$*" >&2; }
die() { say "$*"; exit 1; }
now_ms() { date +%s%3N; }
secs_since() { local d=$(($(now_ms) - $1)); printf '%d.%01d' $((d / 1000)) $(((d % 1000) / 100)); }

PIDS=()
PID_NAMES=()
start_bg() { # <name> <cmd...>: start a component in the background, its output to $LOGS/<name>.log
  local name=$1
  shift
  "$@" >"$LOGS/$name.log" 2>&1 &
  PIDS+=($!)
  PID_NAMES+=("$name")
}

alive_or_die() { # <name> <pid>
  kill -0 "$2" 2>/dev/null && return 0
  tail -n 20 "$LOGS/$1.log" >&2
  die "$1 exited early (its log: $LOGS/$1.log)"
}

stop_pid() { # <pid> <name>: TERM, bounded wait, then KILL
  local pid=$1 name=$2
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  say "$name (pid $pid) did not stop in 10 s; killing it"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

stop_all() { # in reverse start order: nodes first, etcd last
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}" "${PID_NAMES[$i]}"; done
  PIDS=()
  PID_NAMES=()
}

wait_until() { # <what> <seconds> <command...>: bounded poll every 0.5 s
  local what=$1 secs=$2 i
  shift 2
  for ((i = 0; i < secs * 2; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  die "$what: not ready after ${secs} s"
}

free_ports() { # <n>: n free loopback ports, chosen by the kernel
  node -e '
    const net = require("net"); const n = Number(process.argv[1]); const out = []; let got = 0;
    for (let i = 0; i < n; i++) { const s = net.createServer(); s.listen(0, "127.0.0.1", () => {
      out[i] = s.address().port; if (++got === n) { console.log(out.join(" ")); process.exit(0); } }); }' "$1"
}

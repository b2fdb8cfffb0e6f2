# Sourced by the standalone check runners (test/interop/run.sh, test/grpcurl/run.sh):
# the same reporting and the same bounded, interruptible run of the compiled
# checks. The sourcing script sets LOG_TAG first, and may set CLEANUP (a command
# run on exit) before it sources this file.

log() { echo "[$LOG_TAG] $*" >&2; }

started=$(date +%s) # the whole run, for run_checks' last log line

# A failure before the checks could run: one FAIL line and the totals.
fail_setup() {
  echo "FAIL $1"
  echo "0 passed, 1 failed"
  exit 1
}

checks_pid=""
# shellcheck disable=SC2317 # called by traps
finish() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$checks_pid" ]] && kill -0 "$checks_pid" 2>/dev/null; then
    kill -TERM "$checks_pid" 2>/dev/null || true # the checks kill their children on TERM
    for _ in $(seq 50); do kill -0 "$checks_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$checks_pid" 2>/dev/null || true
  fi
  eval "${CLEANUP:-:}"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_checks <timeout s> <env assignments...> -- <node script>: the checks,
# bounded as a whole. On timeout they get TERM, report the check they were in
# as FAILed, print the totals and kill their children. Exits with their status.
run_checks() {
  local limit=$1 phase rc
  shift
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  phase=$(date +%s)
  env "${envs[@]}" timeout --kill-after=15 "$limit" node "$@" &
  checks_pid=$!
  set +e
  wait "$checks_pid"
  rc=$?
  set -e
  checks_pid=""
  case $rc in
    0) ;;
    124) log "checks ended: no result within ${limit} s" ;;
    137)
      echo "FAIL checks: killed after ${limit} s (did not stop on TERM)"
      echo "0 passed, 1 failed"
      ;;
  esac
  log "checks took $(($(date +%s) - phase)) s; whole run $(($(date +%s) - started)) s"
  exit "$rc"
}

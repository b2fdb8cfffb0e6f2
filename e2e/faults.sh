# Sourced by e2e/run.sh: checks of what breaks in real clusters. Uses run.sh's
# helpers (k, jp, pass, fail, ns_of) and its $WORK; the real-pods check also
# $GRPC_LB_E2E_CGROUP (the kubelet's cgroup root, from e2e/sandbox.sh).

# A voluntary eviction (what kubectl drain does) honours the servers'
# PodDisruptionBudget: with every node cordoned, so no replacement can start,
# the API server lets one server pod go and answers 429 for the next.
evict() { # <ns> <pod>: prints the API server's answer, exit status of kubectl
  k create --raw "/api/v1/namespaces/$1/pods/$2/eviction" -f - 2>&1 <<EOF
{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"$2","namespace":"$1"}}
EOF
}
check_disruption_budget() { # <stack>
  local s=$1 ns nodes allowed first second out1 out2 rc1 rc2 ready
  ns=$(ns_of "$s")
  nodes=$(jp nodes -o jsonpath='{.items[*].metadata.name}')
  for _ in $(seq 1 60); do # the disruption controller fills in the budget's status
    allowed=$(jp pdb echo-server -n "$ns" -o jsonpath='{.status.disruptionsAllowed}')
    [ "$allowed" = 1 ] && break
    sleep 1
  done
  if [ "$allowed" != 1 ]; then fail "$s: disruption budget" "PodDisruptionBudget echo-server allows '$allowed' disruptions, want 1"; return; fi
  # shellcheck disable=SC2086 # one name per node
  k cordon $nodes >"$WORK/logs/cordon-$s.log" 2>&1
  read -r first second _ <<<"$(jp pods -n "$ns" -l run=echo-server -o jsonpath='{.items[*].metadata.name}')"
  out1=$(evict "$ns" "$first"); rc1=$?
  out2=$(evict "$ns" "$second"); rc2=$?
  # shellcheck disable=SC2086
  k uncordon $nodes >>"$WORK/logs/cordon-$s.log" 2>&1
  # The evicted server's replacement starts once the nodes take pods again.
  ready=$(servers_ready "$ns")
  if [ $rc1 = 0 ] && [ $rc2 != 0 ] && [[ $out2 == *TooManyRequests* ]] && [ "${ready%/*}" = "${ready#*/}" ]; then
    pass "$s: disruption budget" "nodes cordoned: eviction of $first accepted, of $second refused ($(grep -o 'Cannot evict[^.]*' <<<"$out2" | head -n1)); $ready ready again after uncordon"
  else
    fail "$s: disruption budget" "eviction of $first: rc $rc1 '$out1'; of $second: rc $rc2 '$out2'; ready $ready after uncordon"
  fi
}

# Real pods only: one server's process frozen (SIGSTOP of every process of its
# container, found through the pod's cgroup under $GRPC_LB_E2E_CGROUP on the node)
# while the clients run. No FIN, no RST: only the clients' keepalive (interval +
# timeout, read from the StatefulSet) notices. The process is thawed at THAW_S,
# before the liveness probe (3 misses, 10 s apart) could restart it; the watch goes
# on to bound + margin + 5 s. From the clients' own logs (kubectl logs --timestamps):
# no call fails later than bound + margin, and between the bound and the thaw
# calls were answered, none by the frozen server.
FREEZE_MARGIN_S=10
THAW_S=20
FROZEN_PIDS="" # thawed by e2e/run.sh's cleanup if a run ends mid-check
container_pids() { # <ns> <pod>: PIDs of the pod's first container, from its cgroup
  local uid cid dir
  uid=$(jp pod "$2" -n "$1" -o jsonpath='{.metadata.uid}')
  cid=$(jp pod "$2" -n "$1" -o jsonpath='{.status.containerStatuses[0].containerID}'); cid=${cid#*://}
  [ -n "$uid" ] && [ -n "$cid" ] || return 0
  dir=$(find "/sys/fs/cgroup/pids/$GRPC_LB_E2E_CGROUP" -type d -name "$cid" -path "*pod$uid*" 2>/dev/null | head -n1)
  [ -n "$dir" ] && cat "$dir/cgroup.procs"
}
client_env() { # <ns> <name>
  jp statefulset echo-client -n "$1" -o jsonpath="{.spec.template.spec.containers[0].env[?(@.name=='$2')].value}"
}
servers_ready() { # <ns>: waits (60 s at most) until every server pod is ready
  local replicas ready=""
  replicas=$(jp deployment echo-server -n "$1" -o jsonpath='{.spec.replicas}')
  for _ in $(seq 1 60); do
    ready=$(jp deployment echo-server -n "$1" -o jsonpath='{.status.readyReplicas}')
    [ "$ready" = "$replicas" ] && break
    sleep 1
  done
  echo "${ready:-0}/$replicas"
}
events_since() { # <t0 ns> <kubectl logs --timestamps output>: "<ms since t0> failed|<pod>" per call
  while read -r ts rest; do
    case $rest in
      "call failed: "*) echo "$(( ($(date -d "$ts" +%s%N) - $1) / 1000000 )) failed" ;;
      *" echoed") echo "$(( ($(date -d "$ts" +%s%N) - $1) / 1000000 )) ${rest%% *}" ;;
    esac
  done <<<"$2"
}
check_frozen_server() { # <stack> <mode>
  local s=$1 mode=$2 ns victim pids time_ms timeout_ms bound_s frozen_at since n i pod events failed nfailed late answered_by_live by_victim shown=() problems=()
  ns=$(ns_of "$s")
  time_ms=$(client_env "$ns" ECHO_KEEPALIVE_TIME_MS); timeout_ms=$(client_env "$ns" ECHO_KEEPALIVE_TIMEOUT_MS)
  if [ -z "$time_ms" ] || [ -z "$timeout_ms" ]; then fail "$s: frozen server" "the client StatefulSet sets no ECHO_KEEPALIVE_TIME_MS / _TIMEOUT_MS"; return; fi
  bound_s=$(( (time_ms + timeout_ms) / 1000 ))
  if [ "$mode" = l4 ]; then # the server echo-client-0 is pinned to: a fault elsewhere shows nothing
    victim=$(k logs -n "$ns" echo-client-0 --tail=50 2>/dev/null | awk '/ echoed$/ {p = $1} END {print p}')
  else
    victim=$(jp pods -n "$ns" -l run=echo-server -o jsonpath='{.items[0].metadata.name}')
  fi
  pids=$(container_pids "$ns" "$victim")
  if [ -z "$victim" ] || [ -z "$pids" ]; then fail "$s: frozen server" "no victim pod ('$victim') or no processes in its cgroup"; return; fi
  since=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ); frozen_at=$(date +%s%N)
  FROZEN_PIDS=$pids
  # shellcheck disable=SC2086 # one PID per word
  kill -STOP $pids
  sleep "$THAW_S"
  # shellcheck disable=SC2086
  kill -CONT $pids 2>/dev/null
  FROZEN_PIDS=""
  sleep $((bound_s + FREEZE_MARGIN_S + 5 - THAW_S))
  n=$(jp statefulset echo-client -n "$ns" -o jsonpath='{.spec.replicas}')
  for ((i = 0; i < ${n:-0}; i++)); do
    pod=echo-client-$i
    events=$(events_since "$frozen_at" "$(k logs -n "$ns" "$pod" --timestamps --since-time="$since" 2>/dev/null)")
    printf '%s\n' "-- $pod: ms after freezing $victim, then failed or the answering pod" "$events" >>"$WORK/logs/frozen-$s.log"
    failed=$(awk '$2 == "failed" {print $1}' <<<"$events")
    nfailed=$(grep -c . <<<"$failed")
    late=$(awk -v b=$(( (bound_s + FREEZE_MARGIN_S) * 1000 )) '$1 > b' <<<"$failed" | wc -l)
    answered_by_live=$(awk -v from=$((bound_s * 1000)) -v to=$((THAW_S * 1000)) -v v="$victim" '$1 > from && $1 < to && $2 != "failed" && $2 != v' <<<"$events" | wc -l)
    by_victim=$(awk -v from=$((bound_s * 1000)) -v to=$((THAW_S * 1000)) -v v="$victim" '$1 > from && $1 < to && $2 == v' <<<"$events" | wc -l)
    if [ "$late" = 0 ] && [ "$answered_by_live" -gt 0 ] && [ "$by_victim" = 0 ]; then
      shown+=("$pod: $nfailed failed$([ "$nfailed" != 0 ] && echo ", the last $(tail -n1 <<<"$failed") ms after the freeze"), $answered_by_live answered between ${bound_s} s and the thaw")
    else
      problems+=("$pod: $late calls failed later than $((bound_s + FREEZE_MARGIN_S)) s; between ${bound_s} s and the thaw $answered_by_live calls answered by live servers, $by_victim by $victim")
    fi
  done
  local ready
  ready=$(servers_ready "$ns") # the later checks want every server ready again
  if [ ${#problems[@]} -eq 0 ] && [ "${n:-0}" -ge 1 ]; then
    pass "$s: frozen server" "$victim frozen (SIGSTOP) for ${THAW_S} s, keepalive bound ${bound_s} s: $(IFS=';'; echo "${shown[*]}"); servers ready again: $ready"
  else
    fail "$s: frozen server" "$victim frozen: $(IFS=';'; echo "${problems[*]}")"
  fi
}

#!/usr/bin/env bash
# A controller that dies mid-flow on a rig leaves its journal in the --state folder, and
# `hil recover --backend real` rolls the rig's host back through the rig's own shell: here a
# stand-in rig (real pwsh, the stand-in cmdlets) whose host lives in a folder of its own.
# usage: recover_on_standin.sh HIL MODULE SCENARIOS_DIR
set -euo pipefail

hil=$1
module=$2
scenarios=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME="$work/state-home" # rigs' default journal folders stay in this test's own
# shellcheck source=tests/cli/expect.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../cli/expect.sh"

host() { "$hil" standin host --state "$work/host"; }

# standin_rig FILE NAME HOST_DIR DEADLINE: a stand-in rig whose host lives in HOST_DIR.
standin_rig() {
  cat >"$1" <<RIG
<rig name="$2" class="standin" mode="hyperv">
  <standin module="$module" state="$3"/>
  <deadline seconds="$4"/>
</rig>
RIG
}
standin_rig "$work/rig.xml" standin-kept "$work/host" 10

# The controller dies after the GPU is dismounted: exit 3, the journal stays, the host is torn.
expect_exit 3 "a crash mid-deploy" "$hil" run --backend real --rig "$work/rig.xml" \
  --state "$work/state" "$scenarios/crash/dda-crash-dismount-after.xml"
grep -q "Recover with: hil recover --backend real --rig $work/rig.xml --state $work/state" \
  "$work/out" || fail "the crash does not name the recover command"
host | grep -q 'on-host="false"' || fail "the crash did not leave the GPU dismounted"
[[ -s "$work/state/flow-state.xml" ]] || fail "no journal in the state folder"

# Nothing runs over an unfinished flow.
expect_exit 2 "a run over the unfinished flow" "$hil" run --backend real --rig "$work/rig.xml" \
  --state "$work/state" "$scenarios/dda/t4-dda-server-2019.xml"
grep -q "hil recover --backend real --rig" "$work/out" || fail "the refusal names no recover"

# Recovery through the rig's shell puts every GPU and VM setting back.
expect_exit 2 "recover without --rig" "$hil" recover --backend real --state "$work/state"
expect_exit 0 "recover on the rig" "$hil" recover --backend real --rig "$work/rig.xml" \
  --state "$work/state"
grep -q "recovered: the unfinished deploy on VM EFLOW is rolled back" "$work/out" ||
  fail "recover did not say what it rolled back"
grep -Eq '^\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\] rollback: mount ' "$work/out" ||
  fail "the rig's recovery log is not stamped with UTC time"
host >"$work/after"
grep -q 'on-host="true" enabled="true"' "$work/after" || fail "the GPU is not back on the host"
grep -q 'state="Running" stop-action="Save"' "$work/after" || fail "the VM is not as it was"

# Done: nothing left, and the next run starts.
expect_exit 0 "recover again" "$hil" recover --backend real --rig "$work/rig.xml" \
  --state "$work/state"
grep -q "nothing to recover" "$work/out" || fail "a second recover found something"
expect_exit 0 "a run after recovery" "$hil" run --backend real --rig "$work/rig.xml" \
  --state "$work/state" "$scenarios/dda/t4-dda-server-2019.xml"

# A controller killed for real (SIGKILL to its whole process group, as a CI timeout does) in the
# middle of a deploy, with no --state: a rig's journal is always kept, in the rig's own folder
# under XDG_STATE_HOME, and `hil recover --backend real --rig FILE` finds it there.
standin_rig "$work/killed.xml" "standin killed/../x" "$work/killed-host" 300
killed_host() { "$hil" standin host --state "$work/killed-host"; }
# The assignment after the dismount never returns: the run is stuck mid-flow until killed.
HIL_KILL_TEST="$work" setsid "$hil" run --backend real --rig "$work/killed.xml" \
  --fault hyperv.add-assignable-device:1:hang "$scenarios/dda/t4-dda-server-2019.xml" \
  >"$work/killed.log" 2>&1 &
run_pid=$!
for _ in $(seq 1 1200); do
  if killed_host 2>/dev/null | grep -q 'on-host="false"'; then
    break
  fi
  kill -0 "$run_pid" 2>/dev/null || break
  sleep 0.1
done
killed_host | grep -q 'on-host="false"' ||
  fail "the run never reached the dismount: $(tail -n 20 "$work/killed.log")"
kill -KILL -- "-$run_pid"
wait "$run_pid" 2>/dev/null || true
# The rig's shell runs in a process group of its own and outlives the killed controller, stuck in
# the hang: find it by the tag its environment inherited, and stop it.
for environ in /proc/[0-9]*/environ; do
  if tr '\0' '\n' <"$environ" 2>/dev/null | grep -qxF "HIL_KILL_TEST=$work"; then
    pid=${environ#/proc/}
    kill -KILL "${pid%/environ}" 2>/dev/null || true
  fi
done
# The rig's name reaches the path only as letters, digits, '-', '_' and inner dots.
journal="$XDG_STATE_HOME/gpu-hil/rigs/standin_killed_.._x/flow-state.xml"
[[ -s "$journal" ]] || fail "the killed run left no journal in $journal"
grep -q "mount" "$journal" || fail "the journal does not hold the dismount's undo"

expect_exit 2 "a run after the kill" "$hil" run --backend real --rig "$work/killed.xml" \
  "$scenarios/dda/t4-dda-server-2019.xml"
grep -q "hil recover --backend real --rig $work/killed.xml" "$work/out" ||
  fail "the refusal names no recover"
expect_exit 0 "recover the killed run" "$hil" recover --backend real --rig "$work/killed.xml"
grep -q "recovered: the unfinished deploy on VM EFLOW is rolled back" "$work/out" ||
  fail "recover did not roll the killed run back"
killed_host >"$work/killed-after"
grep -q 'on-host="true" enabled="true"' "$work/killed-after" || fail "the GPU is not back on the host"
expect_exit 0 "recover again" "$hil" recover --backend real --rig "$work/killed.xml"
grep -q "nothing to recover" "$work/out" || fail "a second recover found something"
expect_exit 0 "a run after recovering the killed one" "$hil" run --backend real \
  --rig "$work/killed.xml" "$scenarios/dda/t4-dda-server-2019.xml"

echo "recover_on_standin: $checked passed, 0 failed"

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
# shellcheck source=tests/cli/expect.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../cli/expect.sh"

host() { "$hil" standin host --state "$work/host"; }

cat >"$work/rig.xml" <<RIG
<rig name="standin-kept" class="standin" mode="hyperv">
  <standin module="$module" state="$work/host"/>
  <deadline seconds="10"/>
</rig>
RIG

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

echo "recover_on_standin: $checked passed, 0 failed"

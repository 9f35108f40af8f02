#!/usr/bin/env bash
# A damaged journal or host file in a state folder is a clear error (exit 2) that changes
# nothing; a run refuses to start on it too.
# usage: damaged_state.sh HIL SCENARIOS_DIR
set -euo pipefail

hil=$1
scenarios=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

expect_exit() { # expected-status description command...
  local want=$1 what=$2 status=0
  shift 2
  "$@" >"$work/out" 2>&1 || status=$?
  if [[ $status -ne $want ]]; then
    echo "$what: exited $status, expected $want" >&2
    cat "$work/out" >&2
    exit 1
  fi
}

crash="$scenarios/crash/dda-crash-dismount-after.xml"
for damaged in flow-state.xml host.xml; do
  state="$work/$damaged"
  expect_exit 3 "crash run" "$hil" run --state "$state" "$crash"
  size=$(wc -c <"$state/$damaged")
  head -c $((size / 2)) "$state/$damaged" >"$state/torn" # torn mid-write
  mv "$state/torn" "$state/$damaged"
  before=$(cat "$state"/*.xml | sha256sum)
  expect_exit 2 "recover over a torn $damaged" "$hil" recover --backend sim --state "$state"
  grep -q "$damaged:[0-9]*:" "$work/out" || {
    echo "recover over a torn $damaged: no file:line in the message" >&2
    cat "$work/out" >&2
    exit 1
  }
  expect_exit 2 "run over a torn $damaged" "$hil" run --state "$state" "$crash"
  after=$(cat "$state"/*.xml | sha256sum)
  if [[ "$before" != "$after" ]]; then
    echo "a torn $damaged was changed by recover or run" >&2
    exit 1
  fi
done

# An unknown journal version is refused the same way.
state="$work/version"
expect_exit 3 "crash run" "$hil" run --state "$state" "$crash"
sed -i 's/version="1"/version="9"/' "$state/flow-state.xml"
expect_exit 2 "recover over an unknown version" "$hil" recover --backend sim --state "$state"
grep -q "version" "$work/out" || { echo "no word about the version" >&2; exit 1; }

# Nothing to recover: exit 0 and say so.
mkdir -p "$work/empty"
expect_exit 0 "recover an empty folder" "$hil" recover --backend sim --state "$work/empty"
grep -q "nothing to recover" "$work/out" || { echo "no 'nothing to recover'" >&2; exit 1; }

# A folder that does not exist is a mistake (a typo, another machine's path): bad input.
expect_exit 2 "recover a missing folder" "$hil" recover --backend sim --state "$work/no-such"
grep -q "no such folder" "$work/out" || { echo "no 'no such folder'" >&2; exit 1; }
[[ ! -e "$work/no-such" ]] || { echo "recover created the missing folder" >&2; exit 1; }
echo "damaged_state: 5 passed, 0 failed"

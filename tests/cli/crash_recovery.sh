#!/usr/bin/env bash
# For every crash scenario: `hil run --state DIR` dies (exit 3) leaving a journal, a second run
# refuses to start (exit 2), `hil recover` exits 0, and a deploy-and-teardown scenario then
# passes on the same recovered host.
# usage: crash_recovery.sh HIL SCENARIOS_DIR
set -euo pipefail

hil=$1
scenarios=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

checked=0
for crash in "$scenarios"/crash/*.xml; do
  name=$(basename "$crash" .xml)
  case "$name" in
    dda-*) cycle="$scenarios/dda/t4-dda-server-2019.xml" ;;
    gpupv-*) cycle="$scenarios/gpu-pv/geforce-rtx-3060-gpupv-enterprise-explicit.xml" ;;
    *) echo "$name: no deploy-and-teardown scenario for it" >&2; exit 1 ;;
  esac
  state="$work/$name"
  status=0
  "$hil" run --backend sim --state "$state" "$crash" >"$work/out" 2>&1 || status=$?
  if [[ $status -ne 3 ]]; then
    echo "$name: hil run exited $status, expected 3 (a simulated crash)" >&2
    cat "$work/out" >&2
    exit 1
  fi
  status=0
  "$hil" run --backend sim --state "$state" "$cycle" >"$work/out" 2>&1 || status=$?
  if [[ $status -ne 2 ]] || ! grep -q "hil recover" "$work/out"; then
    echo "$name: a run over the unfinished journal exited $status, expected 2 and a hint" >&2
    cat "$work/out" >&2
    exit 1
  fi
  if ! "$hil" recover --backend sim --state "$state" >"$work/out" 2>&1; then
    echo "$name: hil recover failed" >&2
    cat "$work/out" >&2
    exit 1
  fi
  if ! "$hil" run --backend sim --state "$state" "$cycle" >"$work/out" 2>&1; then
    echo "$name: the deploy-and-teardown scenario failed after recovery" >&2
    cat "$work/out" >&2
    exit 1
  fi
  checked=$((checked + 1))
done
if [[ $checked -eq 0 ]]; then
  echo "no crash scenarios in $scenarios/crash" >&2
  exit 1
fi
echo "crash_recovery: $checked passed, 0 failed"

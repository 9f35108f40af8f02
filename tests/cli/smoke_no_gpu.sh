#!/usr/bin/env bash
# On a machine without an NVIDIA GPU: cuda_smoke exits 3 saying "no CUDA device", and
# `hil smoke --junit FILE` exits 1 with that reason in JUnit that validates against both schemas.
# Skipped (exit 77) where a GPU is present: there the smoke suite must pass instead.
# usage: smoke_no_gpu.sh HIL CUDA_SMOKE SCHEMAS_DIR
set -euo pipefail

hil=$1
smoke=$2
schemas=$3
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "an NVIDIA GPU is present: this test is for machines without one"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

status=0
"$smoke" --quick >"$work/out" 2>"$work/err" || status=$?
if [[ $status -ne 3 ]] || ! grep -q "^no CUDA device: " "$work/err" || [[ -s "$work/out" ]]; then
  echo "cuda_smoke exited $status (expected 3, 'no CUDA device: ...' on stderr, nothing on stdout)" >&2
  cat "$work/err" "$work/out" >&2
  exit 1
fi

status=0
"$hil" smoke --program "$smoke" --expect tesla-t4 --junit "$work/smoke.xml" >"$work/hil" 2>&1 ||
  status=$?
if [[ $status -ne 1 ]] || ! grep -q "no CUDA device" "$work/smoke.xml"; then
  echo "hil smoke exited $status (expected 1 and the reason in the JUnit)" >&2
  cat "$work/hil" "$work/smoke.xml" >&2
  exit 1
fi
bash "$(dirname "${BASH_SOURCE[0]}")/validate_junit.sh" "$schemas" "$work/smoke.xml"
echo "smoke_no_gpu: 2 passed, 0 failed"

#!/usr/bin/env bash
# Builds (scripts/build.sh) and runs the scenario library against the simulated backend,
# writing JUnit XML. Arguments go to `hil run` before the scenario folder:
#   scripts/demo.sh --jobs 2
# Exits with hil's status.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/build.sh"

dir="${HIL_BUILD_DIR:-build}"
if [[ "$dir" != /* ]]; then
  dir="$root/$dir"
fi

hil="$dir/hil"

reports="$dir/reports"
junit="$reports/demo-junit.xml"
mkdir -p "$reports"

status=0
"$hil" run --backend sim --junit "$junit" "$@" scenarios || status=$?

echo "JUnit XML: $junit"
exit "$status"

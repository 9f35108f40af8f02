#!/usr/bin/env bash
# Builds what the demo needs (hil alone: scripts/build.sh hil) and runs the scenario library
# against the simulated backend, writing JUnit XML, then certifies that run against
# scenarios/policies/release.xml (an HTML report and an XML certificate beside the JUnit). The
# reports go to out/ (HIL_OUT_DIR moves them), outside CMake's build folder. Arguments go to
# `hil run` before the scenario folder:
#   scripts/demo.sh --jobs 2
# Exits non-zero when the run or the certification fails (the run's status first).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/build.sh" hil

dir="${HIL_BUILD_DIR:-build}"
if [[ "$dir" != /* ]]; then
  dir="$root/$dir"
fi

hil="$dir/hil"

# Paths as the user would type them: relative to the repository root when they are inside it.
reports="${HIL_OUT_DIR:-out}"
junit="$reports/demo-junit.xml"
mkdir -p "$reports"

rm -f "$junit" # never certify an older run's results
status=0
"$hil" run --backend sim --junit "$junit" "$@" scenarios || status=$? # it says where it wrote

# Certify the run against the project's release policy (exit 0 certified, 1 not, 2 bad input).
html="$reports/certification.html"
certificate="$reports/certificate.xml"
certified=0
if [[ -f "$junit" ]]; then
  "$hil" certify --policy scenarios/policies/release.xml --html "$html" --out "$certificate" \
    "$junit" || certified=$? # it prints where it wrote the report and the certificate
else
  certified=2
  echo "No JUnit XML to certify" >&2
fi

if ((status != 0)); then
  exit "$status"
fi
exit "$certified"

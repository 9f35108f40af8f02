#!/usr/bin/env bash
# Builds (scripts/build.sh) and runs the tests with CTest; arguments go to ctest.
#   scripts/test.sh            all tests
#   scripts/test.sh -L unit    only the tests labelled unit
# Exits with ctest's status.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/build.sh"

dir="${HIL_BUILD_DIR:-build}"
exec ctest --test-dir "$dir" --output-on-failure --parallel "$(nproc)" "$@"

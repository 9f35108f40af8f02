#!/usr/bin/env bash
# Builds gpu-hil with -DHIL_REAL_BACKEND=OFF (the libraries alone: no real_hw, no Boost, no hil
# command line), then installs it and builds and runs the consumer project against it
# (install_and_consume.sh): what a team that links only the flows and the simulator gets.
# Usage: libraries_only.sh SOURCE_DIR CONSUMER_SOURCE WORK_DIR
set -euo pipefail

source_dir="$1"
consumer="$2"
work="$3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

rm -rf "$work"
mkdir -p "$work"
cmake -S "$source_dir" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DHIL_REAL_BACKEND=OFF -DHIL_BUILD_TESTS=ON >"$work/configure.log"
grep -q "HIL_REAL_BACKEND is OFF: no hil command line, so no tests" "$work/configure.log" || {
  echo "libraries_only: the configure did not say that tests are off" >&2
  exit 1
}
cmake --build "$work/build"
for built in hil real_hw/libhil_real_hw.a; do
  if [[ -e "$work/build/$built" ]]; then
    echo "libraries_only: $built was built with HIL_REAL_BACKEND=OFF" >&2
    exit 1
  fi
done
bash "$here/install_and_consume.sh" "$work/build" "$consumer" "$work/consume" |
  tee "$work/consume.log"
grep -q "deployed by DirectDeviceAssignment, 1 GPU(s) assigned" "$work/consume.log" || {
  echo "libraries_only: the consumer did not deploy" >&2
  exit 1
}
if [[ -e "$work/consume/prefix/include/real_hw" ]] ||
  grep -q "hil::real_hw" "$work/consume/prefix/lib/cmake/gpu-hil/gpu-hil-targets.cmake"; then
  echo "libraries_only: the package carries real_hw" >&2
  exit 1
fi
if ! grep -q '^if(OFF)$' "$work/consume/prefix/lib/cmake/gpu-hil/gpu-hilConfig.cmake"; then
  echo "libraries_only: the package config does not leave Boost out" >&2
  exit 1
fi
echo "libraries_only: the libraries build, install and serve a consumer without real_hw"

#!/usr/bin/env bash
# Installs gpu-hil from a build folder into a fresh prefix, then configures, builds and runs the
# consumer project (tests/install/consumer) against it with find_package(gpu-hil): what a team
# linking the flows into its own tools does.
# Usage: install_and_consume.sh BUILD_DIR CONSUMER_SOURCE WORK_DIR
set -euo pipefail

build="$1"
consumer="$2"
work="$3"

rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix"
for file in lib/cmake/gpu-hil/gpu-hilConfig.cmake lib/cmake/gpu-hil/gpu-hilConfigVersion.cmake \
  lib/cmake/gpu-hil/gpu-hil-targets.cmake include/framework/flows/deployer.h \
  include/simulators/sim_backend.h; do
  if [[ ! -f "$work/prefix/$file" ]]; then
    echo "install_and_consume: $file is not installed" >&2
    exit 1
  fi
done
cmake -S "$consumer" -B "$work/build" -G Ninja "-DCMAKE_PREFIX_PATH=$work/prefix"
cmake --build "$work/build"
"$work/build/deploy_on_sim"

#!/usr/bin/env bash
# Installs missing dependencies, configures once (CMake + Ninja) and builds incrementally:
# everything, or only the targets named (scripts/build.sh hil builds the command line alone).
# Environment:
#   HIL_BUILD_DIR   build folder, relative to the repository root or absolute (default: build)
#   HIL_BUILD_TYPE  CMAKE_BUILD_TYPE (default: RelWithDebInfo)
#   HIL_CMAKE_ARGS  extra cmake arguments, space-separated (e.g. -DHIL_WERROR=ON)
# Ninja re-runs cmake by itself when a CMakeLists changes; this script configures again only
# when the folder has no build.ninja or the settings above differ from the last configure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/deps.sh"

dir="${HIL_BUILD_DIR:-build}"
build_type="${HIL_BUILD_TYPE:-RelWithDebInfo}"
extra=()
read -r -a extra <<<"${HIL_CMAKE_ARGS:-}"

configure_args=(-G Ninja "-DCMAKE_BUILD_TYPE=$build_type" "${extra[@]}")
stamp="$dir/.hil-configure-args"
wanted="${configure_args[*]}"

if [[ ! -f "$dir/build.ninja" || ! -f "$stamp" || "$(<"$stamp")" != "$wanted" ]]; then
  cmake -S "$root" -B "$dir" "${configure_args[@]}"
  printf '%s\n' "$wanted" >"$stamp"
fi

targets=()
if (($# > 0)); then
  targets=(--target "$@")
fi
cmake --build "$dir" --parallel "$(nproc)" "${targets[@]}"

#!/usr/bin/env bash
# Installs the Debian 12 packages gpu-hil needs, only those that are missing.
# A run with everything installed is silent, fast and touches no network.
# Extra packages: HIL_EXTRA_PACKAGES="pkg1 pkg2" scripts/deps.sh
set -euo pipefail

# The one list of what the project needs.
packages=(
  g++
  cmake
  ninja-build
  pkg-config
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libpugixml-dev
  libcli11-dev
  libfmt-dev
  libboost-dev
  libboost-filesystem-dev
  libxml2-utils
  python3-junitparser
  chromium            # tests/browser: renders the certification report headless
  fonts-liberation    # ... with real fonts (chromium only recommends them)
  fonts-dejavu-core
)

extra=()
read -r -a extra <<<"${HIL_EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "deps.sh: dpkg-query not found (not Debian?); install these yourself: ${packages[*]}" >&2
  exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

as_root=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "deps.sh: not root and no sudo; as root run: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

echo "deps.sh: installing ${missing[*]}"

"${as_root[@]}" apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"

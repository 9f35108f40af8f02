#!/usr/bin/env bash
# Installs what gpu-hil needs, only what is missing: the Debian 12 packages, then PowerShell
# 7.6.9 (a .NET tool), Pester 6.2.0 (a NuGet package) and Allure's command line 2.46.1 (the npm
# package allure-commandline) into the tools folder that scripts/tools.sh names. A run with
# everything installed is silent, fast and touches no network.
# Extra packages: HIL_EXTRA_PACKAGES="pkg1 pkg2" scripts/deps.sh
# HIL_NO_POWERSHELL=1: leave PowerShell and Pester out (the powershell-labelled tests then fail
# with the reason; CMake says so).
# HIL_NO_ALLURE=1: leave Allure out, and the Java and npm it needs (the test
# library_junit_loads_in_allure then fails with the reason; CMake says so).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/tools.sh
source "$root/scripts/tools.sh"

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
  libssl-dev          # libcrypto: SHA-256 (reports/certify.cpp)
  libboost-dev
  libboost-filesystem-dev
  libxml2-utils
  python3-junitparser
  chromium            # tests/browser: renders the certification report headless
  fonts-liberation    # ... with real fonts (chromium only recommends them)
  fonts-dejavu-core
  openssh-server      # tests/ssh: a real sshd on loopback, started by the tests themselves
  openssh-client
)

# Allure's command line is a Java program that npm installs: Debian's Java and npm where none is on
# PATH (NodeSource's nodejs carries its own npm and conflicts with Debian's npm package).
if [[ "${HIL_NO_ALLURE:-}" != 1 ]]; then
  command -v java >/dev/null 2>&1 || packages+=(default-jre-headless)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

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

install_powershell() {
  [[ "${HIL_NO_POWERSHELL:-}" == 1 ]] && return 0
  if [[ ! -x "$hil_pwsh" ]]; then
    if ! command -v dotnet >/dev/null 2>&1; then
      echo "deps.sh: no dotnet on PATH: install the .NET SDK, or PowerShell $hil_pwsh_version" \
        "yourself and configure with -DHIL_PWSH=/path/to/pwsh" >&2
      exit 1
    fi
    echo "deps.sh: installing PowerShell $hil_pwsh_version into ${hil_pwsh%/pwsh}"
    dotnet tool install PowerShell --version "$hil_pwsh_version" --tool-path "${hil_pwsh%/pwsh}" \
      >/dev/null
  fi
  if [[ ! -f "$hil_pester" ]]; then
    # Pester is a NuGet package: a throwaway project downloads it into the tools folder.
    local project
    project=$(mktemp -d)
    cat >"$project/pester.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$hil_pester_version]" /></ItemGroup>
</Project>
CSPROJ
    echo "deps.sh: installing Pester $hil_pester_version into $hil_tools_dir"
    dotnet restore "$project/pester.csproj" --packages "$hil_tools_dir/pester-$hil_pester_version" \
      >/dev/null
    rm -rf "$project"
  fi
}

install_allure() {
  [[ "${HIL_NO_ALLURE:-}" == 1 ]] && return 0
  [[ -x "$hil_allure" ]] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "deps.sh: no npm on PATH: install npm, or Allure $hil_allure_version yourself and" \
      "configure with -DHIL_ALLURE=/path/to/allure" >&2
    exit 1
  fi
  echo "deps.sh: installing Allure $hil_allure_version into $hil_allure_dir"
  # Into a folder beside it first: an interrupted download leaves no half an Allure behind.
  rm -rf "$hil_allure_dir.partial"
  npm install --prefix "$hil_allure_dir.partial" --no-audit --no-fund --loglevel=error \
    "allure-commandline@$hil_allure_version" >/dev/null
  rm -rf "$hil_allure_dir"
  mv "$hil_allure_dir.partial" "$hil_allure_dir"
}

if ((${#missing[@]} == 0)); then
  install_powershell
  install_allure
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

install_powershell
install_allure

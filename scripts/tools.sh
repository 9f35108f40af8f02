#!/usr/bin/env bash
# Where gpu-hil keeps the tools it installs outside Debian's packages (sourced by the scripts).
#   HIL_TOOLS_DIR  the folder (default: ${XDG_DATA_HOME:-$HOME/.local/share}/gpu-hil/tools)
# PowerShell is a .NET tool (`dotnet tool install PowerShell`), Pester a NuGet package; each
# lives in a folder named for its version, so a version change installs beside the old one.
hil_pwsh_version=7.6.9
hil_pester_version=6.2.0
hil_tools_dir="${HIL_TOOLS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/gpu-hil/tools}"
hil_pwsh="$hil_tools_dir/pwsh-$hil_pwsh_version/pwsh"
hil_pester="$hil_tools_dir/pester-$hil_pester_version/pester/$hil_pester_version/tools/Pester.psd1"

#!/usr/bin/env bash
# Where gpu-hil keeps the tools it installs outside Debian's packages (sourced by the scripts).
#   HIL_TOOLS_DIR  the folder (default: ${XDG_DATA_HOME:-$HOME/.local/share}/gpu-hil/tools)
# PowerShell is a .NET tool (`dotnet tool install PowerShell`), Pester a NuGet package, Allure's
# command line an npm package (allure-commandline, a Java program: npm installs it, Java runs it);
# each lives in a folder named for its version, so a version change installs beside the old one.
hil_pwsh_version=7.6.9
hil_pester_version=6.2.0
hil_allure_version=2.46.1
hil_tools_dir="${HIL_TOOLS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/gpu-hil/tools}"
hil_pwsh="$hil_tools_dir/pwsh-$hil_pwsh_version/pwsh"
hil_pester="$hil_tools_dir/pester-$hil_pester_version/pester/$hil_pester_version/tools/Pester.psd1"
hil_allure_dir="$hil_tools_dir/allure-$hil_allure_version"
hil_allure="$hil_allure_dir/node_modules/allure-commandline/dist/bin/allure"

# PowerShell 7 (pwsh) and Pester, which scripts/deps.sh installs into the tools folder that
# scripts/tools.sh names. The stand-in rig (simulators/powershell) and every test labelled
# `powershell` need pwsh; the Pester comparison needs Pester.
#   -DHIL_PWSH=/path/to/pwsh      another PowerShell 7
#   -DHIL_PESTER=/path/Pester.psd1 another Pester
set(HIL_PWSH_VERSION 7.6.9)
set(HIL_PESTER_VERSION 6.2.0)
if(DEFINED ENV{HIL_TOOLS_DIR})
  set(_hil_tools "$ENV{HIL_TOOLS_DIR}")
elseif(DEFINED ENV{XDG_DATA_HOME})
  set(_hil_tools "$ENV{XDG_DATA_HOME}/gpu-hil/tools")
else()
  set(_hil_tools "$ENV{HOME}/.local/share/gpu-hil/tools")
endif()

find_program(HIL_PWSH NAMES pwsh HINTS "${_hil_tools}/pwsh-${HIL_PWSH_VERSION}"
             DOC "PowerShell 7 for the stand-in rig and the powershell-labelled tests")
set(HIL_PWSH_FOUND OFF)
if(HIL_PWSH)
  execute_process(COMMAND ${HIL_PWSH} -NoLogo -NoProfile -NonInteractive -Command
                          "$PSVersionTable.PSVersion.ToString()"
                  OUTPUT_VARIABLE _hil_pwsh_version OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _hil_pwsh_status TIMEOUT 60)
  if(_hil_pwsh_status EQUAL 0 AND _hil_pwsh_version VERSION_GREATER_EQUAL 7.2)
    set(HIL_PWSH_FOUND ON)
    message(STATUS "powershell: ${HIL_PWSH} (${_hil_pwsh_version})")
    if(NOT _hil_pwsh_version VERSION_EQUAL HIL_PWSH_VERSION)
      message(STATUS "powershell: the project is tested with ${HIL_PWSH_VERSION}")
    endif()
  else()
    message(STATUS "powershell: ${HIL_PWSH} does not run as PowerShell 7.2 or newer "
                   "(${_hil_pwsh_status}: ${_hil_pwsh_version})")
  endif()
endif()
if(NOT HIL_PWSH_FOUND)
  message(STATUS "powershell: pwsh not found: the stand-in rig cannot run and the tests labelled "
                 "powershell fail (run scripts/deps.sh, or configure with -DHIL_PWSH=PATH)")
endif()

find_file(HIL_PESTER NAMES Pester.psd1
          HINTS "${_hil_tools}/pester-${HIL_PESTER_VERSION}/pester/${HIL_PESTER_VERSION}/tools"
          NO_DEFAULT_PATH DOC "Pester's module manifest, for the Pester comparison")
if(HIL_PESTER)
  message(STATUS "pester: ${HIL_PESTER}")
else()
  message(STATUS "pester: not found: the Pester comparison fails (run scripts/deps.sh, or "
                 "configure with -DHIL_PESTER=PATH/Pester.psd1)")
endif()

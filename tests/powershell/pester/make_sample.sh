#!/usr/bin/env bash
# Regenerates tests/data/pester-junit.xml: real Pester JUnit output for the reader, merge and
# certify unit tests, from sample/*.Sample.ps1 (not *.Tests.ps1, so that Invoke-Pester on this
# folder leaves them out: some of them fail on purpose). Exits 0 all the same.
# usage: make_sample.sh PWSH PESTER_PSD1 REPO_ROOT
set -euo pipefail
pwsh=$1
pester=$2
root=$3
"$pwsh" -NoLogo -NoProfile -NonInteractive -Command "
  Import-Module '$pester'
  \$c = New-PesterConfiguration
  \$c.Run.Path = @('$root/tests/powershell/pester/sample/Outcomes.Sample.ps1', '$root/tests/powershell/pester/sample/Teardown.Sample.ps1')
  \$c.TestResult.Enabled = \$true
  \$c.TestResult.OutputFormat = 'JUnitXml'
  \$c.TestResult.OutputPath = '$root/tests/data/pester-junit.xml'
  \$c.Output.Verbosity = 'None'
  \$null = Invoke-Pester -Configuration \$c"

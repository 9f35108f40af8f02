# Times Invoke-Pester over GpuPassthrough.Tests.ps1 inside one pwsh process (bench.sh runs it):
# one untimed warm-up run, then whole-suite runs until at least -Seconds have passed. The figure
# excludes pwsh's start-up and Import-Module Pester; bench.sh measures those separately.
# Prints one line: "pester-warm runs=R tests=N passed=P seconds=S".
param(
    [Parameter(Mandatory = $true)][string] $Pester,
    [Parameter(Mandatory = $true)][string] $Tests,
    [double] $Seconds = 3
)
$ErrorActionPreference = 'Stop'
Import-Module $Pester -Force

function Invoke-Suite {
    $config = New-PesterConfiguration
    $config.Run.Path = $Tests
    $config.Run.PassThru = $true
    $config.Output.Verbosity = 'None'
    Invoke-Pester -Configuration $config
}

$warm = Invoke-Suite
if ($warm.FailedCount -gt 0 -or $warm.PassedCount -eq 0) {
    Write-Error "the Pester suite does not pass ($($warm.PassedCount) passed, $($warm.FailedCount) failed): nothing to time"
}
$runs = 0
$passed = 0
$clock = [Diagnostics.Stopwatch]::StartNew()
while ($runs -eq 0 -or $clock.Elapsed.TotalSeconds -lt $Seconds) {
    $result = Invoke-Suite
    $runs++
    $passed += $result.PassedCount
}
$clock.Stop()
$elapsed = $clock.Elapsed.TotalSeconds.ToString('0.000', [Globalization.CultureInfo]::InvariantCulture)
"pester-warm runs=$runs tests=$($warm.TotalCount) passed=$passed seconds=$elapsed"

# Test-Path and Get-ItemProperty keep the real cmdlets' signatures (their metadata, read from
# the cmdlets themselves) and pass everything through to them, except the two Windows paths
# gpu-hil reads, which this machine does not have:
# - C:\Windows\System32\lxss\lib\libcuda.so, the NVIDIA WSL driver's library (RealDrivers);
#   the C: drive is a folder of the state, so that Join-Path $env:SystemRoot works as on Windows.
# - HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion, where the build's revision (UBR) is.

$driveRoot = Join-Path $script:State 'C'
$null = New-Item -ItemType Directory -Force -Path (Join-Path $driveRoot 'Windows')
if (-not (Get-PSDrive -Name C -ErrorAction SilentlyContinue)) {
  $null = New-PSDrive -Name C -PSProvider FileSystem -Root $driveRoot -Scope Global
}

$script:WslLibrary = 'c:/windows/system32/lxss/lib/libcuda.so'
$script:CurrentVersionKey = 'hklm:/software/microsoft/windows nt/currentversion'

function Test-HilPath([string] $Path, [string] $Wanted) {
  $Path.Replace('\', '/').ToLowerInvariant() -eq $Wanted
}

# The definition of a function named after a cmdlet, with the cmdlet's own binding and
# parameters, and `$Body` as its process block.
function New-HilProxy([string] $Name, [string] $Body) {
  $metadata = [Management.Automation.CommandMetadata]::new(
    (Get-Command "Microsoft.PowerShell.Management\$Name" -CommandType Cmdlet))
  $text = [Management.Automation.ProxyCommand]::GetCmdletBindingAttribute($metadata) + "`nparam(" +
  [Management.Automation.ProxyCommand]::GetParamBlock($metadata) + ")`nprocess {`n$Body`n}"
  [ScriptBlock]::Create("function $Name {`n$text`n}")
}

# Dot-sourced at the top of the module's scope, so that the proxies belong to the module.
. (New-HilProxy 'Test-Path' @'
$paths = @(@($PSBoundParameters['LiteralPath']) + @($PSBoundParameters['Path']) | Where-Object { $_ })
if ($paths.Count -eq 1 -and (Test-HilPath $paths[0] $script:WslLibrary)) {
  $driver = Invoke-HilOperation $PSCmdlet 'wsl-driver' @{} $paths[0]
  if ($null -ne $driver) { [bool]::Parse($driver[0].installed) }
  return
}
Microsoft.PowerShell.Management\Test-Path @PSBoundParameters
'@)

. (New-HilProxy 'Get-ItemProperty' @'
$paths = @(@($PSBoundParameters['LiteralPath']) + @($PSBoundParameters['Path']) | Where-Object { $_ })
if ($paths.Count -eq 1 -and (Test-HilPath $paths[0] $script:CurrentVersionKey)) {
  $values = (Invoke-HilOperation $PSCmdlet 'registry' @{} $paths[0])[0]
  # The registry's types: REG_SZ CurrentBuild and EditionID, REG_DWORD UBR (Int32).
  $key = [ordered]@{ CurrentBuild = [string]$values.CurrentBuild; UBR = [int]$values.UBR; EditionID = [string]$values.EditionID }
  $names = if ($PSBoundParameters.ContainsKey('Name')) { $PSBoundParameters['Name'] } else { $key.Keys }
  $out = [ordered]@{}
  foreach ($n in $names) {
    if (-not $key.Contains($n)) {
      $PSCmdlet.WriteError([Management.Automation.ErrorRecord]::new(
          [Management.Automation.PSArgumentException]::new("Property $n does not exist at path $($paths[0])."),
          'System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.GetItemPropertyCommand',
          'InvalidArgument', $n))
      return
    }
    $out[$n] = $key[$n]
  }
  $out['PSPath'] = "Microsoft.PowerShell.Core\Registry::$($paths[0])"
  [pscustomobject]$out
  return
}
Microsoft.PowerShell.Management\Get-ItemProperty @PSBoundParameters
'@)

# Loads HyperVTypes.cs: the .NET types the cmdlets take and return, under Windows' names.
# Compiling them takes a second or more; a copy compiled once per source text (and PowerShell
# version) is kept in the temporary folder and loaded from there.
$typesSource = Get-Content -LiteralPath (Join-Path $PSScriptRoot 'HyperVTypes.cs') -Raw
if (-not ('Microsoft.HyperV.PowerShell.VirtualMachine' -as [type])) {
  $hash = [BitConverter]::ToString([Security.Cryptography.SHA256]::HashData(
      [Text.Encoding]::UTF8.GetBytes($typesSource + $PSVersionTable.PSVersion))).Replace('-', '')
  $dll = Join-Path ([IO.Path]::GetTempPath()) "hil-standin-types-$($hash.Substring(0, 16)).dll"
  if (-not (Test-Path -LiteralPath $dll)) {
    $partial = "$dll.$PID.tmp"
    Add-Type -TypeDefinition $typesSource -OutputAssembly $partial -OutputType Library
    Move-Item -LiteralPath $partial -Destination $dll -Force
  }
  Add-Type -LiteralPath $dll
}

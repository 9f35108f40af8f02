# Empty cmdlets with the documented signatures, for Pester's Mock to replace: on Linux the
# Hyper-V, PnpDevice and EFLOW cmdlets do not exist. The declarations are generated from
# simulators/powershell/cmdlets.xml by the stand-in rig's own generator (Signatures.ps1) and
# take the same types (Types.ps1), so that a wrong parameter name, type or enum value fails
# here as it would on Windows. Imported with -Global, so that GpuPassthrough.psm1 finds them
# as it would the real ones.

$standin = Join-Path $PSScriptRoot '..' '..' '..' 'simulators' 'powershell'
. (Join-Path $standin 'HilStandIn' 'Types.ps1')
. (Join-Path $standin 'HilStandIn' 'Signatures.ps1')

$names = @(
  'Get-VM', 'Stop-VM', 'Start-VM', 'Set-VM',
  'Get-PnpDevice', 'Disable-PnpDevice', 'Enable-PnpDevice', 'Get-PnpDeviceProperty',
  'Get-VMHostAssignableDevice', 'Dismount-VMHostAssignableDevice', 'Mount-VMHostAssignableDevice',
  'Get-VMAssignableDevice', 'Add-VMAssignableDevice', 'Remove-VMAssignableDevice',
  'Get-VMHostPartitionableGpu', 'Get-VMGpuPartitionAdapter', 'Add-VMGpuPartitionAdapter',
  'Remove-VMGpuPartitionAdapter', 'Invoke-EflowVmCommand', 'Get-ComputerInfo',
  'Get-WindowsOptionalFeature')
$reference = [xml](Get-Content -LiteralPath (Join-Path $standin 'cmdlets.xml') -Raw)
foreach ($definition in New-HilCmdletFunctions -Reference $reference -Names $names) {
  # Dot-sourced here, so the functions belong to this module.
  . ([ScriptBlock]::Create("function $($definition.Name) {`n$($definition.Text.Replace('<#HIL-BODY#>', ''))`n}"))
}

Export-ModuleMember -Function $names

# gpu-hil's stand-in for a Windows host with Hyper-V and EFLOW, for a real PowerShell 7 on any
# OS: the cmdlets the Real* seams send, with their documented signatures (generated from
# ../cmdlets.xml), taking their state from one simulated host that `hil standin` keeps in a
# state folder (one operation per call, through the simulator's seams, so Hyper-V's rules and a
# scenario's injected faults apply there and nowhere else). Outputs are objects of the types
# Windows names (HyperVTypes.cs); failures are real ErrorRecords, non-terminating as the
# cmdlets' own errors are.
#
#   Import-Module HilStandIn.psd1 -ArgumentList <path to hil>, <state folder>
#   Reset-HilStandIn -ScenarioXml <text> -Scenario <name> [-Seed N] [-Fault op:n:kind]... [-Rules p]
#
# What the docs leave open is decided here and said where it is decided.
param(
  [Parameter(Mandatory)][string] $Hil,
  [Parameter(Mandatory)][string] $State
)

Set-StrictMode -Version 3.0
# Not $ErrorActionPreference = 'Stop': the cmdlets' errors must stay non-terminating, as the
# real ones are, whatever the caller's preference.

$script:Hil = $Hil
$script:State = $State
# Windows' own: Join-Path $env:SystemRoot ... is how gpu-hil finds the WSL driver's library.
$env:SystemRoot = 'C:\Windows'

# ---- Types ---------------------------------------------------------------------------------------

. (Join-Path $PSScriptRoot 'Types.ps1')

# ---- The simulated host ------------------------------------------------------------------------

# One operation on the simulated host: `hil standin call`, its reply read as XML. Arguments go
# to the process as separate argv entries (PowerShell 7.3+ passes them verbatim), never through
# a shell.
function Invoke-HilHost {
  param([Parameter(Mandatory)][string] $Operation, [hashtable] $Arguments = @{})
  $argv = @('standin', 'call', '--state', $script:State, $Operation)
  foreach ($key in $Arguments.Keys) {
    $argv += "$key=$($Arguments[$key])"
  }
  $text = & $script:Hil @argv 2>&1 | Out-String
  if ($LASTEXITCODE -ne 0) {
    throw "hil standin $Operation failed (exit $LASTEXITCODE): $text"
  }
  ([xml]$text).reply
}

# The reply carries every value as base64 of its UTF-8 bytes, so that none is changed on the
# way (a native command's output is read line by line, CRs dropped).
function ConvertFrom-HilBase64([string] $Text) {
  [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($Text))
}

# The properties of one object of a reply: name -> text, or name -> list of texts.
function Get-ReplyObjects($Reply) {
  foreach ($object in @($Reply.SelectNodes('object'))) {
    $properties = [ordered]@{}
    foreach ($p in @($object.SelectNodes('p'))) {
      $properties[$p.GetAttribute('n')] = if ($p.GetAttribute('list') -eq 'true') {
        [string[]]@($p.SelectNodes('i') | ForEach-Object { ConvertFrom-HilBase64 $_.InnerText })
      } else {
        ConvertFrom-HilBase64 $p.InnerText
      }
    }
    $properties
  }
}

# A .NET object of `$Type` with the reply's properties, converted to the property types.
function New-HilObject([type] $Type, $Properties) {
  $object = [Activator]::CreateInstance($Type)
  foreach ($name in $Properties.Keys) {
    $field = $Type.GetField($name)
    $value = $Properties[$name]
    # [bool]'False' is $true in PowerShell: booleans are parsed, not converted.
    $object.$name = if ($field.FieldType -eq [bool]) { [bool]::Parse($value) } else { $value }
  }
  $object
}

# The error a failed operation becomes: an ErrorRecord in the shape the real cmdlet's takes.
# Hyper-V's cmdlets wrap a VirtualizationException, with FullyQualifiedErrorId
# "<reason>,Microsoft.HyperV.PowerShell.Commands.<Verb><Noun>"; the PnpDevice cmdlets are CDXML
# over WMI, whose failures are CimExceptions ("HRESULT 0x80041001,Disable-PnpDevice" for WMI's
# generic failure); EFLOW's functions use Write-Error. The reasons chosen per code are the
# stand-in's: Microsoft documents no list.
function New-HilErrorRecord([string] $Cmdlet, $Reply, $Target) {
  $code = $Reply.GetAttribute('code')
  $message = ConvertFrom-HilBase64 $Reply.InnerText
  $category = switch ($code) {
    'invalid-request' { 'InvalidArgument' }
    'device-busy' { 'ResourceBusy' }
    'timeout' { 'OperationTimeout' }
    'unavailable' { 'ResourceUnavailable' }
    default { 'InvalidOperation' }
  }
  $noun = $Cmdlet -replace '-', ''
  if ($Cmdlet -like '*Pnp*') {
    $exception = [Management.Automation.RuntimeException]::new($message) # CimException needs libmi
    $id = "HRESULT 0x80041001,$Cmdlet"
    # WMI's generic failure is NotSpecified; a device in use is ResourceBusy (no Microsoft page
    # says which category Windows gives it: the stand-in's choice, which gpu-hil's Real seams
    # read as device-busy).
    if ($code -ne 'device-busy') { $category = 'NotSpecified' }
  } elseif ($Cmdlet -like '*Eflow*') {
    $exception = [Microsoft.PowerShell.Commands.WriteErrorException]::new($message)
    $id = "Microsoft.PowerShell.Commands.WriteErrorException,$Cmdlet"
  } else {
    $exception = [Microsoft.HyperV.PowerShell.VirtualizationException]::new($message)
    $reason = switch ($code) {
      'invalid-request' { 'InvalidParameter' }
      default { 'OperationFailed' }
    }
    $id = "$reason,Microsoft.HyperV.PowerShell.Commands.$noun"
  }
  [Management.Automation.ErrorRecord]::new($exception, $id, $category, $Target)
}

# Runs an operation for a cmdlet: its objects, or its error written as the cmdlet's (an
# injected hang never returns; an injected crash ends the controller, which the rig's session
# reads from the marker line on stderr).
function Invoke-HilOperation {
  param(
    [Parameter(Mandatory)] $Cmdlet,
    [Parameter(Mandatory)][string] $Operation,
    [hashtable] $Arguments = @{},
    $Target
  )
  $reply = Invoke-HilHost $Operation $Arguments
  switch ($reply.GetAttribute('status')) {
    'ok' { return , @(Get-ReplyObjects $reply) }
    'hang' {
      # What a hung cmdlet does: nothing, until the controller's deadline kills the session.
      while ($true) { Start-Sleep -Seconds 3600 }
    }
    'crash' {
      [Console]::Error.WriteLine("hil-standin-crash $($reply.GetAttribute('op')) " +
        "$($reply.GetAttribute('occurrence')) $($reply.GetAttribute('when'))")
      [Console]::Error.Flush()
      $Cmdlet.ThrowTerminatingError([Management.Automation.ErrorRecord]::new(
          [InvalidOperationException]::new('the controller crashed here (injected)'),
          'HilStandIn.Crash', 'OperationStopped', $null))
    }
    default {
      $Cmdlet.WriteError((New-HilErrorRecord $Cmdlet.MyInvocation.MyCommand.Name $reply $Target))
      return $null
    }
  }
}

# A parameter the documented signature leaves optional but the stand-in needs (as the real
# cmdlet does in the parameter combinations gpu-hil sends): its value, or a clear refusal.
function Get-HilArgument($Cmdlet, $Bound, [string] $Name) {
  if (-not $Bound.ContainsKey($Name)) {
    $Cmdlet.ThrowTerminatingError([Management.Automation.ErrorRecord]::new(
        [NotSupportedException]::new(
          "$($Cmdlet.MyInvocation.MyCommand.Name) without -$($Name): gpu-hil's stand-in host " +
          "models it with -$Name only"), 'HilStandIn.NotModelled', 'NotImplemented', $Name))
  }
  $Bound[$Name]
}

# 'true' when a switch was given (and not as -Switch:$false), else 'false'.
function Test-HilSwitch($Bound, [string] $Name) {
  if ($Bound.ContainsKey($Name) -and [bool]$Bound[$Name]) { 'true' } else { 'false' }
}

# Refuses, clearly, what the stand-in does not model (another computer, a job, a parameter
# gpu-hil never sends): a real host would do something; the stand-in will not pretend.
function Assert-Modelled($Cmdlet, [hashtable] $Bound, [string[]] $Modelled) {
  $ignored = @('WhatIf', 'Confirm', 'Force', 'Passthru', 'PassThru') +
  [Management.Automation.PSCmdlet]::CommonParameters +
  [Management.Automation.PSCmdlet]::OptionalCommonParameters
  foreach ($name in $Bound.Keys) {
    if ($name -notin $Modelled -and $name -notin $ignored) {
      $Cmdlet.ThrowTerminatingError([Management.Automation.ErrorRecord]::new(
          [NotSupportedException]::new(
            "$($Cmdlet.MyInvocation.MyCommand.Name) -$($name): gpu-hil's stand-in host does not " +
            "model this parameter"), 'HilStandIn.NotModelled', 'NotImplemented', $name))
    }
  }
}

# ---- What each cmdlet does ---------------------------------------------------------------------

# Each takes the cmdlet ($PSCmdlet of the generated function) and its bound parameters.
$script:Implementations = @{

  'Get-ComputerInfo'              = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('Property')
    $info = Invoke-HilOperation $Cmdlet 'windows-info'
    if ($null -eq $info) { return }
    $object = New-HilObject ([Microsoft.PowerShell.Commands.ComputerInfo]) ([ordered]@{
        WindowsEditionId = $info[0].WindowsEditionId; OsBuildNumber = $info[0].OsBuildNumber
      })
    # The registry's UBR, for the proxy of Get-ItemProperty below.
    $script:Ubr = $info[0].UBR
    $script:EditionId = $info[0].WindowsEditionId
    if ($Bound.ContainsKey('Property')) { $object | Select-Object -Property $Bound.Property } else { $object }
  }

  'Get-WindowsOptionalFeature'    = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('Online', 'FeatureName')
    if ($Cmdlet.ParameterSetName -ne 'Online') {
      Assert-Modelled $Cmdlet @{ Path = 1 } @()
    }
    $feature = Invoke-HilOperation $Cmdlet 'hyperv-feature'
    if ($null -eq $feature) { return }
    $present = [bool]::Parse($feature[0].present)
    $enabled = if ([bool]::Parse($feature[0].enabled)) { 'Enabled' } else { 'Disabled' }
    # A Windows edition without Hyper-V (Home) lists no Microsoft-Hyper-V features at all.
    $features = @([ordered]@{ FeatureName = 'Printing-PrintToPDFServices-Features'; State = 'Enabled' })
    if ($present) {
      foreach ($name in 'Microsoft-Hyper-V-All', 'Microsoft-Hyper-V', 'Microsoft-Hyper-V-Tools-All',
        'Microsoft-Hyper-V-Hypervisor') {
        $features += [ordered]@{ FeatureName = $name; State = $enabled }
      }
    }
    foreach ($f in $features) {
      if (-not $Bound.ContainsKey('FeatureName') -or $f.FeatureName -like $Bound.FeatureName) {
        New-HilObject ([Microsoft.Dism.Commands.BasicFeatureObject]) $f
      }
    }
  }

  'Get-PnpDevice'                 = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('Class', 'PresentOnly', 'InstanceId', 'FriendlyName', 'Status')
    $devices = Invoke-HilOperation $Cmdlet 'pnp-devices'
    # The simulated host has display devices only.
    if ($Bound.ContainsKey('Class') -and 'Display' -notin $Bound.Class) { return }
    foreach ($d in $devices) {
      if ($Bound.ContainsKey('InstanceId') -and -not ($Bound.InstanceId | Where-Object { $d.InstanceId -like $_ })) { continue }
      if ($Bound.ContainsKey('FriendlyName') -and -not ($Bound.FriendlyName | Where-Object { $d.FriendlyName -like $_ })) { continue }
      if ($Bound.ContainsKey('Status') -and $d.Status -notin $Bound.Status) { continue }
      New-HilPnpEntity $d
    }
  }

  'Get-PnpDeviceProperty'         = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('InstanceId', 'KeyName')
    foreach ($id in $Bound.InstanceId) {
      $keys = if ($Bound.ContainsKey('KeyName')) { $Bound.KeyName } else { @('DEVPKEY_Device_LocationPaths') }
      $driverKeys = 'DEVPKEY_Device_Service', 'DEVPKEY_Device_DriverInfPath', 'DEVPKEY_Device_DriverDesc'
      if (@($keys | Where-Object { $_ -in $driverKeys }).Count -gt 0) {
        $driver = Invoke-HilOperation $Cmdlet 'driver-properties' @{ id = $id } $id
        foreach ($property in $driver) {
          if ($property.KeyName -in $keys) { New-HilPnpProperty $id $property.KeyName 18 $property.Data }
        }
      }
      if ('DEVPKEY_Device_LocationPaths' -in $keys) {
        $paths = Invoke-HilOperation $Cmdlet 'location-paths' @{ id = $id } $id
        if ($null -ne $paths) {
          # DEVPROP_TYPE_STRING_LIST (8210): a string array, PCI path first.
          New-HilPnpProperty $id 'DEVPKEY_Device_LocationPaths' 8210 ([string[]]$paths[0].Data)
        }
      }
    }
  }

  'Disable-PnpDevice'             = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('InstanceId')
    foreach ($id in $Bound.InstanceId) {
      if ($Cmdlet.ShouldProcess($id, 'Disable')) {
        $null = Invoke-HilOperation $Cmdlet 'disable-device' @{ id = $id } $id
      }
    }
  }

  'Enable-PnpDevice'              = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('InstanceId')
    foreach ($id in $Bound.InstanceId) {
      if ($Cmdlet.ShouldProcess($id, 'Enable')) {
        $null = Invoke-HilOperation $Cmdlet 'enable-device' @{ id = $id } $id
      }
    }
  }

  'Get-VM'                        = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('Name')
    if (-not $Bound.ContainsKey('Name')) {
      Assert-Modelled $Cmdlet @{ 'Name (left out: every VM)' = 1 } @()
    }
    foreach ($name in $Bound.Name) {
      if ([Management.Automation.WildcardPattern]::ContainsWildcardCharacters($name)) {
        Assert-Modelled $Cmdlet @{ 'Name (a wildcard pattern)' = 1 } @()
      }
      $vm = Invoke-HilOperation $Cmdlet 'vm' @{ name = $name } $name
      if ($null -ne $vm) { New-HilObject ([Microsoft.HyperV.PowerShell.VirtualMachine]) $vm[0] }
    }
  }

  'Start-VM'                      = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('Name')
    foreach ($name in $Bound.Name) {
      if ($Cmdlet.ShouldProcess($name, 'Start-VM')) {
        $null = Invoke-HilOperation $Cmdlet 'start-vm' @{ name = $name } $name
      }
    }
  }

  'Stop-VM'                       = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('Name', 'TurnOff')
    foreach ($name in $Bound.Name) {
      # Without -Force, Stop-VM asks before shutting down a VM (Stop-VM reference); a session
      # without a console cannot answer.
      if (-not $Bound.ContainsKey('Force') -and -not $Bound.ContainsKey('TurnOff') -and
        -not $Cmdlet.ShouldContinue("Shut down the virtual machine '$name'?", 'Stop-VM')) {
        continue
      }
      if ($Cmdlet.ShouldProcess($name, 'Stop-VM')) {
        $null = Invoke-HilOperation $Cmdlet 'stop-vm' @{ name = $name } $name
      }
    }
  }

  'Set-VM'                        = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('Name', 'AutomaticStopAction', 'LowMemoryMappedIoSpace',
      'HighMemoryMappedIoSpace', 'GuestControlledCacheTypes')
    foreach ($name in $Bound.Name) {
      if (-not $Cmdlet.ShouldProcess($name, 'Set-VM')) { continue }
      # Each setting is its own operation on the simulated host, in the order Set-VM lists them.
      if ($Bound.ContainsKey('AutomaticStopAction')) {
        $null = Invoke-HilOperation $Cmdlet 'set-stop-action' @{ name = $name; action = [string]$Bound.AutomaticStopAction } $name
      }
      if ($Bound.ContainsKey('LowMemoryMappedIoSpace') -or $Bound.ContainsKey('HighMemoryMappedIoSpace')) {
        $mmio = @{ name = $name }
        if ($Bound.ContainsKey('LowMemoryMappedIoSpace')) { $mmio.low = [string]$Bound.LowMemoryMappedIoSpace }
        if ($Bound.ContainsKey('HighMemoryMappedIoSpace')) { $mmio.high = [string]$Bound.HighMemoryMappedIoSpace }
        $null = Invoke-HilOperation $Cmdlet 'set-mmio' $mmio $name
      }
      if ($Bound.ContainsKey('GuestControlledCacheTypes')) {
        $null = Invoke-HilOperation $Cmdlet 'set-cache-types' @{ name = $name; enabled = ([string]$Bound.GuestControlledCacheTypes).ToLowerInvariant() } $name
      }
    }
  }

  'Get-VMHostAssignableDevice'    = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('InstancePath', 'LocationPath')
    foreach ($d in (Invoke-HilOperation $Cmdlet 'host-assignable')) {
      if ($Bound.ContainsKey('LocationPath') -and $d.LocationPath -ne (Get-HilArgument $Cmdlet $Bound 'LocationPath')) { continue }
      New-HilObject ([Microsoft.HyperV.PowerShell.VMHostAssignableDevice]) $d
    }
  }

  'Dismount-VMHostAssignableDevice' = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('LocationPath')
    if (-not $Bound.ContainsKey('LocationPath')) {
      Assert-Modelled $Cmdlet @{ 'InstancePath (without -LocationPath)' = 1 } @()
    }
    if ($Cmdlet.ShouldProcess((Get-HilArgument $Cmdlet $Bound 'LocationPath'), 'Dismount')) {
      $null = Invoke-HilOperation $Cmdlet 'dismount' @{
        location = (Get-HilArgument $Cmdlet $Bound 'LocationPath'); force = (Test-HilSwitch $Bound 'Force')
      } (Get-HilArgument $Cmdlet $Bound 'LocationPath')
    }
  }

  'Mount-VMHostAssignableDevice'  = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('LocationPath')
    if (-not $Bound.ContainsKey('LocationPath')) {
      Assert-Modelled $Cmdlet @{ 'InstancePath (without -LocationPath)' = 1 } @()
    }
    if ($Cmdlet.ShouldProcess((Get-HilArgument $Cmdlet $Bound 'LocationPath'), 'Mount')) {
      $null = Invoke-HilOperation $Cmdlet 'mount' @{ location = (Get-HilArgument $Cmdlet $Bound 'LocationPath') } (Get-HilArgument $Cmdlet $Bound 'LocationPath')
    }
  }

  'Get-VMAssignableDevice'        = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('VMName')
    foreach ($vm in $Bound.VMName) {
      foreach ($d in (Invoke-HilOperation $Cmdlet 'assigned' @{ vm = $vm } $vm)) {
        New-HilObject ([Microsoft.HyperV.PowerShell.VMAssignedDevice]) $d
      }
    }
  }

  'Add-VMAssignableDevice'        = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('VMName', 'LocationPath')
    foreach ($vm in $Bound.VMName) {
      if ($Cmdlet.ShouldProcess($vm, 'Add-VMAssignableDevice')) {
        $null = Invoke-HilOperation $Cmdlet 'add-assignable' @{ vm = $vm; location = (Get-HilArgument $Cmdlet $Bound 'LocationPath') } $vm
      }
    }
  }

  'Remove-VMAssignableDevice'     = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('VMName', 'LocationPath')
    foreach ($vm in $Bound.VMName) {
      if ($Cmdlet.ShouldProcess($vm, 'Remove-VMAssignableDevice')) {
        $null = Invoke-HilOperation $Cmdlet 'remove-assignable' @{ vm = $vm; location = (Get-HilArgument $Cmdlet $Bound 'LocationPath') } $vm
      }
    }
  }

  'Get-VMHostPartitionableGpu'    = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('Name')
    foreach ($g in (Invoke-HilOperation $Cmdlet 'partitionable')) {
      if ($Bound.ContainsKey('Name') -and $g.Name -ne $Bound.Name) { continue }
      New-HilObject ([Microsoft.HyperV.PowerShell.VMHostPartitionableGpu]) $g
    }
  }

  'Get-VMGpuPartitionAdapter'     = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('VMName', 'AdapterId')
    foreach ($vm in $Bound.VMName) {
      foreach ($a in (Invoke-HilOperation $Cmdlet 'adapters' @{ vm = $vm } $vm)) {
        if ($Bound.ContainsKey('AdapterId') -and $a.Id -ne (Get-HilArgument $Cmdlet $Bound 'AdapterId')) { continue }
        New-HilObject ([Microsoft.HyperV.PowerShell.VMGpuPartitionAdapter]) $a
      }
    }
  }

  'Add-VMGpuPartitionAdapter'     = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('VMName', 'InstancePath')
    if (-not $Bound.ContainsKey('InstancePath')) {
      Assert-Modelled $Cmdlet @{ 'InstancePath (left out: the first partitionable GPU)' = 1 } @()
    }
    foreach ($vm in $Bound.VMName) {
      if (-not $Cmdlet.ShouldProcess($vm, 'Add-VMGpuPartitionAdapter')) { continue }
      $added = Invoke-HilOperation $Cmdlet 'add-adapter' @{ vm = $vm; path = (Get-HilArgument $Cmdlet $Bound 'InstancePath') } $vm
      if ($null -ne $added -and (Test-HilSwitch $Bound 'Passthru') -eq 'true') {
        New-HilObject ([Microsoft.HyperV.PowerShell.VMGpuPartitionAdapter]) $added[0]
      }
    }
  }

  'Remove-VMGpuPartitionAdapter'  = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('VMName', 'AdapterId')
    foreach ($vm in $Bound.VMName) {
      if ($Cmdlet.ShouldProcess($vm, 'Remove-VMGpuPartitionAdapter')) {
        $null = Invoke-HilOperation $Cmdlet 'remove-adapter' @{ vm = $vm; id = (Get-HilArgument $Cmdlet $Bound 'AdapterId') } $vm
      }
    }
  }

  'Invoke-EflowVmCommand'         = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('command', 'ignoreError')
    $run = Invoke-HilOperation $Cmdlet 'guest-run' @{ line = (Get-HilArgument $Cmdlet $Bound 'command') } (Get-HilArgument $Cmdlet $Bound 'command')
    if ($null -eq $run) { return }
    # The program's error stream comes back on the host's; its output as lines of text. The
    # article does not say what a failing command does without -ignoreError: the stand-in
    # writes an error then, as Write-Error would.
    if ($run[0].Err) { [Console]::Error.Write($run[0].Err) }
    # The line ends in `; echo __hil_exit=$?` (the only shape the simulated guest runs), so its
    # last line of output is the program's status, as the guest's shell would print it.
    $out = $run[0].Out + "__hil_exit=$($run[0].ExitCode)"
    $out -split "`n"
    if ($run[0].ExitCode -ne '0' -and (Test-HilSwitch $Bound 'ignoreError') -eq 'false') {
      $Cmdlet.WriteError([Management.Automation.ErrorRecord]::new(
          [Microsoft.PowerShell.Commands.WriteErrorException]::new(
            "the command exited with status $($run[0].ExitCode)"),
          'Microsoft.PowerShell.Commands.WriteErrorException,Invoke-EflowVmCommand',
          'NotSpecified', (Get-HilArgument $Cmdlet $Bound 'command')))
    }
  }

  'Set-EflowVM'                   = {
    param($Cmdlet, $Bound)
    Assert-Modelled $Cmdlet $Bound @('cpuCount', 'memoryInMB', 'gpuName', 'gpuPassthroughType',
      'gpuCount', 'headless')
    $request = @{ headless = (Test-HilSwitch $Bound 'headless') }
    if ($Bound.ContainsKey('cpuCount')) { $request.cpus = [string]$Bound.cpuCount }
    if ($Bound.ContainsKey('memoryInMB')) { $request['memory-mb'] = [string]$Bound.memoryInMB }
    if ($Bound.ContainsKey('gpuPassthroughType')) {
      $request.type = $Bound.gpuPassthroughType
      $request.name = [string](Get-HilArgument $Cmdlet $Bound 'gpuName')
      $request.count = if ($Bound.ContainsKey('gpuCount')) { [string]$Bound.gpuCount } else { '1' }
    } elseif ($Bound.ContainsKey('gpuName') -or $Bound.ContainsKey('gpuCount')) {
      Assert-Modelled $Cmdlet @{ 'gpuName/gpuCount (without -gpuPassthroughType)' = 1 } @()
    }
    $null = Invoke-HilOperation $Cmdlet 'eflow-set-vm' $request
  }
}

# ---- The stand-in's own commands ---------------------------------------------------------------

function New-HilPnpEntity($Device) {
  # Get-PnpDevice returns CIM instances of Win32_PnPEntity (Get-PnpDevice reference, OUTPUTS).
  # PowerShell on Linux cannot create CimInstance objects (they need WMI's native libmi), so
  # the stand-in's carry the CIM type name and the same properties and types instead.
  $problem = [uint32]$Device.ConfigManagerErrorCode
  # Problem is the property the PnpDevice module adds: CM_PROB_DISABLED is 22.
  $name = switch ($problem) { 22 { 'CM_PROB_DISABLED' } 43 { 'CM_PROB_FAILED_POST_START' } default { 'CM_PROB_NONE' } }
  [pscustomobject]@{
    PSTypeName             = 'Microsoft.Management.Infrastructure.CimInstance#ROOT/cimv2/Win32_PnPEntity'
    Class                  = 'Display'
    FriendlyName           = [string]$Device.FriendlyName
    InstanceId             = [string]$Device.InstanceId
    Status                 = [string]$Device.Status
    ConfigManagerErrorCode = $problem
    Problem                = $name
    Present                = $true
  }
}

function New-HilPnpProperty([string] $Id, [string] $Key, [uint32] $Type, $Data) {
  [pscustomobject]@{
    PSTypeName = 'Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/GetPnpDeviceProperty/Win32_PnpDeviceProperty'
    InstanceId = $Id; KeyName = $Key; Type = $Type; Data = $Data
  }
}

function Reset-HilStandIn {
  <#
  .SYNOPSIS
  Sets up the simulated host for one scenario (its <host>, its faults) in the state folder.
  #>
  [CmdletBinding()]
  param(
    [Parameter(Mandatory)][string] $ScenarioXml,
    [Parameter(Mandatory)][string] $Scenario,
    [uint64] $Seed = 1,
    [string[]] $Fault = @(),
    [string] $Rules
  )
  $file = Join-Path ([IO.Path]::GetTempPath()) "hil-standin-scenario-$PID.xml"
  [IO.File]::WriteAllText($file, $ScenarioXml)
  try {
    $argv = @('standin', 'reset', '--state', $script:State, '--scenario-file', $file,
      '--scenario', $Scenario, '--seed', $Seed)
    foreach ($f in $Fault) { $argv += @('--fault', $f) }
    if ($Rules) { $argv += @('--rules', $Rules) }
    $out = & $script:Hil @argv 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0) { throw "hil standin reset: $out" }
  } finally {
    Remove-Item -LiteralPath $file -ErrorAction SilentlyContinue
  }
}

function Get-HilStandInHost {
  <#
  .SYNOPSIS
  The simulated host as the invariants see it (no operation entered, no fault fired).
  #>
  [CmdletBinding()]
  param()
  $out = & $script:Hil standin host --state $script:State 2>&1 | Out-String
  if ($LASTEXITCODE -ne 0) { throw "hil standin host: $out" }
  [Console]::Out.Write($out)
}

function Sync-HilStandIn {
  <#
  .SYNOPSIS
  Delivers a crash an operation that took effect has scheduled (between two flow steps).
  #>
  [CmdletBinding()]
  param()
  $null = Invoke-HilOperation $PSCmdlet 'sync'
}

function Disable-HilStandInFault {
  <#
  .SYNOPSIS
  No more injected faults (recovery and a final teardown run on a healthy host).
  #>
  [CmdletBinding()]
  param()
  $null = Invoke-HilOperation $PSCmdlet 'calm'
}

# ---- The cmdlets, generated from the documented signatures ------------------------------------

. (Join-Path $PSScriptRoot 'Signatures.ps1')

$reference = [xml](Get-Content -LiteralPath (Join-Path $PSScriptRoot '..' 'cmdlets.xml') -Raw)
$generated = New-HilCmdletFunctions -Reference $reference -Names $script:Implementations.Keys
foreach ($definition in $generated) {
  # Dot-sourced here, so the functions belong to this module and see its state.
  $body = "& `$script:Implementations['$($definition.Name)'] `$PSCmdlet `$PSBoundParameters"
  . ([ScriptBlock]::Create("function $($definition.Name) {`n$($definition.Text.Replace('<#HIL-BODY#>', $body))`n}"))
}

# Test-Path and Get-ItemProperty stay the real cmdlets, except for the two Windows paths gpu-hil
# reads: the WSL driver's libcuda.so and the CurrentVersion registry key (neither exists here).
. (Join-Path $PSScriptRoot 'Proxies.ps1')

Export-ModuleMember -Function (@($script:Implementations.Keys) + @(
    'Reset-HilStandIn', 'Get-HilStandInHost', 'Sync-HilStandIn', 'Disable-HilStandInFault',
    'Test-Path', 'Get-ItemProperty'))

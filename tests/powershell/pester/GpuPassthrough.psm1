# GpuPassthrough: the deployment script a Windows team would write to give the EFLOW VM a GPU,
# by DDA (the whole Tesla T4) or GPU-PV (a shared GeForce or Quadro), with the Hyper-V and
# PnpDevice cmdlets and EFLOW's Invoke-EflowVmCommand. It is gpu-hil's flow (design doc section 2)
# written the way a Pester-tested PowerShell module would be: GpuPassthrough.Tests.ps1 mocks
# every cmdlet it calls. Results carry gpu-hil's error and warning codes (design doc section 4).
#
#   Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA Tesla T4' -GpuCount 1
#   Test-GpuPassthroughSmoke -VMName EFLOW
#   Remove-GpuPassthrough -VMName EFLOW -Original $deployment.Original
#
# Each returns [pscustomobject]@{ Result = 'ok'|'error'; Error; Message; Problems; Method;
# Warnings; RolledBack; ... }: a failed step rolls back what it did, newest first, and says so.

Set-StrictMode -Version 3.0

# ---- the rules: the slice of gpu-hil's data files this script knows ---------------------------

# GPUs by PnP friendly name (framework/data/gpu-catalog.xml): family, PCI id, and the sizes of
# the 32-bit (low) and 64-bit (high) BARs, which the VM's MMIO space must hold.
$script:Gpus = @(
    [pscustomobject]@{ Name = 'NVIDIA Tesla T4';         Family = 'datacenter'; Pci = '10de:1eb8'; LowBars = 16MB; HighBars = 288MB }
    [pscustomobject]@{ Name = 'NVIDIA GeForce RTX 3060'; Family = 'geforce';    Pci = '10de:2503'; LowBars = 16MB; HighBars = 288MB }
    [pscustomobject]@{ Name = 'NVIDIA GeForce RTX 3080'; Family = 'geforce';    Pci = '10de:2206'; LowBars = 16MB; HighBars = 288MB }
    [pscustomobject]@{ Name = 'NVIDIA GeForce RTX 4090'; Family = 'geforce';    Pci = '10de:2684'; LowBars = 16MB; HighBars = 288MB }
    [pscustomobject]@{ Name = 'NVIDIA Quadro RTX 4000';  Family = 'quadro';     Pci = '10de:1eb1'; LowBars = 16MB; HighBars = 288MB }
    [pscustomobject]@{ Name = 'NVIDIA RTX A2000';        Family = 'quadro';     Pci = '10de:2531'; LowBars = 16MB; HighBars = 288MB }
    [pscustomobject]@{ Name = 'AMD Radeon PRO W6600';    Family = 'amd';        Pci = '1002:73e3'; LowBars = 1MB;  HighBars = 258MB }
    [pscustomobject]@{ Name = 'Intel(R) UHD Graphics 770'; Family = 'intel-integrated'; Pci = '8086:4680'; LowBars = 0; HighBars = 272MB }
)

# The support rules of the 2021 EFLOW GPU preview (framework/data/rules/eflow-2021-preview.xml).
$script:Rules = @(
    [pscustomobject]@{ Gpus = @('NVIDIA Tesla T4'); Families = @(); Technique = 'DirectDeviceAssignment'; Editions = @('Server')
       MinBuild = 17763; RecommendsMitigationDriver = $true; RequiresWslDriver = $false }
    [pscustomobject]@{ Gpus = @('NVIDIA Tesla T4'); Families = @(); Technique = 'DirectDeviceAssignment'; Editions = @('Enterprise', 'Professional')
       MinBuild = 21318; RecommendsMitigationDriver = $true; RequiresWslDriver = $false }
    [pscustomobject]@{ Gpus = @(); Families = @('geforce', 'quadro'); Technique = 'ParaVirtualization'; Editions = @('Enterprise', 'Professional')
       MinBuild = 20145; RecommendsMitigationDriver = $false; RequiresWslDriver = $true }
)

# When several checks fail, the first of these is the result's code (design doc section 4).
$script:Precedence = @('invalid-request', 'unsupported-edition', 'hyperv-unavailable', 'gpu-not-found',
    'gpu-count', 'unsupported-gpu', 'method-not-supported', 'unsupported-build', 'driver-missing')

# A VM starts with 128 MB low and 512 MB high MMIO space; it needs its devices' BARs on top.
$script:DefaultLowMmio = 128MB
$script:DefaultHighMmio = 512MB
$script:SmokeProgram = '/opt/gpu-hil/bin/cuda_smoke'

# ---- reading the host --------------------------------------------------------------------------

function ConvertTo-Edition([string] $EditionId) {
    # WindowsEditionId values: ServerStandard, ServerDatacenter, Enterprise, EnterpriseN,
    # IoTEnterprise, Professional, ProfessionalWorkstation, Core (Home), CoreSingleLanguage ...
    switch -Wildcard ($EditionId) {
        'ServerRdsh' { return 'Enterprise' }
        'Server*' { return 'Server' }
        'IoTEnterprise*' { return 'IoTEnterprise' }
        'Enterprise*' { return 'Enterprise' }
        'Professional*' { return 'Professional' }
        'Core*' { return 'Home' }
    }
    return $EditionId
}

function Get-HostFacts {
    $info = Get-ComputerInfo -Property WindowsEditionId, OsBuildNumber
    $feature = Get-WindowsOptionalFeature -Online -FeatureName 'Microsoft-Hyper-V' -ErrorAction SilentlyContinue
    [pscustomobject]@{
        Edition       = ConvertTo-Edition $info.WindowsEditionId
        Build         = [int]$info.OsBuildNumber
        HyperVEnabled = $null -ne $feature -and "$($feature.State)" -eq 'Enabled'
    }
}

function Get-GpuModel([string] $FriendlyName) {
    $script:Gpus | Where-Object { $_.Name -eq $FriendlyName } | Select-Object -First 1
}

function Get-RulesForGpu($Model) {
    @($script:Rules | Where-Object { $_.Gpus -contains $Model.Name -or $_.Families -contains $Model.Family })
}

function Test-MitigationDriver([string] $InstanceId) {
    # The vendor's device mitigation (partitioning) driver calls itself one in its description.
    $desc = Get-PnpDeviceProperty -InstanceId $InstanceId -KeyName 'DEVPKEY_Device_DriverDesc' -ErrorAction SilentlyContinue
    return $null -ne $desc -and "$($desc.Data)" -match 'mitigation|partitioning'
}

function Test-WslDriver {
    # The NVIDIA CUDA driver for WSL installs libcuda.so where GPU-PV maps it into the guest.
    Test-Path -LiteralPath "$env:SystemRoot\System32\lxss\lib\libcuda.so"
}

function Get-LocationPath([string] $InstanceId) {
    # The PCIROOT path, which Dismount-VMHostAssignableDevice and Add-VMAssignableDevice take.
    $paths = Get-PnpDeviceProperty -InstanceId $InstanceId -KeyName 'DEVPKEY_Device_LocationPaths'
    @($paths.Data | Where-Object { $_ -like 'PCIROOT*' })[0]
}

function Get-PartitionableGpu([string] $InstanceId) {
    # Its Name is the device interface path: \\?\PCI#VEN_..#..#{guid}, the instance id with '#'.
    $needle = $InstanceId -replace '\\', '#'
    Get-VMHostPartitionableGpu | Where-Object { $_.Name -like "*$needle*" } | Select-Object -First 1
}

# ---- results and the undo journal --------------------------------------------------------------

function New-Outcome {
    [pscustomobject]@{
        Result = 'ok'; Error = $null; Message = ''; Problems = @(); Method = $null
        Warnings = @(); RolledBack = @(); ChangedNothing = $false; Original = $null; Checks = @()
    }
}

function Set-Failure($Outcome, [string] $Code, [string] $Message) {
    $Outcome.Result = 'error'
    $Outcome.Error = $Code
    $Outcome.Message = $Message
    $Outcome
}

# The undo journal: a list of (what, command, arguments), rolled back newest first.
function Invoke-Step($Journal, [string] $Command, [hashtable] $Arguments, [string] $What, [string] $UndoCommand, [hashtable] $UndoArguments) {
    $null = & $Command @Arguments -ErrorAction Stop
    Add-Undo $Journal $What $UndoCommand $UndoArguments
}

function Add-Undo($Journal, [string] $What, [string] $Command, [hashtable] $Arguments) {
    $Journal.Add([pscustomobject]@{ What = $What; Command = $Command; Arguments = $Arguments })
}

function Invoke-RollBack($Journal) {
    # Newest first; an undo that fails is reported and the rest still run.
    $done = for ($i = $Journal.Count - 1; $i -ge 0; $i--) {
        $step = $Journal[$i]
        $arguments = $step.Arguments
        try {
            $null = & $step.Command @arguments -ErrorAction Stop
            $step.What
        } catch {
            "$($step.What) FAILED: $($_.Exception.Message)"
        }
    }
    $Journal.Clear()
    @($done)
}

function New-StepFailure([string] $Code, [string] $Message) {
    $e = [System.InvalidOperationException]::new($Message)
    $e.Data['Code'] = $Code
    $e
}

# Runs host operations; a failure carries the code the caller should act on.
function Invoke-HostStep([string] $Code, [scriptblock] $Action) {
    try {
        & $Action
    } catch {
        if ($_.Exception.Data.Contains('Code')) { throw }
        throw (New-StepFailure $Code $_.Exception.Message)
    }
}

function Get-FailureCode($ErrorRecord) {
    if ($ErrorRecord.Exception.Data.Contains('Code')) { return $ErrorRecord.Exception.Data['Code'] }
    'operation-failed'
}

# ---- prerequisites -----------------------------------------------------------------------------

function Test-GpuPrerequisites {
    param([string] $Passthrough, [string] $GpuName, [int] $GpuCount)
    $problems = [System.Collections.Generic.List[object]]::new()
    $warnings = [System.Collections.Generic.List[string]]::new()
    $add = { param($code, $message) $problems.Add([pscustomobject]@{ Code = $code; Message = $message }) }
    $selection = $null

    $hostFacts = Get-HostFacts
    if ($hostFacts.Edition -eq 'Home') {
        & $add 'unsupported-edition' 'Windows Home has no Hyper-V: GPU passthrough needs Server, Enterprise, IoT Enterprise or Professional'
    } elseif (-not $hostFacts.HyperVEnabled) {
        & $add 'hyperv-unavailable' "Hyper-V is not enabled on this Windows $($hostFacts.Edition) host: enable Microsoft-Hyper-V and restart"
    }
    if ($GpuCount -lt 1) {
        & $add 'gpu-count' "gpu-count $GpuCount is less than 1"
    }

    $devices = @(Get-PnpDevice -Class Display -PresentOnly)
    $matching = @()
    if ($GpuName) {
        $matching = @($devices | Where-Object { $_.FriendlyName -eq $GpuName })
        if ($matching.Count -eq 0) {
            & $add 'gpu-not-found' "no GPU named `"$GpuName`" on the host; it has $(($devices | ForEach-Object FriendlyName | Select-Object -Unique) -join ', ')"
        }
    } elseif (@($devices | ForEach-Object FriendlyName | Select-Object -Unique).Count -gt 1) {
        & $add 'invalid-request' 'no gpu-name given and the host has several GPUs: name one'
    } elseif ($devices.Count -eq 0) {
        & $add 'gpu-not-found' 'the host has no display device'
    } else {
        $matching = $devices
    }

    if ($matching.Count -gt 0) {
        $model = Get-GpuModel $matching[0].FriendlyName
        if ($GpuCount -ge 1 -and $GpuCount -gt $matching.Count) {
            & $add 'gpu-count' "gpu-count $GpuCount but the host has $($matching.Count) GPU(s) named `"$($matching[0].FriendlyName)`""
        }
        $rules = @(if ($model) { Get-RulesForGpu $model })
        $technique = $null
        if ($rules.Count -eq 0) {
            & $add 'unsupported-gpu' "`"$($matching[0].FriendlyName)`" is not supported for GPU passthrough"
        } elseif ($Passthrough -eq 'auto') {
            # The first rule this host meets decides; else the GPU's first rule says what is missing.
            $fits = @($rules | Where-Object { $_.Editions -contains $hostFacts.Edition -and $hostFacts.Build -ge $_.MinBuild })
            $technique = if ($fits.Count -gt 0) { $fits[0].Technique } else { $rules[0].Technique }
        } elseif (@($rules | Where-Object Technique -EQ $Passthrough).Count -eq 0) {
            & $add 'method-not-supported' "$Passthrough is not supported for `"$($model.Name)`": it gets $($rules[0].Technique) only"
        } else {
            $technique = $Passthrough
        }

        if ($technique) {
            if ($technique -eq 'ParaVirtualization' -and $GpuCount -ne 1 -and @($problems | Where-Object Code -EQ 'gpu-count').Count -eq 0) {
                & $add 'gpu-count' "GPU-PV shares one GPU: gpu-count must be 1, not $GpuCount"
            }
            $forTechnique = @($rules | Where-Object Technique -EQ $technique)
            $forEdition = @($forTechnique | Where-Object { $_.Editions -contains $hostFacts.Edition })
            if ($forEdition.Count -eq 0) {
                if ($hostFacts.Edition -ne 'Home') {
                    & $add 'unsupported-edition' "$technique for `"$($model.Name)`" is not supported on Windows $($hostFacts.Edition): supported on $(($forTechnique.Editions | Select-Object -Unique) -join ', ')"
                }
            } elseif (@($forEdition | Where-Object { $hostFacts.Build -ge $_.MinBuild }).Count -eq 0) {
                $lowest = ($forEdition.MinBuild | Measure-Object -Minimum).Minimum
                & $add 'unsupported-build' "$technique for `"$($model.Name)`" on Windows $($hostFacts.Edition) needs build $lowest or newer; this host has $($hostFacts.Build)"
            }
            $count = [Math]::Min($matching.Count, [Math]::Max(1, $GpuCount))
            $chosen = @($matching | Select-Object -First $count)
            $mitigation = @()
            foreach ($device in $chosen) {
                if (@($forTechnique | Where-Object RequiresWslDriver).Count -gt 0 -and -not (Test-WslDriver)) {
                    & $add 'driver-missing' "GPU-PV for `"$($device.FriendlyName)`" needs the NVIDIA CUDA driver for WSL on the host; it is not installed"
                }
                $installed = Test-MitigationDriver $device.InstanceId
                $mitigation += $installed
                if (@($forTechnique | Where-Object RecommendsMitigationDriver).Count -gt 0 -and -not $installed -and
                    -not $warnings.Contains('mitigation-driver-missing')) {
                    $warnings.Add('mitigation-driver-missing')
                }
            }
            $partition = $null
            if ($technique -eq 'ParaVirtualization' -and $problems.Count -eq 0) {
                $partition = Get-PartitionableGpu $chosen[0].InstanceId
                if (-not $partition) {
                    & $add 'method-not-supported' "the host does not list `"$($chosen[0].FriendlyName)`" as partitionable (Get-VMHostPartitionableGpu)"
                }
            }
            $selection = [pscustomobject]@{
                Technique = $technique; Model = $model; Devices = $chosen; Mitigation = $mitigation; Partition = $partition
            }
        }
    }

    $sorted = @($problems | Sort-Object -Stable { $script:Precedence.IndexOf($_.Code) })
    [pscustomobject]@{
        Problems  = $sorted
        Warnings  = $warnings.ToArray()
        Selection = if ($sorted.Count -eq 0) { $selection } else { $null }
    }
}

# ---- the flows ---------------------------------------------------------------------------------

function Get-CurrentGpu([string] $VMName) {
    [pscustomobject]@{
        Assigned = @(Get-VMAssignableDevice -VMName $VMName)
        Adapters = @(Get-VMGpuPartitionAdapter -VMName $VMName)
    }
}

function Stop-VMForGpu($Journal, $VM) {
    $name = $VM.Name
    if ("$($VM.State)" -eq 'Running') {
        # Devices can be assigned and MMIO changed only while the VM is off.
        Invoke-Step $Journal Stop-VM @{ Name = $name; Force = $true } "start VM $name" Start-VM @{ Name = $name }
    }
    $before = "$($VM.AutomaticStopAction)"
    if ($before -ne 'TurnOff') {
        Invoke-Step $Journal Set-VM @{ Name = $name; AutomaticStopAction = 'TurnOff' } `
            "restore automatic stop action $before on $name" Set-VM @{ Name = $name; AutomaticStopAction = $before }
    }
}

function Set-VMMmioForGpu($Journal, $VM, $Model, [int] $Count) {
    $name = $VM.Name
    $low = [uint32]$VM.LowMemoryMappedIoSpace
    $high = [uint64]$VM.HighMemoryMappedIoSpace
    $needLow = [uint32]($script:DefaultLowMmio + $Model.LowBars * $Count)
    $needHigh = [uint64]($script:DefaultHighMmio + $Model.HighBars * $Count)
    if ($low -lt $needLow -or $high -lt $needHigh) {
        $wantLow = [uint32][Math]::Max($low, $needLow)
        $wantHigh = [uint64][Math]::Max($high, $needHigh)
        Invoke-Step $Journal Set-VM @{ Name = $name; LowMemoryMappedIoSpace = $wantLow; HighMemoryMappedIoSpace = $wantHigh } `
            "restore MMIO space on $name" Set-VM @{ Name = $name; LowMemoryMappedIoSpace = $low; HighMemoryMappedIoSpace = $high }
    }
    if (-not $VM.GuestControlledCacheTypes) {
        Invoke-Step $Journal Set-VM @{ Name = $name; GuestControlledCacheTypes = $true } `
            "restore guest-controlled cache types on $name" Set-VM @{ Name = $name; GuestControlledCacheTypes = $false }
    }
}

function Start-VMAndCheck($Journal, [string] $VMName, [string] $Command, [scriptblock] $Sees, [string] $What) {
    Invoke-Step $Journal Start-VM @{ Name = $VMName } "stop VM $VMName" Stop-VM @{ Name = $VMName; Force = $true }
    $out = (Invoke-EflowVmCommand -command $Command -ignoreError -ErrorAction Stop) -join "`n"
    if (-not (& $Sees $out)) {
        throw (New-StepFailure 'operation-failed' "the VM $VMName does not see $What ($Command)")
    }
}

function Install-Dda($Journal, [string] $VMName, $Selection) {
    $vm = Get-VM -Name $VMName -ErrorAction Stop
    Invoke-HostStep 'operation-failed' {
        Stop-VMForGpu $Journal $vm
        Set-VMMmioForGpu $Journal $vm $Selection.Model $Selection.Devices.Count
    }
    for ($i = 0; $i -lt $Selection.Devices.Count; $i++) {
        $device = $Selection.Devices[$i]
        $id = $device.InstanceId
        if ("$($device.Status)" -eq 'OK') {
            # Disable first: Hyper-V won't dismount an enabled device. It fails while in use.
            Invoke-HostStep 'device-busy' {
                Invoke-Step $Journal Disable-PnpDevice @{ InstanceId = $id; Confirm = $false } `
                    "enable device $id" Enable-PnpDevice @{ InstanceId = $id; Confirm = $false }
            }
        }
        Invoke-HostStep 'operation-failed' {
            $location = Get-LocationPath $id
            $force = -not $Selection.Mitigation[$i]
            if ($force) {
                Write-Warning "mitigation-driver-missing: no device mitigation driver for `"$($device.FriendlyName)`"; dismounting with -Force"
            }
            Invoke-Step $Journal Dismount-VMHostAssignableDevice @{ LocationPath = $location; Force = $force } `
                "mount $location back on the host" Mount-VMHostAssignableDevice @{ LocationPath = $location }
            Invoke-Step $Journal Add-VMAssignableDevice @{ VMName = $VMName; LocationPath = $location } `
                "remove $location from $VMName" Remove-VMAssignableDevice @{ VMName = $VMName; LocationPath = $location }
        }
    }
    $pci = $Selection.Model.Pci
    $want = $Selection.Devices.Count
    Invoke-HostStep 'operation-failed' {
        Start-VMAndCheck $Journal $VMName 'lspci -n' { param($out) ([regex]::Matches($out, [regex]::Escape($pci))).Count -ge $want } "$want x PCI device $pci"
    }
    $vm
}

function Install-GpuPv($Journal, [string] $VMName, $Selection) {
    $vm = Get-VM -Name $VMName -ErrorAction Stop
    $path = $Selection.Partition.Name
    Invoke-HostStep 'operation-failed' {
        Stop-VMForGpu $Journal $vm
        $adapter = Add-VMGpuPartitionAdapter -VMName $VMName -InstancePath $path -Passthru -ErrorAction Stop
        Add-Undo $Journal "remove the GPU partition adapter from $VMName" Remove-VMGpuPartitionAdapter @{ VMName = $VMName; AdapterId = $adapter.Id }
        # The guest maps the partition's apertures into its MMIO space.
        Set-VMMmioForGpu $Journal $vm $Selection.Model 1
        Start-VMAndCheck $Journal $VMName 'ls /dev/dxg /usr/lib/wsl/lib' { param($out) $out -match '/dev/dxg' -and $out -notmatch 'cannot access' } '/dev/dxg and /usr/lib/wsl/lib'
    }
    $vm
}

function Install-GpuPassthrough {
    <#
    .SYNOPSIS
    Gives the VM a GPU by DDA or GPU-PV (EFLOW's -gpuPassthroughType, -gpuName, -gpuCount).
    #>
    [CmdletBinding()]
    param(
        [string] $VMName = 'EFLOW',
        [ValidateSet('auto', 'DirectDeviceAssignment', 'ParaVirtualization', 'None')][string] $Passthrough = 'auto',
        [string] $GpuName,
        [int] $GpuCount = 1
    )
    $outcome = New-Outcome
    if ($Passthrough -eq 'None') {
        $outcome = Remove-GpuPassthrough -VMName $VMName
        $outcome.Method = 'None'
        return $outcome
    }
    try {
        $hyperV = (Get-HostFacts).HyperVEnabled
        $existing = if ($hyperV) { Get-CurrentGpu $VMName } else { [pscustomobject]@{ Assigned = @(); Adapters = @() } }
    } catch {
        return Set-Failure $outcome 'operation-failed' $_.Exception.Message
    }
    if ($existing.Assigned.Count + $existing.Adapters.Count -gt 0) {
        $deployed = if ($existing.Assigned.Count -gt 0) { 'DirectDeviceAssignment' } else { 'ParaVirtualization' }
        $count = if ($existing.Assigned.Count -gt 0) { $existing.Assigned.Count } else { 1 }
        if (($Passthrough -eq 'auto' -or $Passthrough -eq $deployed) -and $GpuCount -eq $count) {
            $outcome.Method = $deployed
            $outcome.ChangedNothing = $true
            return $outcome
        }
        return Set-Failure $outcome 'invalid-request' "VM $VMName already has a GPU by ${deployed}: tear down first"
    }

    $report = Test-GpuPrerequisites -Passthrough $Passthrough -GpuName $GpuName -GpuCount $GpuCount
    $outcome.Warnings = $report.Warnings
    $outcome.Problems = $report.Problems
    if ($report.Problems.Count -gt 0) {
        return Set-Failure $outcome $report.Problems[0].Code (($report.Problems | ForEach-Object { "$($_.Code): $($_.Message)" }) -join '; ')
    }
    $selection = $report.Selection
    $outcome.Method = $selection.Technique
    $journal = [System.Collections.Generic.List[object]]::new()
    try {
        $vm = if ($selection.Technique -eq 'DirectDeviceAssignment') {
            Install-Dda $journal $VMName $selection
        } else {
            Install-GpuPv $journal $VMName $selection
        }
        $outcome.Original = [pscustomobject]@{
            State = "$($vm.State)"; AutomaticStopAction = "$($vm.AutomaticStopAction)"
            LowMemoryMappedIoSpace = $vm.LowMemoryMappedIoSpace; HighMemoryMappedIoSpace = $vm.HighMemoryMappedIoSpace
            GuestControlledCacheTypes = [bool]$vm.GuestControlledCacheTypes
        }
    } catch {
        $code = Get-FailureCode $_
        $outcome.RolledBack = @(Invoke-RollBack $journal)
        $null = Set-Failure $outcome $code $_.Exception.Message
    }
    return $outcome
}

function Remove-GpuPassthrough {
    <#
    .SYNOPSIS
    Takes the GPU back from the VM: remove, mount, enable (DDA) or remove the partition adapter
    (GPU-PV), restore the VM settings the deploy changed, start the VM again if it ran.
    #>
    [CmdletBinding()]
    param([string] $VMName = 'EFLOW', $Original)
    $outcome = New-Outcome
    $journal = [System.Collections.Generic.List[object]]::new()
    try {
        $existing = Get-CurrentGpu $VMName
        if ($existing.Assigned.Count + $existing.Adapters.Count -eq 0) {
            $outcome.ChangedNothing = $true
            return $outcome
        }
        $vm = Get-VM -Name $VMName -ErrorAction Stop
        $wasRunning = "$($vm.State)" -eq 'Running'
        if ($wasRunning) {
            Invoke-Step $journal Stop-VM @{ Name = $VMName; Force = $true } "start VM $VMName" Start-VM @{ Name = $VMName }
        }
        foreach ($device in $existing.Assigned) {
            $location = $device.LocationPath
            Invoke-Step $journal Remove-VMAssignableDevice @{ VMName = $VMName; LocationPath = $location } `
                "assign $location to $VMName again" Add-VMAssignableDevice @{ VMName = $VMName; LocationPath = $location }
            Invoke-Step $journal Mount-VMHostAssignableDevice @{ LocationPath = $location } `
                "dismount $location again" Dismount-VMHostAssignableDevice @{ LocationPath = $location; Force = $true }
            foreach ($pnp in @(Get-PnpDevice -Class Display -PresentOnly | Where-Object { "$($_.Status)" -ne 'OK' })) {
                $id = $pnp.InstanceId
                if ((Get-LocationPath $id) -eq $location) {
                    Invoke-Step $journal Enable-PnpDevice @{ InstanceId = $id; Confirm = $false } `
                        "disable device $id again" Disable-PnpDevice @{ InstanceId = $id; Confirm = $false }
                }
            }
        }
        foreach ($adapter in $existing.Adapters) {
            Invoke-Step $journal Remove-VMGpuPartitionAdapter @{ VMName = $VMName; AdapterId = $adapter.Id } `
                "add the GPU partition adapter to $VMName again" Add-VMGpuPartitionAdapter @{ VMName = $VMName; InstancePath = $adapter.InstancePath }
        }
        if ($Original) {
            # What the deploy changed, back as it was.
            $now = "$($vm.AutomaticStopAction)"
            if ($now -ne $Original.AutomaticStopAction) {
                Invoke-Step $journal Set-VM @{ Name = $VMName; AutomaticStopAction = $Original.AutomaticStopAction } `
                    "set automatic stop action $now again" Set-VM @{ Name = $VMName; AutomaticStopAction = $now }
            }
            $low = [uint32]$vm.LowMemoryMappedIoSpace
            $high = [uint64]$vm.HighMemoryMappedIoSpace
            if ($low -ne $Original.LowMemoryMappedIoSpace -or $high -ne $Original.HighMemoryMappedIoSpace) {
                Invoke-Step $journal Set-VM @{ Name = $VMName; LowMemoryMappedIoSpace = [uint32]$Original.LowMemoryMappedIoSpace; HighMemoryMappedIoSpace = [uint64]$Original.HighMemoryMappedIoSpace } `
                    'set MMIO space again' Set-VM @{ Name = $VMName; LowMemoryMappedIoSpace = $low; HighMemoryMappedIoSpace = $high }
            }
            $cache = [bool]$vm.GuestControlledCacheTypes
            if ($cache -ne [bool]$Original.GuestControlledCacheTypes) {
                Invoke-Step $journal Set-VM @{ Name = $VMName; GuestControlledCacheTypes = [bool]$Original.GuestControlledCacheTypes } `
                    'set guest-controlled cache types again' Set-VM @{ Name = $VMName; GuestControlledCacheTypes = $cache }
            }
        }
        if ($wasRunning) {
            Invoke-Step $journal Start-VM @{ Name = $VMName } "stop VM $VMName" Stop-VM @{ Name = $VMName; Force = $true }
        }
    } catch {
        $outcome.RolledBack = @(Invoke-RollBack $journal)
        $null = Set-Failure $outcome 'operation-failed' $_.Exception.Message
    }
    return $outcome
}

function Test-GpuPassthroughSmoke {
    <#
    .SYNOPSIS
    Runs the CUDA smoke program in the VM; every SMOKE line it prints must say pass.
    #>
    [CmdletBinding()]
    param([string] $VMName = 'EFLOW')
    $outcome = New-Outcome
    try {
        $out = @(Invoke-EflowVmCommand -command "$script:SmokeProgram --quick" -ignoreError -ErrorAction Stop)
    } catch {
        return Set-Failure $outcome 'smoke-failed' "could not run the smoke program: $($_.Exception.Message)"
    }
    # SMOKE <tab> name <tab> pass|fail <tab> value <tab> unit <tab> threshold <tab> message
    $outcome.Checks = @($out -split "`n" | Where-Object { $_ -like "SMOKE`t*" } | ForEach-Object {
            $f = $_.TrimEnd("`r") -split "`t"
            [pscustomobject]@{ Name = $f[1]; Passed = $f[2] -eq 'pass'; Value = $f[3]; Message = $f[6] }
        })
    $failed = @($outcome.Checks | Where-Object { -not $_.Passed })
    if ($outcome.Checks.Count -eq 0) {
        return Set-Failure $outcome 'smoke-failed' "the smoke program reported no checks: $(($out | Select-Object -First 1))"
    }
    if ($failed.Count -gt 0) {
        return Set-Failure $outcome 'smoke-failed' (($failed | ForEach-Object { "$($_.Name): $($_.Message)" }) -join '; ')
    }
    return $outcome
}

Export-ModuleMember -Function Install-GpuPassthrough, Remove-GpuPassthrough, Test-GpuPassthroughSmoke, Test-GpuPrerequisites

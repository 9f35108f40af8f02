# Pester 6 tests of GpuPassthrough.psm1 with every Hyper-V, PnpDevice and EFLOW cmdlet mocked:
# what a Windows team writes instead of gpu-hil. Each test mirrors one gpu-hil scenario file and
# is named after it (scenarios/<It name>.xml): the same host, the same steps, and the outcome the
# scenario's <expect> elements give (result, error code, method, warning, what the flow called
# and what it rolled back). bench.sh reads the It names to run gpu-hil on exactly these files.
#
#   Invoke-Pester -Path tests/powershell/pester/GpuPassthrough.Tests.ps1
#
# On Linux the cmdlets do not exist: CmdletStubs.psm1 defines them with their documented
# parameters (the stand-in rig's generator) so that Mock can replace them and a wrong
# parameter still fails.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CmdletStubs.psm1') -Global -Force
    Import-Module (Join-Path $PSScriptRoot 'GpuPassthrough.psm1') -Force

    $script:T4 = @{
        Name = 'NVIDIA Tesla T4'; Pci = '10de:1eb8'
        InstanceId = 'PCI\VEN_10DE&DEV_1EB8&SUBSYS_1EB810DE&REV_A1\4&2D8E2B41&0&0008'
        Location = 'PCIROOT(0)#PCI(0300)#PCI(0000)'
    }
    $script:Rtx3080 = @{
        Name = 'NVIDIA GeForce RTX 3080'; Pci = '10de:2206'
        InstanceId = 'PCI\VEN_10DE&DEV_2206&SUBSYS_220610DE&REV_A1\4&2D8E2B41&0&0008'
        Location = 'PCIROOT(0)#PCI(0300)#PCI(0000)'
    }
    $script:Radeon = @{
        Name = 'AMD Radeon PRO W6600'; Pci = '1002:73e3'
        InstanceId = 'PCI\VEN_1002&DEV_73E3&SUBSYS_73E31002&REV_A1\4&2D8E2B41&0&0008'
        Location = 'PCIROOT(0)#PCI(0300)#PCI(0000)'
    }

    # The simulated host as data: the mocks below answer from $script:Sim.
    function Set-TestHost {
        param(
            [string] $EditionId = 'ServerStandard', [int] $Build = 17763, [string] $HyperV = 'Enabled',
            [hashtable] $Gpu = $script:T4, [int] $Count = 1,
            [bool] $MitigationDriver = $true, [bool] $WslDriver = $false, [string] $VMState = 'Running'
        )
        $script:Sim = @{
            EditionId = $EditionId; Build = $Build; HyperV = $HyperV; Gpu = $Gpu; Count = $Count
            MitigationDriver = $MitigationDriver; WslDriver = $WslDriver; GpuStatus = 'OK'
            VM = [pscustomobject]@{
                Name = 'EFLOW'; State = $VMState; AutomaticStopAction = 'Save'
                LowMemoryMappedIoSpace = [uint32]128MB; HighMemoryMappedIoSpace = [uint64]512MB
                GuestControlledCacheTypes = $false
            }
            Assigned = @(); Adapters = @(); GuestHasGpu = $true
        }
    }

    # Every cmdlet the module calls, mocked once for the whole suite (Describe's BeforeAll):
    # the readers answer from $script:Sim, the mutators do nothing and are counted.
    function Register-HostMocks {
        Mock -ModuleName GpuPassthrough Get-ComputerInfo {
            [pscustomobject]@{ WindowsEditionId = $script:Sim.EditionId; OsBuildNumber = "$($script:Sim.Build)" }
        }
        Mock -ModuleName GpuPassthrough Get-WindowsOptionalFeature {
            if ($script:Sim.HyperV) { [pscustomobject]@{ FeatureName = 'Microsoft-Hyper-V'; State = $script:Sim.HyperV } }
        }
        Mock -ModuleName GpuPassthrough Get-PnpDevice {
            for ($i = 0; $i -lt $script:Sim.Count; $i++) {
                [pscustomobject]@{
                    FriendlyName = $script:Sim.Gpu.Name; Class = 'Display'; Status = $script:Sim.GpuStatus
                    InstanceId = $script:Sim.Gpu.InstanceId -replace '0008$', ('{0:X4}' -f (8 + $i))
                }
            }
        }
        Mock -ModuleName GpuPassthrough Get-PnpDeviceProperty -ParameterFilter { $KeyName -eq 'DEVPKEY_Device_DriverDesc' } {
            $desc = if ($script:Sim.MitigationDriver) { 'NVIDIA Tesla T4 Mitigation Driver' } else { 'NVIDIA Tesla T4' }
            [pscustomobject]@{ InstanceId = $InstanceId[0]; KeyName = 'DEVPKEY_Device_DriverDesc'; Data = $desc }
        }
        Mock -ModuleName GpuPassthrough Get-PnpDeviceProperty -ParameterFilter { $KeyName -eq 'DEVPKEY_Device_LocationPaths' } {
            [pscustomobject]@{
                InstanceId = $InstanceId[0]; KeyName = 'DEVPKEY_Device_LocationPaths'
                Data = @($script:Sim.Gpu.Location, 'ACPI(_SB_)#ACPI(PCI0)#ACPI(PEG0)#ACPI(PEGP)')
            }
        }
        Mock -ModuleName GpuPassthrough Test-Path -ParameterFilter { "$LiteralPath" -like '*lxss*libcuda.so' } { $script:Sim.WslDriver }
        Mock -ModuleName GpuPassthrough Get-VM { $script:Sim.VM }
        Mock -ModuleName GpuPassthrough Get-VMAssignableDevice { $script:Sim.Assigned }
        Mock -ModuleName GpuPassthrough Get-VMGpuPartitionAdapter { $script:Sim.Adapters }
        Mock -ModuleName GpuPassthrough Get-VMHostPartitionableGpu {
            [pscustomobject]@{
                Name = '\\?\' + ($script:Sim.Gpu.InstanceId -replace '\\', '#') + '#{064092b3-625e-43bf-9eb5-dc845897dd59}'
                ValidPartitionCounts = @(32); PartitionCount = 32
            }
        }
        foreach ($command in 'Stop-VM', 'Start-VM', 'Set-VM', 'Disable-PnpDevice', 'Enable-PnpDevice',
            'Dismount-VMHostAssignableDevice', 'Mount-VMHostAssignableDevice', 'Add-VMAssignableDevice',
            'Remove-VMAssignableDevice', 'Remove-VMGpuPartitionAdapter') {
            Mock -ModuleName GpuPassthrough $command { }
        }
        Mock -ModuleName GpuPassthrough Add-VMGpuPartitionAdapter {
            [pscustomobject]@{ Id = 'Microsoft:EFLOW\GPU-PV-1'; InstancePath = $InstancePath; VMName = $VMName[0] }
        }
        # The guest: what a running EFLOW VM with the GPU answers.
        Mock -ModuleName GpuPassthrough Invoke-EflowVmCommand -ParameterFilter { $command -eq 'lspci -n' } {
            "6e2c:00:00.0 0302: $($script:Sim.Gpu.Pci) (rev a1)"
        }
        Mock -ModuleName GpuPassthrough Invoke-EflowVmCommand -ParameterFilter { $command -like 'ls *' } {
            '/dev/dxg', '/usr/lib/wsl/lib:', 'libcuda.so', 'libcuda.so.1', 'libdxcore.so', 'nvidia-smi'
        }
        Mock -ModuleName GpuPassthrough Invoke-EflowVmCommand -ParameterFilter { $command -like '*cuda_smoke*' -and -not $script:Sim.GuestHasGpu } {
            "SMOKE`tdevice-count`tfail`t0`t`t1`tcudaGetDeviceCount: no CUDA-capable device is detected"
        }
        Mock -ModuleName GpuPassthrough Invoke-EflowVmCommand -ParameterFilter { $command -like '*cuda_smoke*' -and $script:Sim.GuestHasGpu } {
            "SMOKE`tdevice-count`tpass`t1`t`t1`t", "SMOKE`tdevice-name`tpass`t$($script:Sim.Gpu.Name)`t`t`t",
            "SMOKE`tvector-add`tpass`t268435456`telements`t`t", "SMOKE`th2d-bandwidth`tpass`t10.8`tGB/s`t`t"
        }
    }

    # After a deploy: what the host and the VM report now (for the smoke test and teardown).
    function Set-TestHostDeployed([string] $Technique) {
        $script:Sim.GpuStatus = if ($Technique -eq 'DirectDeviceAssignment') { 'Error' } else { 'OK' }
        $script:Sim.VM = [pscustomobject]@{
            Name = 'EFLOW'; State = 'Running'; AutomaticStopAction = 'TurnOff'
            LowMemoryMappedIoSpace = [uint32]144MB; HighMemoryMappedIoSpace = [uint64]800MB
            GuestControlledCacheTypes = $true
        }
        if ($Technique -eq 'DirectDeviceAssignment') {
            $script:Sim.Assigned = @([pscustomobject]@{ LocationPath = $script:Sim.Gpu.Location; InstanceID = 'PCIP\VEN_10DE&DEV_1EB8' })
        } else {
            $script:Sim.Adapters = @([pscustomobject]@{ Id = 'Microsoft:EFLOW\GPU-PV-1'; InstancePath = 'gpu' })
        }
    }

    # A VM without a GPU: the CUDA smoke test finds no device.
    function Set-TestGuestWithoutGpu { $script:Sim.GuestHasGpu = $false }

    # vm-gpu="none" host-gpu="present" after a rejection: nothing on the host changed.
    function Assert-NothingChanged {
        foreach ($command in 'Stop-VM', 'Start-VM', 'Set-VM', 'Disable-PnpDevice', 'Dismount-VMHostAssignableDevice',
            'Add-VMAssignableDevice', 'Add-VMGpuPartitionAdapter') {
            Should -Invoke -ModuleName GpuPassthrough $command -Times 0 -Exactly -Scope It
        }
    }

    # vm-gpu="none" host-gpu="present" after a rollback: every setting the deploy changed is back.
    function Assert-SettingsRestored {
        Should -Invoke -ModuleName GpuPassthrough Set-VM -Times 1 -Exactly -Scope It -ParameterFilter { $AutomaticStopAction -eq 'Save' }
        Should -Invoke -ModuleName GpuPassthrough Start-VM -Times 1 -Exactly -Scope It -ParameterFilter { $Name -eq 'EFLOW' }
    }

    function Assert-DdaDeployed([bool] $Forced) {
        # A filter sees the call's parameters: $Force there is the one Dismount was given.
        $script:Forced = $Forced
        Should -Invoke -ModuleName GpuPassthrough Stop-VM -Times 1 -Exactly -Scope It -ParameterFilter { $Name -eq 'EFLOW' }
        Should -Invoke -ModuleName GpuPassthrough Set-VM -Times 1 -Exactly -Scope It -ParameterFilter { $AutomaticStopAction -eq 'TurnOff' }
        Should -Invoke -ModuleName GpuPassthrough Set-VM -Times 1 -Exactly -Scope It -ParameterFilter {
            $LowMemoryMappedIoSpace -eq 144MB -and $HighMemoryMappedIoSpace -eq 800MB
        }
        Should -Invoke -ModuleName GpuPassthrough Set-VM -Times 1 -Exactly -Scope It -ParameterFilter { $GuestControlledCacheTypes -eq $true }
        Should -Invoke -ModuleName GpuPassthrough Disable-PnpDevice -Times 1 -Exactly -Scope It -ParameterFilter { $InstanceId -eq $script:Sim.Gpu.InstanceId }
        Should -Invoke -ModuleName GpuPassthrough Dismount-VMHostAssignableDevice -Times 1 -Exactly -Scope It -ParameterFilter {
            $LocationPath -eq $script:Sim.Gpu.Location -and [bool]$Force -eq $script:Forced
        }
        Should -Invoke -ModuleName GpuPassthrough Add-VMAssignableDevice -Times 1 -Exactly -Scope It -ParameterFilter {
            $VMName -eq 'EFLOW' -and $LocationPath -eq $script:Sim.Gpu.Location
        }
        Should -Invoke -ModuleName GpuPassthrough Start-VM -Times 1 -Exactly -Scope It
        Should -Invoke -ModuleName GpuPassthrough Mount-VMHostAssignableDevice -Times 0 -Exactly -Scope It
    }

    function Assert-DdaTornDown {
        Should -Invoke -ModuleName GpuPassthrough Remove-VMAssignableDevice -Times 1 -Exactly -Scope It -ParameterFilter { $LocationPath -eq $script:Sim.Gpu.Location }
        Should -Invoke -ModuleName GpuPassthrough Mount-VMHostAssignableDevice -Times 1 -Exactly -Scope It -ParameterFilter { $LocationPath -eq $script:Sim.Gpu.Location }
        Should -Invoke -ModuleName GpuPassthrough Enable-PnpDevice -Times 1 -Exactly -Scope It -ParameterFilter { $InstanceId -eq $script:Sim.Gpu.InstanceId }
        Should -Invoke -ModuleName GpuPassthrough Set-VM -Times 1 -Exactly -Scope It -ParameterFilter { $AutomaticStopAction -eq 'Save' }
        Should -Invoke -ModuleName GpuPassthrough Set-VM -Times 1 -Exactly -Scope It -ParameterFilter {
            $LowMemoryMappedIoSpace -eq 128MB -and $HighMemoryMappedIoSpace -eq 512MB
        }
        Should -Invoke -ModuleName GpuPassthrough Set-VM -Times 1 -Exactly -Scope It -ParameterFilter { $GuestControlledCacheTypes -eq $false }
        Should -Invoke -ModuleName GpuPassthrough Start-VM -Times 2 -Exactly -Scope It
    }

    function Assert-Rejected($Outcome, [string] $Code) {
        $Outcome.Result | Should -Be 'error'
        $Outcome.Error | Should -Be $Code
        Assert-NothingChanged
    }
}

Describe 'GpuPassthrough' {
    BeforeAll { Register-HostMocks }

    # ---- the DDA and GPU-PV flows ---------------------------------------------------------------

    It 'dda/t4-dda-server-2019' {
        Set-TestHost -EditionId ServerStandard -Build 17763 -Gpu $T4 -MitigationDriver $true
        $deploy = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA Tesla T4' -GpuCount 1
        $deploy.Result | Should -Be 'ok'
        $deploy.Method | Should -Be 'DirectDeviceAssignment'
        $deploy.Warnings | Should -BeNullOrEmpty
        Assert-DdaDeployed -Forced $false

        Set-TestHostDeployed DirectDeviceAssignment
        (Test-GpuPassthroughSmoke -VMName EFLOW).Result | Should -Be 'ok'

        $teardown = Remove-GpuPassthrough -VMName EFLOW -Original $deploy.Original
        $teardown.Result | Should -Be 'ok'
        Assert-DdaTornDown
    }

    It 'dda/t4-dda-no-mitigation-driver-warning' {
        Set-TestHost -EditionId ServerStandard -Build 17763 -Gpu $T4 -MitigationDriver $false
        $deploy = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA Tesla T4' -GpuCount 1 -WarningAction SilentlyContinue
        $deploy.Result | Should -Be 'ok'
        $deploy.Method | Should -Be 'DirectDeviceAssignment'
        $deploy.Warnings | Should -Contain 'mitigation-driver-missing'
        Assert-DdaDeployed -Forced $true

        Set-TestHostDeployed DirectDeviceAssignment
        (Test-GpuPassthroughSmoke -VMName EFLOW).Result | Should -Be 'ok'

        (Remove-GpuPassthrough -VMName EFLOW -Original $deploy.Original).Result | Should -Be 'ok'
        Assert-DdaTornDown
    }

    It 'gpu-pv/geforce-rtx-3080-gpupv-professional' {
        Set-TestHost -EditionId Professional -Build 22621 -Gpu $Rtx3080 -WslDriver $true
        $deploy = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA GeForce RTX 3080' -GpuCount 1
        $deploy.Result | Should -Be 'ok'
        $deploy.Method | Should -Be 'ParaVirtualization'
        Should -Invoke -ModuleName GpuPassthrough Stop-VM -Times 1 -Exactly -Scope It
        Should -Invoke -ModuleName GpuPassthrough Add-VMGpuPartitionAdapter -Times 1 -Exactly -Scope It -ParameterFilter {
            $VMName -eq 'EFLOW' -and $InstancePath -like '\\?\PCI#VEN_10DE&DEV_2206*' -and $Passthru
        }
        Should -Invoke -ModuleName GpuPassthrough Set-VM -Times 1 -Exactly -Scope It -ParameterFilter {
            $LowMemoryMappedIoSpace -eq 144MB -and $HighMemoryMappedIoSpace -eq 800MB
        }
        Should -Invoke -ModuleName GpuPassthrough Start-VM -Times 1 -Exactly -Scope It
        # host-gpu="present": GPU-PV shares the GPU, the host keeps it.
        Should -Invoke -ModuleName GpuPassthrough Disable-PnpDevice -Times 0 -Exactly -Scope It
        Should -Invoke -ModuleName GpuPassthrough Dismount-VMHostAssignableDevice -Times 0 -Exactly -Scope It

        Set-TestHostDeployed ParaVirtualization
        (Test-GpuPassthroughSmoke -VMName EFLOW).Result | Should -Be 'ok'

        (Remove-GpuPassthrough -VMName EFLOW -Original $deploy.Original).Result | Should -Be 'ok'
        Should -Invoke -ModuleName GpuPassthrough Remove-VMGpuPartitionAdapter -Times 1 -Exactly -Scope It -ParameterFilter {
            $VMName -eq 'EFLOW' -and $AdapterId -eq 'Microsoft:EFLOW\GPU-PV-1'
        }
        Should -Invoke -ModuleName GpuPassthrough Start-VM -Times 2 -Exactly -Scope It
    }

    # ---- one rejection per rule: nothing on the host changes -----------------------------------

    It 'rules/home-t4-unsupported-edition' {
        Set-TestHost -EditionId Core -Build 22621 -HyperV '' -Gpu $T4
        $r = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA Tesla T4' -GpuCount 1
        Assert-Rejected $r 'unsupported-edition'
    }

    It 'rules/geforce-server-unsupported-edition' {
        Set-TestHost -EditionId ServerDatacenter -Build 20348 -Gpu $Rtx3080 -WslDriver $true
        $r = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA GeForce RTX 3080' -GpuCount 1
        Assert-Rejected $r 'unsupported-edition'
    }

    It 'rules/hyperv-disabled-t4-server' {
        Set-TestHost -EditionId ServerStandard -Build 17763 -HyperV 'Disabled' -Gpu $T4
        $r = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA Tesla T4' -GpuCount 1
        Assert-Rejected $r 'hyperv-unavailable'
    }

    It 'rules/gpu-name-not-found' {
        Set-TestHost -EditionId ServerStandard -Build 17763 -Gpu $T4
        $r = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA Tesla V100' -GpuCount 1
        Assert-Rejected $r 'gpu-not-found'
    }

    It 'rules/gpu-count-too-high-single-t4' {
        Set-TestHost -EditionId ServerStandard -Build 17763 -Gpu $T4
        $r = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA Tesla T4' -GpuCount 2
        Assert-Rejected $r 'gpu-count'
    }

    It 'rules/radeon-pro-w6600-unsupported-gpu' {
        Set-TestHost -EditionId Professional -Build 22621 -Gpu $Radeon
        $r = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'AMD Radeon PRO W6600' -GpuCount 1
        Assert-Rejected $r 'unsupported-gpu'
    }

    It 'rules/geforce-dda-method-not-supported' {
        Set-TestHost -EditionId Professional -Build 22621 -Gpu $Rtx3080 -WslDriver $true
        $r = Install-GpuPassthrough -VMName EFLOW -Passthrough DirectDeviceAssignment -GpuName 'NVIDIA GeForce RTX 3080' -GpuCount 1
        Assert-Rejected $r 'method-not-supported'
    }

    It 'rules/t4-gpupv-method-not-supported' {
        Set-TestHost -EditionId Enterprise -Build 22621 -Gpu $T4 -WslDriver $true
        $r = Install-GpuPassthrough -VMName EFLOW -Passthrough ParaVirtualization -GpuName 'NVIDIA Tesla T4' -GpuCount 1
        Assert-Rejected $r 'method-not-supported'
    }

    It 'rules/t4-server-build-17762-unsupported-build' {
        Set-TestHost -EditionId ServerStandard -Build 17762 -Gpu $T4
        $r = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA Tesla T4' -GpuCount 1
        Assert-Rejected $r 'unsupported-build'
    }

    It 'rules/geforce-no-wsl-driver-driver-missing' {
        Set-TestHost -EditionId Professional -Build 22621 -Gpu $Rtx3080 -WslDriver $false
        $r = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA GeForce RTX 3080' -GpuCount 1
        Assert-Rejected $r 'driver-missing'
    }

    # ---- a step fails: the flow rolls back what it did, newest first ---------------------------

    It 'dda/t4-dda-device-in-use' {
        Set-TestHost -EditionId ServerStandard -Build 17763 -Gpu $T4
        Mock -ModuleName GpuPassthrough Disable-PnpDevice { throw 'Generic failure' }
        $r = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA Tesla T4' -GpuCount 1
        $r.Result | Should -Be 'error'
        $r.Error | Should -Be 'device-busy'
        $r.RolledBack[0] | Should -BeLike 'restore guest-controlled cache types*'
        $r.RolledBack[-1] | Should -BeLike 'start VM*'
        Should -Invoke -ModuleName GpuPassthrough Dismount-VMHostAssignableDevice -Times 0 -Exactly -Scope It
        Should -Invoke -ModuleName GpuPassthrough Set-VM -Times 1 -Exactly -Scope It -ParameterFilter { $GuestControlledCacheTypes -eq $false }
        Should -Invoke -ModuleName GpuPassthrough Set-VM -Times 1 -Exactly -Scope It -ParameterFilter {
            $LowMemoryMappedIoSpace -eq 128MB -and $HighMemoryMappedIoSpace -eq 512MB
        }
        Assert-SettingsRestored

        Set-TestGuestWithoutGpu
        $smoke = Test-GpuPassthroughSmoke -VMName EFLOW
        $smoke.Result | Should -Be 'error'
        $smoke.Error | Should -Be 'smoke-failed'
    }

    It 'faults/dda-fault-add-assignable-device-error' {
        Set-TestHost -EditionId ServerStandard -Build 17763 -Gpu $T4
        Mock -ModuleName GpuPassthrough Add-VMAssignableDevice { throw 'The current configuration does not allow for OS control of the PCI Express bus' }
        $r = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA Tesla T4' -GpuCount 1
        $r.Result | Should -Be 'error'
        $r.Error | Should -Be 'operation-failed'
        # The device was dismounted and assigned to no VM, the worst state: mount it back first.
        $r.RolledBack[0] | Should -BeLike 'mount PCIROOT*'
        $r.RolledBack[-1] | Should -BeLike 'start VM*'
        Should -Invoke -ModuleName GpuPassthrough Mount-VMHostAssignableDevice -Times 1 -Exactly -Scope It -ParameterFilter { $LocationPath -eq $T4.Location }
        Should -Invoke -ModuleName GpuPassthrough Enable-PnpDevice -Times 1 -Exactly -Scope It -ParameterFilter { $InstanceId -eq $T4.InstanceId }
        Should -Invoke -ModuleName GpuPassthrough Remove-VMAssignableDevice -Times 0 -Exactly -Scope It
        Should -Invoke -ModuleName GpuPassthrough Set-VM -Times 1 -Exactly -Scope It -ParameterFilter {
            $LowMemoryMappedIoSpace -eq 128MB -and $HighMemoryMappedIoSpace -eq 512MB
        }
        Assert-SettingsRestored

        Set-TestGuestWithoutGpu
        (Test-GpuPassthroughSmoke -VMName EFLOW).Error | Should -Be 'smoke-failed'
    }

    It 'faults/gpupv-fault-add-partition-adapter-error' {
        Set-TestHost -EditionId Professional -Build 22621 -Gpu $Rtx3080 -WslDriver $true
        Mock -ModuleName GpuPassthrough Add-VMGpuPartitionAdapter { throw 'Job failed with error code 32768: Failed.' }
        $r = Install-GpuPassthrough -VMName EFLOW -Passthrough auto -GpuName 'NVIDIA GeForce RTX 3080' -GpuCount 1
        $r.Result | Should -Be 'error'
        $r.Error | Should -Be 'operation-failed'
        $r.RolledBack.Count | Should -Be 2
        Should -Invoke -ModuleName GpuPassthrough Remove-VMGpuPartitionAdapter -Times 0 -Exactly -Scope It
        Should -Invoke -ModuleName GpuPassthrough Set-VM -Times 0 -Exactly -Scope It -ParameterFilter { $null -ne $LowMemoryMappedIoSpace }
        Assert-SettingsRestored

        Set-TestGuestWithoutGpu
        (Test-GpuPassthroughSmoke -VMName EFLOW).Error | Should -Be 'smoke-failed'
    }
}

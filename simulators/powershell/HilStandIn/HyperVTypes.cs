// The .NET types the stand-in cmdlets take and return, under the names Windows gives them, so
// that parameter binding (an enum's allowed values, a UInt32 that will not take 2^32) and
// ConvertTo-Xml's output (Type="Microsoft.HyperV.PowerShell.VMState", an enum as its value__
// field past depth 1) behave as on a Hyper-V host.
//
// Sources: the type names are the parameter and output types in the Hyper-V cmdlet reference
// (MicrosoftDocs/windows-powershell-docs, docset/winserver2022-ps/Hyper-V, recorded in
// simulators/powershell/cmdlets.xml). The enum names are the documented accepted values of
// Set-VM. The numbers behind them are Hyper-V's WMI values (Msvm_ComputerSystem.EnabledState for
// VMState: Running 2, Off 3; Msvm_VirtualSystemSettingData.AutomaticShutdownAction: TurnOff 2,
// Save 3, ShutDown 4; AutomaticStartupAction: Nothing 2, StartIfRunning 3, Start 4); the
// PowerShell enums' own numbers are not documented. Properties are those the reference and its
// examples name (cmdlets.xml, observed-properties) plus those gpu-hil reads.
using System;

namespace Microsoft.HyperV.PowerShell
{
    public enum VMState { Other = 1, Running = 2, Off = 3, Stopping = 4, Saved = 6, Paused = 9, Starting = 10, Reset = 11, Saving = 32773, Pausing = 32776, Resuming = 32777 }
    public enum StopAction { TurnOff = 2, Save = 3, ShutDown = 4 }
    public enum StartAction { Nothing = 2, StartIfRunning = 3, Start = 4 }
    public enum CriticalErrorAction { None = 0, Pause = 1 }
    public enum OnOffState { On = 0, Off = 1 }
    public enum CheckpointType { Disabled = 2, Production = 3, ProductionOnly = 4, Standard = 5 }

    public class VirtualMachine
    {
        public string Name;
        public Guid VMId;
        public Guid Id;
        public VMState State;
        public long ProcessorCount;
        public long MemoryStartup;
        public StopAction AutomaticStopAction;
        public uint LowMemoryMappedIoSpace;
        public ulong HighMemoryMappedIoSpace;
        public bool GuestControlledCacheTypes;
        public override string ToString() { return "VirtualMachine (Name = '" + Name + "')"; }
    }

    public class VMHostAssignableDevice
    {
        public string InstanceID;
        public string LocationPath;
    }

    public class VMAssignedDevice
    {
        public string VMName;
        public string InstanceID;
        public string LocationPath;
        public string ResourcePoolName = "Primordial";
    }

    public class VMHostPartitionableGpu
    {
        public string Name;
        public ushort[] ValidPartitionCounts;
        public ushort PartitionCount;
    }

    public class VMGpuPartitionAdapter
    {
        public string VMName;
        public string Id;
        public string InstancePath;
        public bool SupportsOutgoingLiveMigration;
    }

    /// The exception Hyper-V's cmdlets put in their error records.
    public class VirtualizationException : Exception
    {
        public VirtualizationException(string message) : base(message) { }
    }
}

namespace Microsoft.Dism.Commands
{
    public enum FeatureState { Disabled = 0, Enabled = 2, DisablePending = 3, EnablePending = 4, DisabledWithPayloadRemoved = 6 }
    public enum LogLevel { Errors = 1, Warnings = 2, WarningsInfo = 3 }

    public class BasicFeatureObject
    {
        public string FeatureName;
        public FeatureState State;
    }
}

namespace Microsoft.PowerShell.Commands
{
    /// Get-ComputerInfo's output type; only what gpu-hil reads.
    public class ComputerInfo
    {
        public string WindowsEditionId;
        public string OsBuildNumber;
        public string WindowsProductName;
    }
}

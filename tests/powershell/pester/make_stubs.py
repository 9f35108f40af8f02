#!/usr/bin/env python3
"""Writes CmdletStubs.psm1, a module of empty PowerShell functions with the documented parameter sets of the
Hyper-V, PnpDevice and EFLOW commands that GpuPassthrough.psm1 calls, so that Pester's Mock can
replace them on a machine without those modules (Linux; Windows without Hyper-V). A mock keeps
the stub's parameters, so a call with a parameter the docs do not list fails in the test as it
would on Windows.

usage: make_stubs.py CMDLETS_XML > CmdletStubs.psm1
CMDLETS_XML is simulators/powershell/cmdlets.xml (its README says where each signature is from).
"""
import sys
import xml.etree.ElementTree as ET

COMMANDS = [
    "Get-VM", "Stop-VM", "Start-VM", "Set-VM",
    "Get-PnpDevice", "Disable-PnpDevice", "Enable-PnpDevice", "Get-PnpDeviceProperty",
    "Get-VMHostAssignableDevice", "Dismount-VMHostAssignableDevice", "Mount-VMHostAssignableDevice",
    "Get-VMAssignableDevice", "Add-VMAssignableDevice", "Remove-VMAssignableDevice",
    "Get-VMHostPartitionableGpu", "Get-VMGpuPartitionAdapter", "Add-VMGpuPartitionAdapter",
    "Remove-VMGpuPartitionAdapter", "Invoke-EflowVmCommand",
]

# Types PowerShell on Linux knows; anything else (VirtualMachine, VMHostAssignableDevice,
# CimInstance, enums) is an [object], its accepted values a ValidateSet.
KNOWN = {
    "String": "string", "UInt16": "uint16", "UInt32": "uint32", "UInt64": "uint64",
    "Int32": "int", "Int64": "long", "Boolean": "bool", "Guid": "guid",
    "PSCredential": "pscredential", "PSObject": "psobject",
    "CimSession": "Microsoft.Management.Infrastructure.CimSession",
}

# Not in cmdlets.xml (neither is a Hyper-V or PnpDevice cmdlet): written from their reference
# pages (Microsoft.PowerShell.Management/Get-ComputerInfo, Dism/Get-WindowsOptionalFeature),
# the parameters GpuPassthrough.psm1 uses and their neighbours.
EXTRA = r"""
# Get-ComputerInfo [[-Property] <String[]>] (Microsoft.PowerShell.Management, Windows only).
function Get-ComputerInfo {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string[]] $Property)
}

# Get-WindowsOptionalFeature -Online [-FeatureName <String>] ... (Dism, Windows only).
function Get-WindowsOptionalFeature {
    [CmdletBinding(DefaultParameterSetName = 'Online')]
    param(
        [Parameter(ParameterSetName = 'Online', Mandatory = $true)][switch] $Online,
        [Parameter(ParameterSetName = 'Offline', Mandatory = $true)][string] $Path,
        [Parameter(ValueFromPipelineByPropertyName = $true)][string] $FeatureName,
        [string] $PackageName,
        [string] $PackagePath,
        [string] $WindowsDirectory,
        [string] $SystemDrive,
        [string] $LogPath,
        [string] $ScratchDirectory,
        [object] $LogLevel
    )
}
"""


def type_of(param):
    if param.get("switch") == "true":
        return "switch"
    doc = param.get("type", "")
    array = doc.endswith("[]")
    base = doc[:-2] if array else doc
    name = KNOWN.get(base, "object")
    return f"{name}[]" if array else name


def stub(cmdlet):
    name = cmdlet.get("name")
    sets = cmdlet.findall("parameter-set")
    params = {}  # name -> (type, [attribute text], aliases, accepted values), in first-seen order
    default = None
    should_process = False
    named_sets = [s for s in sets if s.get("name") not in ("__AllParameterSets", "(undocumented)")]
    for s in sets:
        if s.get("default") == "true" and s in named_sets:
            default = s.get("name")
        for p in s.findall("parameter"):
            pname = p.get("name")
            if pname in ("WhatIf", "Confirm"):
                should_process = True  # CmdletBinding adds them
                continue
            entry = params.setdefault(pname, {
                "type": type_of(p), "attrs": [],
                "aliases": [a for a in p.get("aliases", "").split(",") if a.strip()],
                "values": [v.text for v in p.findall("accepted-value")],
            })
            parts = []
            if s in named_sets and len(named_sets) > 1:
                parts.append(f"ParameterSetName = '{s.get('name')}'")
            if p.get("mandatory") == "true":
                parts.append("Mandatory = $true")
            if p.get("position", "").isdigit():
                parts.append(f"Position = {p.get('position')}")
            pipeline = p.get("pipeline", "")
            if "ByValue" in pipeline:
                parts.append("ValueFromPipeline = $true")
            if "ByPropertyName" in pipeline:
                parts.append("ValueFromPipelineByPropertyName = $true")
            entry["attrs"].append(", ".join(parts))
    binding = ["PositionalBinding = $false"]  # only the documented positions
    if default and len(named_sets) > 1:
        binding.append(f"DefaultParameterSetName = '{default}'")
    if should_process:
        binding.append("SupportsShouldProcess = $true")
    lines = [f"function {name} {{", f"    [CmdletBinding({', '.join(binding)})]", "    param("]
    body = []
    for pname, entry in params.items():
        text = "".join(f"[Parameter({a})]" for a in dict.fromkeys(entry["attrs"]))
        if entry["aliases"]:
            text += "[Alias(" + ", ".join(f"'{a.strip()}'" for a in entry["aliases"]) + ")]"
        if entry["values"]:
            text += "[ValidateSet(" + ", ".join(f"'{v}'" for v in entry["values"]) + ")]"
        body.append(f"        {text}[{entry['type']}] ${pname}")
    lines.append(",\n".join(body))
    lines += ["    )", "}"]
    return "\n".join(lines)


def main():
    root = ET.parse(sys.argv[1]).getroot()
    by_name = {c.get("name"): c for c in root.iter("cmdlet")}
    missing = [n for n in COMMANDS if n not in by_name]
    if missing:
        sys.exit(f"make_stubs.py: not in {sys.argv[1]}: {', '.join(missing)}")
    print("# Generated by make_stubs.py from simulators/powershell/cmdlets.xml: do not edit.")
    print("# Empty stand-ins with the documented parameter sets, for Pester's Mock to replace.")
    print("# Regenerate: python3 tests/powershell/pester/make_stubs.py \\")
    print("#   simulators/powershell/cmdlets.xml > tests/powershell/pester/CmdletStubs.psm1")
    print("# Imported with -Global, so that GpuPassthrough.psm1 finds them as it would the real ones.")
    for n in COMMANDS:
        print()
        print(f"# {n} ({by_name[n].get('module')})")
        print(stub(by_name[n]))
    print(EXTRA.rstrip())
    print()
    print("Export-ModuleMember -Function *")


if __name__ == "__main__":
    main()

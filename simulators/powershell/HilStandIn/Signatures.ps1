# Generates the stand-in cmdlets' declarations from the documented signatures in
# ../cmdlets.xml: parameter names, types, parameter sets, mandatory and positional flags,
# pipeline binding, aliases, wildcards, accepted values, ShouldProcess. PowerShell's own binder
# then refuses a misspelt parameter, a wrong type or an ambiguous set exactly as on Windows.

# The .NET type of a documented type name: PowerShell's own, or one HyperVTypes.cs defines.
function ConvertTo-HilTypeName([System.Xml.XmlElement] $Parameter) {
  $name = $Parameter.GetAttribute('type')
  if ($name -eq 'undocumented') {
    # EFLOW's article gives no types: a flag is a switch, a count an integer, the rest text.
    if ($Parameter.GetAttribute('switch') -eq 'true') { return 'switch' }
    if ($Parameter.GetAttribute('value-kind') -eq 'integer') { return 'int' }
    return 'string'
  }
  $array = $name.EndsWith('[]')
  $element = $name.TrimEnd('[', ']')
  $known = @{
    String = 'string'; UInt16 = 'uint16'; UInt32 = 'uint32'; UInt64 = 'uint64'; Int32 = 'int'
    Int64 = 'long'; Boolean = 'bool'; SwitchParameter = 'switch'; Guid = 'guid'; PSObject = 'psobject'
    PSCredential = 'pscredential'; CimSession = 'Microsoft.Management.Infrastructure.CimSession'
    CimInstance = 'Microsoft.Management.Infrastructure.CimInstance'
  }
  $full = if ($known.ContainsKey($element)) { $known[$element] } else {
    foreach ($namespace in 'Microsoft.HyperV.PowerShell', 'Microsoft.Dism.Commands') {
      if ("$namespace.$element" -as [type]) { "$namespace.$element"; break }
    }
  }
  if (-not $full) { throw "cmdlets.xml: type $name of -$($Parameter.GetAttribute('name')) has no .NET type" }
  if ($array) { "$full[]" } else { $full }
}

function ConvertTo-HilLiteral([string] $Text) { "'" + $Text.Replace("'", "''") + "'" }

# One function definition per cmdlet: @{ Name; Text } with <#HIL-BODY#> where the body goes.
function New-HilCmdletFunctions([xml] $Reference, [string[]] $Names) {
  foreach ($name in $Names) {
    $cmdlet = $Reference.SelectSingleNode("/cmdlet-reference/cmdlet[@name=$(ConvertTo-HilLiteral $name)]")
    if ($null -eq $cmdlet) { throw "cmdlets.xml has no signature for $name" }
    # Only the documented positions: a parameter without one is named (as the reference's
    # SYNTAX blocks show it).
    $binding = @('PositionalBinding = $false')
    $default = $cmdlet.SelectSingleNode('parameter-set[@default="true"]')
    $sets = @($cmdlet.SelectNodes('parameter-set'))
    if ($null -ne $default -and $sets.Count -gt 1) {
      $binding += "DefaultParameterSetName = $(ConvertTo-HilLiteral $default.GetAttribute('name'))"
    }
    if ($cmdlet.GetAttribute('supports-should-process') -eq 'true') {
      $binding += 'SupportsShouldProcess = $true'
      # The PnpDevice cmdlets ask before they change a device unless -Confirm:$false is given
      # (the DDA deployment guide passes it); Hyper-V's do not.
      if ($cmdlet.GetAttribute('module') -eq 'PnpDevice' -and $name -ne 'Get-PnpDeviceProperty') {
        $binding += "ConfirmImpact = 'High'"
      }
    }
    # Parameters in the order first seen, each with one [Parameter()] per set it belongs to.
    $parameters = [ordered]@{}
    foreach ($set in $sets) {
      $setName = $set.GetAttribute('name')
      $named = $setName -notin '__AllParameterSets', '(undocumented)' -and $sets.Count -gt 1
      foreach ($p in @($set.SelectNodes('parameter'))) {
        if ($p.GetAttribute('should-process') -eq 'true') { continue } # -WhatIf, -Confirm
        $pname = $p.GetAttribute('name')
        if (-not $parameters.Contains($pname)) {
          $parameters[$pname] = @{ Node = $p; Attributes = [Collections.Generic.List[string]]::new() }
        }
        $args = @()
        if ($named) { $args += "ParameterSetName = $(ConvertTo-HilLiteral $setName)" }
        if ($p.GetAttribute('mandatory') -eq 'true') { $args += 'Mandatory = $true' }
        $position = $p.GetAttribute('position')
        if ($position -match '^\d+$') { $args += "Position = $position" }
        $pipeline = $p.GetAttribute('pipeline')
        if ($pipeline -match 'ByValue') { $args += 'ValueFromPipeline = $true' }
        if ($pipeline -match 'ByPropertyName') { $args += 'ValueFromPipelineByPropertyName = $true' }
        $parameters[$pname].Attributes.Add("[Parameter($($args -join ', '))]")
      }
    }
    $declarations = foreach ($pname in $parameters.Keys) {
      $p = $parameters[$pname].Node
      $lines = @($parameters[$pname].Attributes)
      $aliases = @($p.GetAttribute('aliases') -split '[ ,]+' | Where-Object { $_ })
      if ($aliases.Count -gt 0) { $lines += "[Alias($(($aliases | ForEach-Object { ConvertTo-HilLiteral $_ }) -join ', '))]" }
      if ($p.GetAttribute('wildcards') -eq 'true') { $lines += '[SupportsWildcards()]' }
      $type = ConvertTo-HilTypeName $p
      $accepted = @($p.SelectNodes('accepted-value') | ForEach-Object { $_.InnerText })
      if ($accepted.Count -gt 0 -and $type -in 'string', 'string[]') {
        $lines += "[ValidateSet($(($accepted | ForEach-Object { ConvertTo-HilLiteral $_ }) -join ', '))]"
      }
      $lines += "[$type] `$$pname"
      $lines -join "`n    "
    }
    $text = "[CmdletBinding($($binding -join ', '))]`nparam(`n    $($declarations -join ",`n    ")`n)`n" +
    "process {`n<#HIL-BODY#>`n}"
    @{ Name = $name; Text = $text; Sets = $sets.Count; Parameters = $parameters.Count }
  }
}

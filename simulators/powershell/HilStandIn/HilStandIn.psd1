@{
  RootModule        = 'HilStandIn.psm1'
  ModuleVersion     = '0.1.0'
  GUID              = '5d0c4b56-6f1e-4d35-9a55-0b1f3f8e2c61'
  Author            = 'gpu-hil'
  Description       = "gpu-hil's stand-in for a Windows host with Hyper-V and EFLOW: the cmdlets gpu-hil drives, with their documented signatures, over a simulated host."
  PowerShellVersion = '7.2'
  FunctionsToExport = '*'
  CmdletsToExport   = @()
  AliasesToExport   = @()
  VariablesToExport = @()
}

# Every outcome Pester writes to JUnit, for tests/data/pester-junit.xml (make_sample.sh): the
# reader, merge and certify unit tests read that file, so it is Pester's own output, not ours.
Describe 'GpuPassthrough' {
    It 'dda/t4-dda-server-2019' { 'ok' | Should -Be 'ok' }
    It 'rules/gpu-name-not-found' { 'ok' | Should -Be 'gpu-not-found' }
    It 'rules/home-t4-unsupported-edition' -Skip { }
    Context 'rollback' {
        It 'faults/dda-fault-add-assignable-device-error' { Set-ItResult -Skipped -Because 'no rig with a T4' }
        It 'faults/gpupv-fault-add-partition-adapter-error' { Set-ItResult -Inconclusive -Because 'the VM did not answer' }
    }
}

# A second container: Pester writes one <testsuite> per test file (make_sample.sh).
Describe 'Teardown' {
    It 'restores the VM settings' { $true | Should -BeTrue }
}

#pragma once

#include <chrono>
#include <string>

#include <gmock/gmock.h>

#include "framework/core/error.h"
#include "real_hw/shell_session.h"

namespace hil::test_mocks {

/// A scripted shell for the Real* seams: a test says what each command gets back and reads
/// the command text it was sent.
class MockShellSession : public real_hw::ShellSession {
public:
  MOCK_METHOD(Result<real_hw::ShellReply>, run,
              (const std::string& command, std::chrono::milliseconds deadline), (override));
};

} // namespace hil::test_mocks

#pragma once

#include <chrono>
#include <string>

#include "framework/platform/eflow.h"
#include "framework/platform/platform.h"
#include "real_hw/shell_session.h"

namespace hil::real_hw {

struct RealOptions {
  std::chrono::milliseconds deadline{std::chrono::minutes(5)}; // per command
  platform::VmName vm = "EFLOW";
};

/// The seams on a real Windows host, each operation one PowerShell command through a
/// ShellSession (every value quoted with quoteFor(PowerShell, ...); structured results read
/// back from ConvertTo-Xml -As String). One object owns all of them; they share the session.
class RealSeams {
public:
  RealSeams(ShellSession& shell, RealOptions options);
  ~RealSeams();
  RealSeams(const RealSeams&) = delete;
  RealSeams& operator=(const RealSeams&) = delete;

  [[nodiscard]] platform::Platform platform();
  [[nodiscard]] platform::Eflow& eflow();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace hil::real_hw

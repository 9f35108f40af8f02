#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/error.h"
#include "framework/data/catalog.h"
#include "framework/platform/platform.h"
#include "framework/platform/types.h"

namespace hil::contract {

/// The two hosts the contract is stated on.
enum class Machine {
  T4Server2019, // Windows Server 2019 (17763), one Tesla T4, no mitigation driver
  GeForceWin11, // Windows 11 Professional (22631), one GeForce RTX 3060 with the WSL driver
};

/// One host under test, with an EFLOW VM that is running when the test starts.
class ContractHost {
public:
  virtual ~ContractHost() = default;
  [[nodiscard]] virtual platform::Platform platform() = 0;
  /// The GPU model the host has (on a rig: the rig file's).
  [[nodiscard]] virtual const data::GpuModel& gpu() const = 0;
  [[nodiscard]] virtual platform::Edition edition() const = 0;
  [[nodiscard]] virtual const platform::VmName& vm() const = 0;
  /// The test is over: a replay must have consumed its transcript, a recording is written, a
  /// rig whose test failed midway is put back (GPU removed and re-enabled, VM started).
  [[nodiscard]] virtual Result<void> finish(bool testFailed) = 0;
};

/// The backends every contract test runs against.
inline constexpr std::string_view kBackends[] = {"sim", "powershell", "replay", "real"};

/// A host of `machine` on `backend` for the test named `test` (its transcript's name), or why
/// this backend cannot give one (the test is skipped with it).
struct Opened {
  std::unique_ptr<ContractHost> host;
  std::string skip;
};

/// - sim: SimBackend's Sim* seams over a SimHost.
/// - powershell: RealSeams over real PowerShell and the stand-in module (simulators/powershell),
///   whose host is the machine's (tests/contract/hosts); with HIL_RECORD_CONTRACT=1 every
///   exchange is written to `transcripts`/<test>.xml (source="documentation").
/// - replay: RealSeams over a ReplayShellSession of `transcripts`/<test>.xml.
/// - real: RealSeams over the PowerShell of the rig that HIL_RIG names (skipped when unset or
///   when the rig has no such host).
[[nodiscard]] Result<Opened> open(std::string_view backend, Machine machine,
                                  const std::string& test, const std::string& transcripts);

/// HIL_RECORD_CONTRACT=1: the powershell backend writes the transcripts instead of the replay
/// backend only reading them.
[[nodiscard]] bool recording();

} // namespace hil::contract

#pragma once

#include <optional>
#include <string>
#include <vector>

#include "framework/core/diagnostic.h"
#include "framework/core/error.h"
#include "framework/platform/hyperv.h"
#include "framework/platform/types.h"

namespace hil::data {
class GpuCatalog;
}

namespace hil::scenario {

enum class FaultKind { Error, Hang, Crash };

[[nodiscard]] std::string_view toString(FaultKind kind);

/// <fault op kind occurrence when>: the occurrence-th call of op fails (error), never returns
/// (hang), or the process running the flow dies there (crash), before the operation took effect
/// or after it (when).
struct FaultSpec {
  std::string op;
  FaultKind kind = FaultKind::Error;
  int occurrence = 1;
  bool after = false; // crash only: the operation took effect before the crash
  int line = 0;

  /// "hyperv.stop-vm:1:crash-after" (the form `hil run --fault` takes)
  [[nodiscard]] std::string describe() const;
};

/// Parses "op:occurrence:kind" with kind error | hang | crash | crash-before | crash-after.
[[nodiscard]] std::optional<FaultSpec> parseFaultSpec(std::string_view text);

/// <gpu>: one or more identical devices of a catalog model.
struct GpuSpec {
  std::string model;
  bool mitigationDriver = false;
  bool wslDriver = false;
  int count = 1;
  bool inUse = false;        // extension: a host process holds it, so it will not disable
  bool resizableBar = false; // extension: BAR1 spans device memory, beyond the catalog's sizes
  bool badMemory = false;    // extension: a device memory cell is stuck (CUDA memory test fails)
  int line = 0;
};

/// <vm>: the EFLOW VM.
struct VmSpec {
  std::string name = "EFLOW";
  platform::VmState state = platform::VmState::Running;
  bool guestDriver = true; // extension: the NVIDIA driver is installed in the guest
};

struct HostSpec {
  platform::Edition edition = platform::Edition::Server;
  platform::WindowsBuild build;
  bool hypervEnabled = true;
  std::vector<GpuSpec> gpus;
  VmSpec vm;
  std::vector<FaultSpec> faults;
};

/// <rig>: which real rigs may run the scenario.
struct RigSpec {
  std::string gpu;
  std::optional<platform::Edition> edition;
  int line = 0;
};

using platform::Passthrough;

struct DeployStep {
  Passthrough passthrough = Passthrough::Auto;
  std::optional<std::string> gpuName;
  int gpuCount = 1;
};

enum class VmGpu { None, Dda, GpuPv };
enum class HostGpu { Present, Dismounted };

[[nodiscard]] std::string_view toString(VmGpu value);
[[nodiscard]] std::string_view toString(HostGpu value);

/// <expect>: checks the step before it. Absent attributes are not checked.
struct Expectation {
  std::optional<bool> ok;
  /// result="crashed": the step was cut short by a <fault kind="crash">, as a power loss would
  /// cut it; vm-gpu and host-gpu then check the host after recovery.
  bool crashed = false;
  std::optional<ErrorCode> error;
  std::optional<std::string> method;
  std::vector<WarningCode> warnings;
  std::optional<VmGpu> vmGpu;
  std::optional<HostGpu> hostGpu;
};

enum class StepKind { Deploy, Teardown, Smoke, Expect };

[[nodiscard]] std::string_view toString(StepKind kind);

struct Step {
  StepKind kind = StepKind::Deploy;
  int line = 0;
  DeployStep deploy;
  Expectation expect;
};

struct Scenario {
  std::string name;
  std::vector<std::string> tags;
  std::string rules; // extension: a built-in rules profile; empty: the run's profile
  std::string description;
  std::string file;
  int line = 0;
  HostSpec host;
  std::optional<RigSpec> rig;
  std::vector<Step> steps;
};

/// One scenario file: a <scenario>, or <scenarios> holding several.
struct ScenarioFile {
  std::string path;
  std::vector<Scenario> scenarios;
};

/// Parses a scenario file strictly: every problem is reported as file:line, nothing is
/// returned when there is any.
[[nodiscard]] Parsed<ScenarioFile> parseScenarioFile(std::string text, std::string path,
                                                     const data::GpuCatalog& catalog);

} // namespace hil::scenario

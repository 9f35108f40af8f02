#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "framework/runner/backend.h"
#include "real_hw/real_seams.h"
#include "real_hw/rig.h"
#include "real_hw/transcript.h"

namespace hil::real_hw {

/// A real host behind a shell session (a rig, or a transcript replayed): the Real* seams, a
/// host state read through the query seams, and the configurator of the rig's mode.
class RealBackend : public runner::Backend {
public:
  /// `onFinish` runs when the scenario ends (writing a recorded transcript, or checking that a
  /// replay consumed its transcript); its error fails the scenario.
  RealBackend(ShellSession& shell, RealOptions options, RigMode mode, const Clock& clock,
              std::function<Result<void>()> onFinish = {});

  platform::Platform platform() override { return seams_.platform(); }
  const Clock& clock() const override { return clock_; }
  void setLog(Log* log) override { log_ = log; }
  Result<runner::Observation> observe(const platform::VmName& vm) override;
  platform::HostState snapshot() override;
  Result<void> finish() override { return onFinish_ ? onFinish_() : Result<void>{}; }
  std::unique_ptr<flows::Configurator> configurator(const data::GpuCatalog& catalog,
                                                    const data::RulesProfile& rules, Log& log,
                                                    flows::FlowStore* store) override;

protected:
  [[nodiscard]] Log* log() const { return log_; }

private:
  RealSeams seams_;
  RealOptions options_;
  RigMode mode_;
  const Clock& clock_;
  Log* log_ = nullptr;
  std::function<Result<void>()> onFinish_;
};

/// `--backend real --rig FILE`: one long-lived PowerShell session for the whole run (so one
/// scenario at a time), scenarios the rig cannot run skipped with the reason, and with
/// `--record DIR` every exchange written to DIR/<scenario>.xml.
class RealBackendFactory : public runner::BackendFactory {
public:
  RealBackendFactory(Rig rig, std::unique_ptr<ShellSession> shell, const Clock& clock,
                     std::string recordDir = {});
  ~RealBackendFactory() override;
  RealBackendFactory(const RealBackendFactory&) = delete;
  RealBackendFactory& operator=(const RealBackendFactory&) = delete;
  /// The rules profile a stand-in rig's EFLOW applies when a scenario names none (a built-in
  /// profile's name; default eflow-2021-preview).
  void setStandInRules(std::string rules) { standinRules_ = std::move(rules); }
  std::string name() const override { return "real"; }
  std::string rigClass() const override { return rig_.rigClass; }
  int maxJobs() const override { return 1; } // one rig, one shell session
  std::optional<std::string> skipReason(const scenario::Scenario& scenario) const override {
    return rigMismatch(rig_, scenario);
  }
  Result<std::unique_ptr<runner::Backend>>
  create(const scenario::Scenario& scenario, std::uint64_t seed,
         const std::vector<scenario::FaultSpec>& extraFaults) const override;
  /// The rig's host as it is, its VM `vm`: what `hil recover --backend real` rolls back. A
  /// stand-in rig's host is the one in its state folder (the rig file's <standin state>),
  /// never reset.
  [[nodiscard]] std::unique_ptr<runner::Backend> attach(const platform::VmName& vm) const;

private:
  Rig rig_;
  std::unique_ptr<ShellSession> shell_;
  std::unique_ptr<ShellSession> standinShell_; // over shell_, on a stand-in rig
  std::string temporaryState_;                 // a stand-in state folder made for this run
  std::string standinRules_;
  const Clock& clock_;
  std::string recordDir_;
};

/// `--backend replay --transcripts DIR`: each scenario runs against DIR/<scenario>.xml; one
/// without a transcript is skipped with the reason. A command that differs from the recording
/// fails the scenario with the difference.
class ReplayBackendFactory : public runner::BackendFactory {
public:
  ReplayBackendFactory(std::string dir, const Clock& clock) : dir_(std::move(dir)), clock_(clock) {}
  std::string name() const override { return "replay"; }
  std::string rigClass() const override { return "replay"; }
  std::optional<std::string> skipReason(const scenario::Scenario& scenario) const override;
  Result<std::unique_ptr<runner::Backend>>
  create(const scenario::Scenario& scenario, std::uint64_t seed,
         const std::vector<scenario::FaultSpec>& extraFaults) const override;

  [[nodiscard]] std::string transcriptPath(const scenario::Scenario& scenario) const;

private:
  std::string dir_;
  const Clock& clock_;
};

} // namespace hil::real_hw

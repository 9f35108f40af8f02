#pragma once

#include <optional>
#include <string>
#include <vector>

#include "framework/core/diagnostic.h"
#include "real_hw/shell_session.h"

namespace hil::real_hw {

/// One command sent to a rig's shell and exactly what came back.
struct Exchange {
  std::string command;
  std::optional<ShellReply> reply; // absent when the command failed in the session itself
  std::optional<Error> error;      // that failure (a timeout, a dead shell)
};

/// Every command one scenario sent to a rig, and the answers (real_hw/transcripts/*.xml).
struct Transcript {
  std::string scenario;
  /// "hardware": recorded on a rig; "documentation": written from the cmdlets' documented
  /// output until a rig records it.
  std::string source = "hardware";
  std::string rig;
  std::string recorded; // UTC timestamp
  std::string note;
  std::vector<Exchange> exchanges;
};

/// XML, versioned; text that XML cannot hold (control bytes, invalid UTF-8) is base64.
[[nodiscard]] std::string formatTranscript(const Transcript& transcript);
[[nodiscard]] Parsed<Transcript> parseTranscript(std::string text, std::string file);

/// Passes commands through to a real session and writes down every exchange.
class RecordingShellSession : public ShellSession {
public:
  RecordingShellSession(ShellSession& inner, Transcript& into) : inner_(inner), into_(into) {}
  Result<ShellReply> run(const std::string& command, std::chrono::milliseconds deadline) override;

private:
  ShellSession& inner_;
  Transcript& into_;
};

/// Serves a transcript's answers instead of a shell. A command that differs from the recorded
/// one fails loudly with both texts and where they part (the flow changed: re-record), and so
/// does one past the end; commands left over are reported by leftover().
class ReplayShellSession : public ShellSession {
public:
  explicit ReplayShellSession(Transcript transcript) : transcript_(std::move(transcript)) {}
  Result<ShellReply> run(const std::string& command, std::chrono::milliseconds deadline) override;

  /// The first mismatch, if any (it also failed the command that met it).
  [[nodiscard]] const std::optional<std::string>& mismatch() const { return mismatch_; }
  /// Recorded commands the run never sent.
  [[nodiscard]] std::size_t leftover() const { return transcript_.exchanges.size() - next_; }

private:
  Transcript transcript_;
  std::size_t next_ = 0;
  std::optional<std::string> mismatch_;
};

/// "line 3, column 17: expected `...`, got `...`" for two command texts.
[[nodiscard]] std::string describeDifference(const std::string& expected, const std::string& got);

} // namespace hil::real_hw

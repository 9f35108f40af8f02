#pragma once

#include <string>
#include <string_view>

#include "framework/runner/results.h"

namespace hil::reports {

/// The run as a JUnit XML document (UTF-8, with declaration, two-space indent). The layout is the
/// subset that both junit-10.xsd (Jenkins xUnit) and jenkins-junit.xsd accept: no `skipped` on
/// <testsuites>, suite times with at most 3 decimals, no empty <properties/>, testcase children
/// in the order skipped, failure, system-out, and no attributes on <skipped>.
/// The same report gives the same bytes.
struct JunitOptions {
  std::string_view testsuitesName = "gpu-hil";
  /// Adds what GitLab and Jenkins' JUnit plugin read but neither schema allows: a `file`
  /// attribute on each <testcase> (the scenario's path) and the testcase's own <properties>.
  bool extensions = false;
};

/// A testcase's classname: the suite's path with dots for slashes ("dda/t4-dda" is
/// "dda.t4-dda"; a merge's " [real/t4-server]" suffix stays as it is), so consumers that read
/// packages from dots (Jenkins) group by folder.
[[nodiscard]] std::string junitClassname(std::string_view suite);

[[nodiscard]] std::string toJunitXml(const runner::RunReport& report,
                                     const JunitOptions& options = {});

/// Makes any bytes safe as XML 1.0 text: C0 controls other than TAB/LF/CR, DEL and every byte of
/// an invalid UTF-8 sequence (and the non-characters U+FFFE/U+FFFF, which XML forbids) become the
/// visible text `\xNN` (lowercase hex). Valid UTF-8 is kept; markup is left to the XML writer.
[[nodiscard]] std::string sanitizeXmlText(std::string_view bytes);

} // namespace hil::reports

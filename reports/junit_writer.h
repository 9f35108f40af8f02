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
[[nodiscard]] std::string toJunitXml(const runner::RunReport& report,
                                     std::string_view testsuitesName = "gpu-hil");

/// Makes any bytes safe as XML 1.0 text: C0 controls other than TAB/LF/CR, DEL and every byte of
/// an invalid UTF-8 sequence (and the non-characters U+FFFE/U+FFFF, which XML forbids) become the
/// visible text `\xNN` (lowercase hex). Valid UTF-8 is kept; markup is left to the XML writer.
[[nodiscard]] std::string sanitizeXmlText(std::string_view bytes);

} // namespace hil::reports

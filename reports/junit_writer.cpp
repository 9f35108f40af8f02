#include "reports/junit_writer.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "framework/core/xml.h"

namespace hil::reports {
namespace {

using runner::CaseResult;
using runner::CaseStatus;
using runner::RunReport;
using runner::SuiteResult;

void appendHexEscape(std::string& out, unsigned char byte) {
  constexpr std::string_view digits = "0123456789abcdef";
  out += "\\x";
  out += digits[byte >> 4];
  out += digits[byte & 0x0f];
}

bool isContinuation(unsigned char byte) { return (byte & 0xc0) == 0x80; }

/// Length of the well-formed UTF-8 sequence (Unicode table 3-7) that starts `text` and is an XML
/// character, or 0. Rejects overlong forms, surrogates, code points above U+10FFFF, U+FFFE/FFFF.
std::size_t xmlUtf8SequenceLength(std::string_view text) {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = at(0);
  std::size_t length = 0;
  unsigned char secondMin = 0x80;
  unsigned char secondMax = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) {
      secondMin = 0xa0; // overlong below U+0800
    } else if (lead == 0xed) {
      secondMax = 0x9f; // surrogates U+D800..U+DFFF
    }
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) {
      secondMin = 0x90; // overlong below U+10000
    } else if (lead == 0xf4) {
      secondMax = 0x8f; // above U+10FFFF
    }
  } else {
    return 0;
  }
  if (text.size() < length || at(1) < secondMin || at(1) > secondMax) {
    return 0;
  }
  for (std::size_t i = 2; i < length; ++i) {
    if (!isContinuation(at(i))) {
      return 0;
    }
  }
  // U+FFFE and U+FFFF are well-formed UTF-8 but not XML 1.0 characters.
  if (length == 3 && lead == 0xef && at(1) == 0xbf && (at(2) == 0xbe || at(2) == 0xbf)) {
    return 0;
  }
  return length;
}

/// Seconds as the schemas want them: a dot, 3 decimals, never negative (NaN and inf count as 0).
double clampSeconds(double seconds) {
  return std::isfinite(seconds) && seconds > 0 ? seconds : 0.0;
}

std::string formatSeconds(double seconds) { return fmt::format("{:.3f}", clampSeconds(seconds)); }

std::string oneLine(std::string text) {
  for (char& c : text) {
    if (c == '\r' || c == '\n') {
      c = ' ';
    }
  }
  return text;
}

void setAttribute(pugi::xml_node node, const char* name, std::string_view value) {
  node.append_attribute(name).set_value(sanitizeXmlText(value).c_str());
}

void setAttribute(pugi::xml_node node, const char* name, std::size_t value) {
  node.append_attribute(name).set_value(fmt::format("{}", value).c_str());
}

void setText(pugi::xml_node node, std::string_view text) {
  if (!text.empty()) {
    node.text().set(sanitizeXmlText(text).c_str());
  }
}

struct Counts {
  std::size_t tests = 0;
  std::size_t failures = 0;
  std::size_t skipped = 0;
  double seconds = 0;
};

Counts countCases(const SuiteResult& suite) {
  Counts counts;
  for (const CaseResult& result : suite.cases) {
    ++counts.tests;
    if (result.status == CaseStatus::Failed) {
      ++counts.failures;
    } else if (result.status == CaseStatus::Skipped) {
      ++counts.skipped;
    }
    counts.seconds += clampSeconds(result.seconds);
  }
  return counts;
}

std::string joinLines(const std::vector<std::string>& lines) {
  std::string joined;
  for (const std::string& line : lines) {
    if (&line != &lines.front()) {
      joined += '\n';
    }
    joined += line;
  }
  return joined;
}

void writeProperties(pugi::xml_node parent, const std::map<std::string, std::string>& all) {
  // jenkins-junit.xsd rejects an empty <properties/>.
  if (all.empty()) {
    return;
  }
  pugi::xml_node properties = parent.append_child("properties");
  for (const auto& [name, value] : all) {
    pugi::xml_node property = properties.append_child("property");
    setAttribute(property, "name", name);
    setAttribute(property, "value", value);
  }
}

void writeCase(pugi::xml_node suiteNode, const SuiteResult& suite, const CaseResult& result,
               const JunitOptions& options) {
  pugi::xml_node node = suiteNode.append_child("testcase");
  setAttribute(node, "classname", junitClassname(suite.name));
  setAttribute(node, "name", result.name);
  node.append_attribute("time").set_value(formatSeconds(result.seconds).c_str());
  if (options.extensions) {
    if (!result.file.empty()) {
      setAttribute(node, "file", result.file);
    }
    writeProperties(node, result.properties);
  }

  // jenkins-junit.xsd wants this order: skipped, error, failure, system-out, system-err.
  if (result.status == CaseStatus::Skipped) {
    // No attributes: jenkins-junit.xsd declares <skipped> as a plain string.
    setText(node.append_child("skipped"), result.skipReason);
  } else if (result.status == CaseStatus::Failed) {
    pugi::xml_node failure = node.append_child("failure");
    setAttribute(failure, "type", result.failureType);
    failure.append_attribute("message").set_value(
        oneLine(sanitizeXmlText(result.failureMessage)).c_str());
    setText(failure, result.failureDetail);
  }
  if (!result.log.empty()) {
    setText(node.append_child("system-out"), joinLines(result.log));
  }
}

} // namespace

std::string sanitizeXmlText(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if (byte < 0x80) {
      const bool allowedControl = byte == '\t' || byte == '\n' || byte == '\r';
      if ((byte < 0x20 && !allowedControl) || byte == 0x7f) {
        appendHexEscape(out, byte);
      } else {
        out += static_cast<char>(byte);
      }
      ++i;
      continue;
    }
    const std::size_t length = xmlUtf8SequenceLength(bytes.substr(i));
    if (length == 0) {
      appendHexEscape(out, byte); // one byte at a time: the next may start a valid sequence
      ++i;
      continue;
    }
    out.append(bytes.substr(i, length));
    i += length;
  }
  return out;
}

std::string junitClassname(std::string_view suite) {
  std::string dotted{suite};
  // A merged suite's " [backend/rig]" suffix (junit_merge) is a label, not a path.
  const auto path = std::min(dotted.find(" ["), dotted.size());
  std::replace(dotted.begin(), dotted.begin() + static_cast<std::ptrdiff_t>(path), '/', '.');
  return dotted;
}

std::string toJunitXml(const RunReport& report, const JunitOptions& options) {
  pugi::xml_document doc;
  pugi::xml_node declaration = doc.append_child(pugi::node_declaration);
  declaration.append_attribute("version").set_value("1.0");
  declaration.append_attribute("encoding").set_value("UTF-8");

  // Attributes limited to those both junit-10.xsd and jenkins-junit.xsd accept: no `skipped`.
  pugi::xml_node root = doc.append_child("testsuites");
  setAttribute(root, "name", options.testsuitesName);
  pugi::xml_attribute totalTests = root.append_attribute("tests");
  pugi::xml_attribute totalFailures = root.append_attribute("failures");
  root.append_attribute("errors").set_value("0");
  pugi::xml_attribute totalTime = root.append_attribute("time");

  Counts total;
  for (const SuiteResult& suite : report.suites) {
    const Counts counts = countCases(suite);
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.skipped += counts.skipped;
    total.seconds += counts.seconds;

    pugi::xml_node node = root.append_child("testsuite");
    setAttribute(node, "name", suite.name);
    setAttribute(node, "tests", counts.tests);
    setAttribute(node, "failures", counts.failures);
    node.append_attribute("errors").set_value("0"); // we report failures, never errors
    setAttribute(node, "skipped", counts.skipped);
    node.append_attribute("time").set_value(formatSeconds(counts.seconds).c_str());
    // Both schemas accept it; consumers use it for the age of a result.
    if (const auto& stamp = suite.timestamp.empty() ? report.timestamp : suite.timestamp;
        !stamp.empty()) {
      setAttribute(node, "timestamp", stamp);
    }

    // The run's own properties, then what the suite's cases share.
    auto all = report.properties;
    all.insert(suite.properties.begin(), suite.properties.end());
    writeProperties(node, all);
    for (const CaseResult& result : suite.cases) {
      writeCase(node, suite, result, options);
    }
  }
  totalTests.set_value(fmt::format("{}", total.tests).c_str());
  totalFailures.set_value(fmt::format("{}", total.failures).c_str());
  const double seconds = clampSeconds(report.seconds) > 0 ? report.seconds : total.seconds;
  totalTime.set_value(formatSeconds(seconds).c_str());

  return xml::toText(doc);
}

} // namespace hil::reports

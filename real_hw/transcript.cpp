#include "real_hw/transcript.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "framework/core/base64.h"
#include "framework/core/xml.h"

namespace hil::real_hw {
namespace {

/// XML 1.0 text keeps TAB, LF, CR (parsed keeping line ends) and valid UTF-8 exactly; anything
/// else goes as base64.
bool xmlSafe(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20) {
      // CR stays readable: transcripts are parsed keeping line ends (Windows replies are CRLF).
      if (c != '\t' && c != '\n' && c != '\r') {
        return false;
      }
      ++i;
    } else if (c < 0x80) {
      i += c == 0x7f ? text.size() + 1 : 1;
    } else {
      const int length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
      if (length == 0 || i + static_cast<std::size_t>(length) > text.size()) {
        return false;
      }
      for (int k = 1; k < length; ++k) {
        if ((static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]) & 0xc0) != 0x80) {
          return false;
        }
      }
      i += static_cast<std::size_t>(length);
    }
  }
  return i == text.size();
}

void writeText(pugi::xml_node parent, const char* name, const std::string& text) {
  auto node = parent.append_child(name);
  if (xmlSafe(text)) {
    node.text().set(text.c_str());
  } else {
    node.append_attribute("encoding").set_value("base64");
    node.text().set(toBase64(text).c_str());
  }
}

} // namespace

std::string formatTranscript(const Transcript& t) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version").set_value("1.0");
  decl.append_attribute("encoding").set_value("UTF-8");
  auto root = doc.append_child("transcript");
  root.append_attribute("version").set_value("1");
  root.append_attribute("scenario").set_value(t.scenario.c_str());
  root.append_attribute("source").set_value(t.source.c_str());
  root.append_attribute("rig").set_value(t.rig.c_str());
  root.append_attribute("recorded").set_value(t.recorded.c_str());
  if (!t.note.empty()) {
    root.append_child("note").text().set(t.note.c_str());
  }
  for (const auto& e : t.exchanges) {
    auto node = root.append_child("exchange");
    writeText(node, "command", e.command);
    if (e.reply) {
      writeText(node, "out", e.reply->out);
      writeText(node, "err", e.reply->err);
      node.append_child("succeeded").text().set(e.reply->succeeded ? "true" : "false");
      for (const auto& record : e.reply->errors) {
        auto recordNode = node.append_child("record");
        recordNode.append_attribute("category").set_value(record.category.c_str());
        recordNode.append_attribute("id").set_value(record.id.c_str());
      }
    } else if (e.error) {
      auto error = node.append_child("error");
      error.append_attribute("code").set_value(std::string{toString(e.error->code)}.c_str());
      error.text().set(e.error->message.c_str());
    }
  }
  return xml::toText(doc);
}

namespace {

/// A text element's text, decoded when it says encoding="base64".
std::string readText(const xml::Document& doc, pugi::xml_node node, Diagnostics& out) {
  xml::Element el{doc, node, out};
  const auto encoding = el.choice("encoding", {"base64"});
  if (node.first_child() && node.first_child().type() == pugi::node_element) {
    el.error(fmt::format("<{}> holds text only", node.name()));
  }
  std::string value = node.text().get();
  if (encoding) {
    auto decoded = fromBase64(value);
    if (!decoded) {
      el.error("invalid base64");
      return {};
    }
    return *decoded;
  }
  return value;
}

/// One of <out>, <err>, <succeeded> or <record>: a part of the exchange's reply.
void readReplyPart(const xml::Document& doc, pugi::xml_node child, Diagnostics& out,
                   ShellReply& reply) {
  const std::string_view name = child.name();
  if (name == "out") {
    reply.out = readText(doc, child, out);
  } else if (name == "err") {
    reply.err = readText(doc, child, out);
  } else if (name == "succeeded") {
    xml::Element s{doc, child, out};
    const auto value = s.text();
    if (value != "true" && value != "false") {
      s.error("<succeeded>: expected true or false");
    }
    reply.succeeded = value == "true";
  } else {
    // An error record the command produced (ShellReply::errors), oldest first.
    xml::Element r{doc, child, out};
    r.children({});
    reply.errors.push_back({r.required("category").value_or(""), r.optional("id").value_or("")});
  }
}

Exchange readExchange(const xml::Document& doc, pugi::xml_node node, Diagnostics& out) {
  xml::Element el{doc, node, out};
  Exchange e;
  ShellReply reply;
  bool sawReply = false;
  bool sawCommand = false;
  for (auto child : el.children({"command", "out", "err", "succeeded", "record", "error"})) {
    const std::string_view name = child.name();
    if (name == "command") {
      e.command = readText(doc, child, out);
      sawCommand = true;
    } else if (name == "error") {
      xml::Element err{doc, child, out};
      const auto code = err.required("code").value_or("");
      const auto parsed = parseErrorCode(code);
      if (!parsed) {
        err.error(fmt::format("code=\"{}\": not an error code", code));
      }
      e.error = Error{parsed.value_or(ErrorCode::OperationFailed), err.text(), {}};
    } else {
      readReplyPart(doc, child, out, reply);
      sawReply = true;
    }
  }
  if (!sawCommand) {
    el.error("<exchange> needs a <command>");
  }
  if (sawReply) {
    e.reply = reply;
  } else if (!e.error) {
    el.error("<exchange> needs <out>/<err>/<succeeded> or an <error>");
  }
  return e;
}

} // namespace

Parsed<Transcript> parseTranscript(std::string text, std::string file) {
  auto doc = xml::Document::parse(std::move(text), file, /*keepLineEnds=*/true);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  Diagnostics out;
  Transcript t;
  {
    xml::Element root{*doc, doc->root(), out};
    if (root.name() != "transcript") {
      root.error(fmt::format("root element is <{}>; expected <transcript>", root.name()));
    }
    if (const auto version = root.required("version"); version && *version != "1") {
      root.error(fmt::format("version=\"{}\": this gpu-hil reads transcript version 1", *version));
    }
    t.scenario = root.required("scenario").value_or("");
    t.source = root.choice("source", {"hardware", "documentation"}, true).value_or("");
    t.rig = root.optional("rig").value_or("");
    t.recorded = root.optional("recorded").value_or("");
    for (auto node : root.children({"note", "exchange"})) {
      if (std::string_view{node.name()} == "note") {
        xml::Element el{*doc, node, out};
        t.note = el.text();
        continue;
      }
      t.exchanges.push_back(readExchange(*doc, node, out));
    }
  }
  if (!out.empty()) {
    sortByLine(out);
    return std::unexpected(std::move(out));
  }
  return t;
}

Result<ShellReply> RecordingShellSession::run(const std::string& command,
                                              std::chrono::milliseconds deadline) {
  auto reply = inner_.run(command, deadline);
  Exchange e;
  e.command = command;
  if (reply) {
    e.reply = *reply;
  } else {
    e.error = reply.error();
  }
  into_.exchanges.push_back(std::move(e));
  return reply;
}

std::string describeDifference(const std::string& expected, const std::string& got) {
  const auto limit = std::min(expected.size(), got.size());
  std::size_t at = 0;
  while (at < limit && expected[at] == got[at]) {
    ++at;
  }
  const auto line =
      1 + std::count(expected.begin(), expected.begin() + static_cast<long>(at), '\n');
  const auto lineStart = expected.rfind('\n', at == 0 ? 0 : at - 1);
  const auto column = at - (lineStart == std::string::npos ? 0 : lineStart + 1) + 1;
  auto excerpt = [&](const std::string& text) {
    auto part = text.substr(at, 60);
    std::replace(part.begin(), part.end(), '\n', ' ');
    return part;
  };
  return fmt::format("they part at line {}, column {}: recorded `{}`, sent `{}`", line, column,
                     excerpt(expected), excerpt(got));
}

Result<ShellReply> ReplayShellSession::run(const std::string& command,
                                           std::chrono::milliseconds /*deadline*/) {
  if (mismatch_) {
    return fail(ErrorCode::InvalidRequest, *mismatch_);
  }
  if (next_ >= transcript_.exchanges.size()) {
    mismatch_ = fmt::format("the flow sent command {} but the transcript of {} holds only {}: "
                            "the flow changed, re-record it (sent: {})",
                            next_ + 1, transcript_.scenario, transcript_.exchanges.size(),
                            command.substr(0, 200));
    return fail(ErrorCode::InvalidRequest, *mismatch_);
  }
  const auto& recorded = transcript_.exchanges[next_];
  if (recorded.command != command) {
    mismatch_ =
        fmt::format("command {} differs from the transcript of {}: {}; the flow changed, "
                    "re-record it",
                    next_ + 1, transcript_.scenario, describeDifference(recorded.command, command));
    return fail(ErrorCode::InvalidRequest, *mismatch_);
  }
  ++next_;
  if (recorded.reply) {
    return *recorded.reply;
  }
  return std::unexpected(*recorded.error);
}

} // namespace hil::real_hw

#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hil {

/// Standard base64 (RFC 4648, with padding): bytes as text that any channel carries exactly
/// (XML, a command line, a pipe that rewrites line ends).
[[nodiscard]] std::string toBase64(std::string_view bytes);
/// The bytes back; white space and padding are skipped; nullopt for any other character.
[[nodiscard]] std::optional<std::string> fromBase64(std::string_view text);

} // namespace hil

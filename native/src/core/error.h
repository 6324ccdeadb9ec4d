// Errors of the native core. Every failure is a layerprune::Error whose message
// says what could not be done and why ("could not X because Y"); the C API lets
// it propagate and JavaCPP turns it into a Java exception with the same message.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace layerprune {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
inline void append(std::ostringstream&) {}
template <typename T, typename... Rest>
void append(std::ostringstream& out, const T& first, const Rest&... rest) {
  out << first;
  append(out, rest...);
}
}  // namespace detail

// Builds a message from its parts and throws it: fail("width must be > 0, got ", w).
template <typename... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream out;
  detail::append(out, parts...);
  throw Error(out.str());
}

// Throws when `condition` is false.
template <typename... Parts>
void require(bool condition, const Parts&... parts) {
  if (!condition) fail(parts...);
}

}  // namespace layerprune

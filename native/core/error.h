// Errors: native code throws convnets::Error with a message that names what was wrong; the N-API
// layer turns every C++ exception into a JS Error (never an abort).
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace convnets {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// fail("conv2d: weight has ", c, " input channels") — builds the message from its parts and throws.
template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream s;
  (s << ... << parts);
  throw Error(s.str());
}

}  // namespace convnets

// CN_CHECK(cond, message parts...): throws convnets::Error when cond is false.
#define CN_CHECK(cond, ...)                 \
  do {                                      \
    if (!(cond)) ::convnets::fail(__VA_ARGS__); \
  } while (0)

// error_of(fn): the message of the retune::Error that fn throws, or "no error", so a test can
// assert what a rejected input is told.
#pragma once

#include <string>

#include "core/error.h"

namespace retune {

template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace retune

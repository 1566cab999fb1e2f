// retune's version, set by CMake from project(VERSION ...).
#pragma once

#include <string_view>

namespace retune {

std::string_view version();

}  // namespace retune

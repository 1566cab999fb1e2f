# Compiler flags shared by every retune target: warnings, sanitizers, CPU tuning.
add_library(retune_flags INTERFACE)
target_compile_options(retune_flags INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Woverloaded-virtual -Wno-missing-field-initializers)
if(RETUNE_WERROR)
  target_compile_options(retune_flags INTERFACE -Werror)
endif()
if(RETUNE_NATIVE)
  target_compile_options(retune_flags INTERFACE -march=native)
endif()
if(RETUNE_SANITIZE)
  target_compile_options(retune_flags INTERFACE -fsanitize=address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1)
  target_link_options(retune_flags INTERFACE -fsanitize=address,undefined)
endif()

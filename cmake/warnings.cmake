# Compiler flags shared by every retune target: warnings, sanitizers, CPU tuning.
add_library(retune_flags INTERFACE)
# The host compiler's flags apply to C++ sources; CUDA sources get nvcc's own (below).
target_compile_options(retune_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic
  -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual -Wno-missing-field-initializers>)
if(RETUNE_WERROR)
  target_compile_options(retune_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Werror>
    $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings>)
endif()
if(RETUNE_NATIVE)
  target_compile_options(retune_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()
if(RETUNE_CUDA)
  target_compile_options(retune_flags INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr
    -lineinfo>)
endif()
if(RETUNE_SANITIZE)
  target_compile_options(retune_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1>)
  target_link_options(retune_flags INTERFACE -fsanitize=address,undefined)
endif()
# `omp simd` is a request: Clang warns where it cannot vectorise a loop (as under the sanitizers'
# -O1), which is no fault of the loop.
target_compile_options(retune_flags INTERFACE
  $<$<COMPILE_LANG_AND_ID:CXX,Clang>:-Wno-pass-failed>)

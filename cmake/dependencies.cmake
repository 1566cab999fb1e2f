# Every dependency comes from Debian's packages (scripts/setup.sh installs them).
find_package(OpenMP REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)

# OpenBLAS, OpenMP flavour: inside an OpenMP parallel region it runs single-threaded, so our
# own parallel loops and BLAS never oversubscribe the cores. Linked by full path so the
# pthread flavour (Debian's default alternative) is never picked up by accident.
find_path(OPENBLAS_INCLUDE_DIR cblas.h
  PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp NO_DEFAULT_PATH REQUIRED)
find_library(OPENBLAS_LIBRARY openblas
  PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp NO_DEFAULT_PATH REQUIRED)
add_library(retune_openblas INTERFACE)
target_include_directories(retune_openblas SYSTEM INTERFACE ${OPENBLAS_INCLUDE_DIR})
target_link_libraries(retune_openblas INTERFACE ${OPENBLAS_LIBRARY} OpenMP::OpenMP_CXX)

# LAPACKE, LAPACK's C interface (src/linalg/), from liblapacke-dev. The static archive is
# preferred: Debian's liblapacke.so pulls in the system liblapack.so.3 and libblas.so.3, which
# the alternatives system points at the pthread OpenBLAS (or reference LAPACK); the archive's
# LAPACK calls (dgesdd_, dgeqrf_, ...) resolve to the OpenMP OpenBLAS above, which contains
# LAPACK. retune_lapacke lists the archive before OpenBLAS, as static linking needs.
find_library(LAPACKE_LIBRARY NAMES liblapacke.a lapacke REQUIRED)
add_library(retune_lapacke INTERFACE)
target_link_libraries(retune_lapacke INTERFACE ${LAPACKE_LIBRARY} retune_openblas)

if(RETUNE_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(RETUNE_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# Source trees that scripts/bootstrap.sh fetches into .deps/ (Debian source packages).
#
#   locus_deps_source(<cache var> <glob> <what>)
#       leaves <cache var> as given, or sets it to the newest .deps/<glob> directory; fails
#       with a message naming bootstrap.sh and -D<cache var> when there is none.
include_guard(GLOBAL)

function(locus_deps_source var pattern what)
  if(NOT "${${var}}" STREQUAL "")
    return()
  endif()
  file(GLOB _candidates LIST_DIRECTORIES true "${PROJECT_SOURCE_DIR}/.deps/${pattern}")
  list(SORT _candidates)
  list(LENGTH _candidates _n)
  if(_n EQUAL 0)
    message(FATAL_ERROR "${what} source not found in .deps/. Run scripts/bootstrap.sh, "
                        "or pass -D${var}=/path/to/${pattern}")
  endif()
  list(GET _candidates -1 _dir)
  set(${var} "${_dir}" CACHE PATH "" FORCE)
endfunction()

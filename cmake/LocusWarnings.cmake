# Warnings for locus's own code (never applied to mbed TLS sources).
add_library(locus_warnings INTERFACE)
target_compile_options(locus_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion -Wformat=2 -Wundef
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual>)
if(LOCUS_WERROR)
  target_compile_options(locus_warnings INTERFACE -Werror)
endif()

# Freestanding rules for everything the firmware links (also enforced on the host build
# so that a violation shows up in the first compile, not only in the cross build).
add_library(locus_freestanding INTERFACE)
target_compile_options(locus_freestanding INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>)

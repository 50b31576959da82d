# Warning and sanitizer settings shared by every target of this repository.
# AERO_SANITIZE=ON builds everything with AddressSanitizer and
# UndefinedBehaviorSanitizer (the CI test build).
option(AERO_SANITIZE "Build with ASan and UBSan" OFF)

add_compile_options(-Wall -Wextra -Werror -Wshadow -Wvla -Wformat=2
                    # C only (the C++ example is built in-tree too)
                    "$<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes;-Wmissing-prototypes>")
add_compile_definitions(_GNU_SOURCE)

# float-cast-overflow (a double too large for the integer it is cast to)
# is not part of GCC's "undefined"; it is named, so that no flag value
# (--timeout 1e300) reaches such a cast unnoticed.
if(AERO_SANITIZE)
  add_compile_options(-fsanitize=address,undefined,float-cast-overflow
                      -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined,float-cast-overflow)
  add_link_options(-fsanitize=address,undefined,float-cast-overflow)
endif()

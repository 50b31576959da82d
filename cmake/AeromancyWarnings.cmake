# Warning and sanitizer settings shared by every target of this repository.
# AERO_SANITIZE=ON builds everything with AddressSanitizer and
# UndefinedBehaviorSanitizer (the CI test build).
option(AERO_SANITIZE "Build with ASan and UBSan" OFF)

add_compile_options(-Wall -Wextra -Werror -Wshadow -Wvla -Wformat=2
                    # C only (the C++ example is built in-tree too)
                    "$<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes;-Wmissing-prototypes>")
add_compile_definitions(_GNU_SOURCE)

if(AERO_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

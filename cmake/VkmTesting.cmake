# SPDX-License-Identifier: MIT
# vkm_add_test(<target> <label> [ARGS ...]): ctest entry with the project's conventions:
# exit 77 means "skipped: no Vulkan driver", sanitizer reports fail the test.
function(vkm_add_test target label)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "ARGS" ${ARGN})
  if(NOT T_NAME)
    set(T_NAME ${target})
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  add_test(NAME ${T_NAME} COMMAND ${target} ${T_ARGS})
  # LSan refuses to start when a named suppressions file is missing: name it only if present.
  set(lsan "LSAN_OPTIONS=print_suppressions=0")
  if(EXISTS ${PROJECT_SOURCE_DIR}/tests/support/lsan.supp)
    string(APPEND lsan ":suppressions=${PROJECT_SOURCE_DIR}/tests/support/lsan.supp")
  endif()
  set_tests_properties(${T_NAME} PROPERTIES LABELS ${label} SKIP_RETURN_CODE 77 TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:report_signal_unsafe=0;ASAN_OPTIONS=detect_leaks=1:abort_on_error=0;${lsan};UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endfunction()

# Qpid Proton's C engine as an in-memory test peer (amqp_proton_peer), linked into proton_tests.
# Found directly: Debian's libqpid-proton.pc is broken. Without Proton (outside CI, where run.sh
# installs libqpid-proton11-dev) configuration still succeeds and proton_tests is left out.
find_path(PROTON_INCLUDE_DIR proton/connection_driver.h)
find_library(PROTON_LIBRARY qpid-proton)

if(PROTON_INCLUDE_DIR AND PROTON_LIBRARY)
  add_library(amqp_proton_peer STATIC ${CMAKE_CURRENT_LIST_DIR}/proton_peer.cpp
                                    ${CMAKE_CURRENT_LIST_DIR}/proton_security.cpp)
  target_include_directories(amqp_proton_peer PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_include_directories(amqp_proton_peer SYSTEM PUBLIC ${PROTON_INCLUDE_DIR})
  target_link_libraries(amqp_proton_peer PUBLIC ${PROTON_LIBRARY} PRIVATE amqp_warnings)
  target_link_libraries(proton_tests PRIVATE amqp_proton_peer)
else()
  message(STATUS "Qpid Proton not found (libqpid-proton11-dev): proton_tests is not built")
  set_target_properties(proton_tests PROPERTIES EXCLUDE_FROM_ALL TRUE)
  # gtest_discover_tests registered a ctest include file that adds a failing
  # proton_tests_NOT_BUILT test when the executable is missing; drop it and report a skip.
  get_property(_proton_includes DIRECTORY PROPERTY TEST_INCLUDE_FILES)
  list(FILTER _proton_includes EXCLUDE REGEX "/proton_tests(\\[[0-9]+\\])?_include\\.cmake$")
  set_property(DIRECTORY PROPERTY TEST_INCLUDE_FILES ${_proton_includes})
  add_test(NAME proton.not_built
           COMMAND sh -c "echo 'SKIP: Qpid Proton (libqpid-proton11-dev) is not installed'; exit 77")
  set_tests_properties(proton.not_built PROPERTIES SKIP_RETURN_CODE 77)
endif()

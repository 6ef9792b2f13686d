# The example programs over loopback TCP (tests/examples/examples.py): through the example
# broker, directly, and with Qpid Proton's example programs and brokers both ways. One ctest
# test per case; a case whose peer is missing here reports itself skipped (status 77).
if(NOT TARGET broker)
  return()
endif()

# Qpid Proton's C++ example broker, compiled from the source Debian ships, as a peer.
set(PROTON_CPP_EXAMPLES /usr/share/proton/examples/cpp)
find_library(PROTON_CPP_LIBRARY qpid-proton-cpp)
if(PROTON_CPP_LIBRARY AND EXISTS ${PROTON_CPP_EXAMPLES}/broker.cpp)
  add_executable(proton-cpp-broker ${PROTON_CPP_EXAMPLES}/broker.cpp)
  target_include_directories(proton-cpp-broker PRIVATE ${PROTON_CPP_EXAMPLES})
  find_package(Threads REQUIRED)
  target_link_libraries(proton-cpp-broker PRIVATE ${PROTON_CPP_LIBRARY} Threads::Threads)
  set_target_properties(proton-cpp-broker PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                        ${CMAKE_BINARY_DIR}/tests)
endif()

set(AMQP_EXAMPLE_CASES helloworld send_recv send_recv_at_most_once client_server selected_recv
    direct reliable_send_across_restart reliable_send_across_broker_restart tx_send_recv
    tx_send_recv_via_proton_test_broker
    proton_simple_send_recv_via_our_broker
    proton_client_server_via_our_broker proton_selected_recv_via_our_broker
    proton_helloworld_via_our_broker proton_tx_send_recv_via_our_broker
    proton_server_tx_via_our_broker our_programs_via_proton_python_broker
    our_programs_via_proton_cpp_broker direct_with_proton tls_external_with_proton_peer
    tls_plain_proton_client_to_our_broker)
foreach(case ${AMQP_EXAMPLE_CASES})
  add_test(NAME examples.${case}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/examples.py ${CMAKE_BINARY_DIR} ${case})
  set_tests_properties(examples.${case} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
# helloworld.py knows only localhost:5672.
set_tests_properties(examples.proton_helloworld_via_our_broker PROPERTIES RUN_SERIAL ON)

# ./run.sh demo, as it runs.
add_test(NAME examples.demo COMMAND ${CMAKE_SOURCE_DIR}/examples/demo.sh ${CMAKE_BINARY_DIR})
set_tests_properties(examples.demo PROPERTIES TIMEOUT 300)

# The transactional test broker on Qpid Proton's Python API (conformance/peers), checked on its
# own before the examples lean on it.
add_test(NAME conformance.proton_test_broker
         COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/conformance/peers/test_proton_test_broker.py)
set_tests_properties(conformance.proton_test_broker PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)

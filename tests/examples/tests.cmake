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

# Every case runs our programs (clients, broker, or both), so each runs once per binding, both
# sides on it: examples.<case>.asio and examples.<case>.libevent.
set(AMQP_EXAMPLE_CASES helloworld send_recv send_recv_at_most_once client_server selected_recv
    direct reliable_send_across_restart reliable_send_across_broker_restart tx_send_recv
    tx_send_recv_via_proton_test_broker
    proton_simple_send_recv_via_our_broker
    proton_client_server_via_our_broker proton_selected_recv_via_our_broker
    proton_helloworld_via_our_broker proton_tx_send_recv_via_our_broker
    proton_server_tx_via_our_broker our_programs_via_proton_python_broker
    our_programs_via_proton_cpp_broker direct_with_proton tls_external_with_proton_peer
    tls_plain_proton_client_to_our_broker)
# Our clients on one binding against our broker (or our listening program) on the other:
# examples.mixed.<case>.asio_client_libevent_broker and .libevent_client_asio_broker.
set(AMQP_EXAMPLE_MIXED_CASES send_recv client_server selected_recv tx_send_recv
    reliable_send_across_broker_restart direct reliable_send_across_restart)

function(amqp_example_test name case io broker_io)
  add_test(NAME ${name}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/examples.py
                   ${CMAKE_BINARY_DIR} ${case} --io ${io} --broker-io ${broker_io})
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
endfunction()

foreach(case ${AMQP_EXAMPLE_CASES})
  foreach(io asio libevent)
    amqp_example_test(examples.${case}.${io} ${case} ${io} ${io})
  endforeach()
endforeach()
foreach(case ${AMQP_EXAMPLE_MIXED_CASES})
  amqp_example_test(examples.mixed.${case}.asio_client_libevent_broker ${case} asio libevent)
  amqp_example_test(examples.mixed.${case}.libevent_client_asio_broker ${case} libevent asio)
endforeach()

# helloworld.py and server_tx.py know only localhost:5672: one such case at a time, and
# helloworld.py's alone, as it has always run.
foreach(io asio libevent)
  set_tests_properties(examples.proton_helloworld_via_our_broker.${io}
                       examples.proton_server_tx_via_our_broker.${io}
                       PROPERTIES RESOURCE_LOCK amqp_port_5672)
  set_tests_properties(examples.proton_helloworld_via_our_broker.${io} PROPERTIES RUN_SERIAL ON)
endforeach()

# ./run.sh demo, as it runs, and the same on libevent.
add_test(NAME examples.demo COMMAND ${CMAKE_SOURCE_DIR}/examples/demo.sh ${CMAKE_BINARY_DIR})
add_test(NAME examples.demo.libevent
         COMMAND ${CMAKE_SOURCE_DIR}/examples/demo.sh ${CMAKE_BINARY_DIR} --io libevent)
set_tests_properties(examples.demo examples.demo.libevent PROPERTIES TIMEOUT 300)

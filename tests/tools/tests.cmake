# The tools folder: its gtest executable also links amqp-inspect's library; script tests run
# the built tools (the command line, the demo, and interop with Qpid Proton).
target_link_libraries(tools_tests PRIVATE amqp_inspect_lib)

# Python tests run with the system interpreter, where Debian installs python3-qpid-proton.
# Without it they report themselves skipped (exit 77) instead of failing to start.
set(AMQP_PYTHON /usr/bin/python3)
foreach(script inspect_cli proton_interop)
  if(EXISTS ${AMQP_PYTHON})
    add_test(NAME tools.${script}
             COMMAND ${AMQP_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/${script}_test.py
                     $<TARGET_FILE:amqp-inspect>)
  else()
    add_test(NAME tools.${script}
             COMMAND sh -c "echo 'SKIP: ${AMQP_PYTHON} is not installed'; exit 77")
  endif()
  # 77: the interpreter, or Qpid Proton's Python binding, is not there.
  set_tests_properties(tools.${script} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
endforeach()

add_test(NAME tools.inspect_tour COMMAND ${CMAKE_CURRENT_LIST_DIR}/../../tools/inspect_tour.sh ${CMAKE_BINARY_DIR})
set_tests_properties(tools.inspect_tour PROPERTIES TIMEOUT 300)

# amqp-bench memory moves a few thousand messages each way it can and prints NAME VALUE lines;
# the run fails when any exchange fails. Its figures are for `./run.sh bench`, not for tests.
add_test(NAME tools.amqp_bench_memory COMMAND amqp-bench memory -n 4000)
set_tests_properties(tools.amqp_bench_memory PROPERTIES TIMEOUT 300
  PASS_REGULAR_EXPRESSION "amqp\\.memory\\.large_at_least_once\\.msgs_per_s [0-9.]+")

# amqp-bench tcp runs a sender and a receiver process of each implementation it has over
# loopback TCP, once per window (ours on each binding first: Asio, then libevent); the run stops
# at the first exchange that fails, so the last line of ours on libevent at the last window
# says that both bindings got through every window.
add_test(NAME tools.amqp_bench_tcp COMMAND amqp-bench tcp -n 4000 --window 100 --window 1000
                                           --runs 1)
set_tests_properties(tools.amqp_bench_tcp PROPERTIES TIMEOUT 300
  PASS_REGULAR_EXPRESSION "amqp/libevent\\.tcp\\.window_1000\\.receiver_peak_rss_kb [0-9]+")

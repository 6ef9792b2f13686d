# amqp-peer (tools/peer): its gtest executable links the peer's library. The script tests
# (tests/peer/peer_scripts.py) run the built amqp-peer against itself; the conformance scripts
# (conformance/scripts) run against every broker in conformance/run.py.
target_link_libraries(peer_tests PRIVATE amqp_peer_lib)

foreach(case split_frames faults failure_report usage_and_syntax_errors)
  add_test(NAME peer.self.${case}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/peer_scripts.py ${CMAKE_BINARY_DIR}
                   self.${case})
  set_tests_properties(peer.self.${case} PROPERTIES TIMEOUT 120)
endforeach()

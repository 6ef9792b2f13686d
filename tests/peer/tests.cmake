# amqp-peer (tools/peer): its gtest executable links the peer's library. The script tests
# (tests/peer/peer_scripts.py) run the built amqp-peer against itself, and every conformance
# script (conformance/scripts) against our example broker and against Qpid Proton's Python
# example broker; a case whose peer is missing reports itself skipped (status 77).
target_link_libraries(peer_tests PRIVATE amqp_peer_lib)

if(NOT TARGET broker)
  return()
endif()

# Where a peer deviates (from the spec, or from what the script's comment says is common
# practice), the case checks that the script fails at that very step: "SCRIPT PEER LINE".
set(AMQP_PEER_DEVIATIONS
  # An AMQP header pipelined after the sasl-init, before the outcome, is refused as
  # amqp:unauthorized-access and the connection dropped without a sasl-outcome.
  "pipelined_sasl_open ours 16"
  # broker.py never answers a drain: its sender does not call drained().
  "drain proton 32"
  # A transfer on an unattached handle closes the connection with amqp:invalid-field instead
  # of ending the session with amqp:session:unattached-handle.
  "unattached_handle proton 16"
  # A frame whose descriptor names no performative is ignored, not refused.
  "unknown_performative proton 19"
)

file(GLOB _peer_scripts CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/conformance/scripts/*.amqp)
foreach(script_path ${_peer_scripts})
  get_filename_component(script ${script_path} NAME_WE)
  foreach(peer ours proton)
    set(extra)
    foreach(deviation ${AMQP_PEER_DEVIATIONS})
      if(deviation MATCHES "^${script} ${peer} ([0-9]+)$")
        set(extra --fails-at ${CMAKE_MATCH_1})
      endif()
    endforeach()
    add_test(NAME conformance.peer.${script}.${peer}
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/peer_scripts.py ${CMAKE_BINARY_DIR}
                     ${script}.${peer} ${extra})
    set_tests_properties(conformance.peer.${script}.${peer} PROPERTIES SKIP_RETURN_CODE 77
                         TIMEOUT 120)
  endforeach()
endforeach()

foreach(case split_frames faults failure_report usage_and_syntax_errors)
  add_test(NAME peer.self.${case}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/peer_scripts.py ${CMAKE_BINARY_DIR}
                   self.${case})
  set_tests_properties(peer.self.${case} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
endforeach()

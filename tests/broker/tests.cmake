# The example broker's suites test its I/O-free library (selectors, queues, the user file);
# the user file's SASL decisions also run whole exchanges between two engines, through the
# engine suites' pair harness; the broker's handler runs with clients on the messaging
# suites' memory network.
if(TARGET amqp_example_broker_lib AND TARGET broker_tests)
  target_sources(broker_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../engine/pair.cpp
                                      ${CMAKE_CURRENT_LIST_DIR}/../messaging/memory_container.cpp)
  target_link_libraries(broker_tests PRIVATE amqp_example_broker_lib)
endif()

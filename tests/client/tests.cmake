# The client folder: its suites use the library and, for the conversations on the virtual
# clock, the messaging tests' I/O-free container.
target_sources(client_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../messaging/memory_container.cpp)
target_include_directories(client_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../messaging)
target_link_libraries(client_tests PRIVATE amqp::client)
# blocking_test.cpp runs the example broker's handler in an Asio container.
if(TARGET amqp_example_broker_lib)
  target_link_libraries(client_tests PRIVATE amqp_example_broker_lib amqp::asio)
endif()

# The example programs of the uAMQP and kombu shapes against real brokers (brokers.py): our
# example broker and RabbitMQ, on each binding. A broker that cannot run here skips (77).
if(TARGET broker AND TARGET kombu_style_producer)
  foreach(broker our-broker rabbitmq)
    foreach(io asio libevent)
      add_test(NAME client.brokers.${broker}.${io}
               COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/brokers.py ${CMAKE_BINARY_DIR}
                       ${broker} --io ${io})
      set_tests_properties(client.brokers.${broker}.${io} PROPERTIES SKIP_RETURN_CODE 77
                           TIMEOUT 300 RESOURCE_LOCK client_broker_${broker})
    endforeach()
  endforeach()
endif()

# The libevent binding's own tests: the transport over a UNIX socketpair and loopback TCP, its
# allocations per message, and what only its container does (an application's event_base,
# work handed to that loop from other threads). Its container's other tests run on every
# binding, in tests/bindings.
target_link_libraries(libevent_tests PRIVATE amqp::libevent)
target_sources(libevent_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../support/counting_new.cpp)

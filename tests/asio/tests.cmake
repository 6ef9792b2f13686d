# The Asio binding's own tests: the transport over the in-memory stream pair and over loopback
# TCP, and what only its container does (an application's io_context, run(n), completion tokens
# for async_send and transactions). Its container's other tests run on every binding, in
# tests/bindings.
target_link_libraries(asio_tests PRIVATE amqp::asio)
target_sources(asio_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../support/counting_new.cpp)

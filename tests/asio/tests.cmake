# The Asio binding's tests: the transport over the in-memory stream pair and over loopback TCP,
# and the container (connections, listeners, reconnect, threads, async_send, TLS) over loopback.
target_link_libraries(asio_tests PRIVATE amqp::asio)
target_sources(asio_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../support/counting_new.cpp)

# The Asio binding's tests: the transport over the in-memory stream pair and over loopback TCP.
target_link_libraries(asio_tests PRIVATE amqp::asio)

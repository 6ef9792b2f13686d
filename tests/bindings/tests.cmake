# The container suite run on every binding: each case is parameterised over the binding, and
# binding.cpp is the one source that names them. Its TCP relay (tcp_proxy.hpp) is Asio on a
# thread of its own, whatever the container under test.
target_sources(bindings_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/binding.cpp)
target_link_libraries(bindings_tests PRIVATE amqp::asio amqp::libevent)

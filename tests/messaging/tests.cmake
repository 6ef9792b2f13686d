# The messaging folder: its tests run connections through the I/O-free test container in
# memory_container.cpp.
target_sources(messaging_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/memory_container.cpp
                                       ${CMAKE_CURRENT_LIST_DIR}/../support/counting_new.cpp)

# The engine folder: its tests run pairs of engines through the harness in pair.cpp, and count
# or fail allocations through the hooks in alloc_hooks.cpp.
target_sources(engine_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/pair.cpp
                                    ${CMAKE_CURRENT_LIST_DIR}/alloc_hooks.cpp)

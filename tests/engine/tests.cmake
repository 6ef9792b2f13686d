# The engine folder: its tests run pairs of engines through the harness in pair.cpp.
target_sources(engine_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/pair.cpp)

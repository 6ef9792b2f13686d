# The conformance runner's own logic (expectation files, table, JUnit XML) and the transactional
# test broker on Qpid Proton's Python API, each checked on its own. The conformance runs
# themselves are conformance/run.py's: ./run.sh test runs their CI part after ctest.
add_test(NAME conformance.runner
         COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/conformance/lib/test_runner.py)
add_test(NAME conformance.proton_test_broker
         COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/conformance/peers/test_proton_test_broker.py)
set_tests_properties(conformance.runner conformance.proton_test_broker PROPERTIES
                     SKIP_RETURN_CODE 77 TIMEOUT 120)

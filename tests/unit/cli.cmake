# The benchlab CLI's pure parts: --devices selectors, --flag mapping, loopback rule, tables.
benchlab_test(NAME cli_test SOURCES unit/cli_test.cc LIBS benchlab_cli benchlab_testsupport LABELS unit)
benchlab_test(NAME cli_compare_test SOURCES unit/cli_compare_test.cc LIBS benchlab_cli LABELS unit)
benchlab_test(NAME cli_report_test SOURCES unit/cli_report_test.cc LIBS benchlab_cli LABELS unit)
# Issue 11: the op profile tables and the delegate column.
benchlab_test(NAME cli_ops_view_test SOURCES unit/cli_ops_view_test.cc LIBS benchlab_cli LABELS unit)

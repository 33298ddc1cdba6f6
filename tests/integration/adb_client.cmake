benchlab_test(NAME adb_client_integration_test SOURCES integration/adb_client_test.cc
  LIBS benchlab_adb benchlab_testsupport OpenSSL::Crypto LABELS integration TIMEOUT 300)

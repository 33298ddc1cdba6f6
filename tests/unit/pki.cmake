# benchlab-coordinator pki's library part (coordinator/pki.h), read back with OpenSSL.
benchlab_test(NAME coordinator_pki_test SOURCES unit/coordinator_pki_test.cc
  LIBS benchlab_coordinator benchlab_testsupport OpenSSL::Crypto LABELS unit)

// The benchlab command; everything is in benchlab_cli (cli.h).
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  return benchlab::cli::RunCli(argc, argv, {&std::cin, &std::cout, &std::cerr});
}

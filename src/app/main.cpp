// The `osprey` binary: everything it does is in the osprey_app library, where tests can reach it.

#include <iostream>

#include "app/cli.hpp"

int main(int argc, char** argv) { return osprey::app::run_cli(argc, argv, std::cout, std::cerr); }

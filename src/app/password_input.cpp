#include "app/password_input.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace osprey::app {
namespace {

// Turns terminal echo off for its lifetime and restores the previous settings, whatever the
// path out, so an error never leaves the user's terminal silent.
class EchoOff {
 public:
  EchoOff() {
    if (tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;                                  // the Enter still moves to the next line
    active_ = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;  // TCSANOW: keep type-ahead
  }
  ~EchoOff() {
    if (active_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

std::istream& read_line(std::istream& in, std::string& line) {
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return in;
}

}  // namespace

tl::expected<std::string, std::string> read_password(std::istream& in, std::ostream& prompt_to,
                                                     const std::string& prompt) {
  std::string line;
  bool got_line = false;
  if (&in == &std::cin && isatty(STDIN_FILENO) == 1) {
    prompt_to << prompt << std::flush;
    EchoOff echo_off;
    got_line = static_cast<bool>(read_line(in, line));
  } else {
    got_line = static_cast<bool>(read_line(in, line));
  }
  if (!got_line)
    return tl::unexpected(std::string("no password: give --password or one line on standard input"));
  if (line.empty()) return tl::unexpected(std::string("the password is empty"));
  return line;
}

}  // namespace osprey::app

#include "txn/transaction_env.hpp"

namespace osprey::txn {

std::string_view to_string(TimerName name) {
  switch (name) {
    case TimerName::A: return "A";
    case TimerName::B: return "B";
    case TimerName::D: return "D";
    case TimerName::E: return "E";
    case TimerName::F: return "F";
    case TimerName::G: return "G";
    case TimerName::H: return "H";
    case TimerName::I: return "I";
    case TimerName::J: return "J";
    case TimerName::K: return "K";
    case TimerName::L: return "L";
    case TimerName::M: return "M";
    case TimerName::trying: return "trying";
  }
  return "?";
}

}  // namespace osprey::txn

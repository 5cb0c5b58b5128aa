#include "proxy/response_choice.hpp"

namespace osprey::proxy {

namespace {
int rank(int status) {
  const int response_class = status / 100;
  if (response_class == 6) return 0;
  int value = response_class * 10;
  if (status == 401 || status == 407 || status == 415 || status == 420 || status == 484) return value - 1;
  // 503 is turned into 500 when it goes upstream (§16.7 step 6); it ranks with the 5xx.
  return value;
}
}  // namespace

bool better_response(int candidate, int kept) {
  if (kept == 0) return true;
  return rank(candidate) < rank(kept);
}

}  // namespace osprey::proxy

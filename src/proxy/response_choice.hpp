#pragma once
// RFC 3261 §16.7 step 6: which of the final responses a proxy collected goes upstream when no
// 2xx came. A 6xx if there is one; else the lowest class; within 4xx, 401, 407, 415, 420 and
// 484 first (they say what the client can fix). Earlier responses win ties.

namespace osprey::proxy {

// True when a final response with status `candidate` is better than the one kept (`kept`,
// 0 for none).
bool better_response(int candidate, int kept);

}  // namespace osprey::proxy

#pragma once
// One configuration's trunks and routes, as the B2BUA uses them. A reload (SIGHUP) makes a new
// set for new calls; each call holds the set it started with, so the Trunk objects it points
// to (their rules, limits, identity policy) stay alive and unchanged until it ends.
//
// The set carries the controls built from the same configuration: the trunks' admissions
// (calls per second, concurrent calls) and their inbound digest accounts. A trunk a reload adds
// or renames is limited and authenticated like the others from its first call, and a rotated
// inbound password is the one asked for. One TrunkControls is shared by every worker's set.

#include <memory>
#include <vector>

#include "sbc/trunk.hpp"
#include "sbc/trunk_admission.hpp"
#include "sbc/trunk_authenticator.hpp"
#include "sbc/trunk_directory.hpp"

namespace osprey::sbc {

struct TrunkControls {
  // Null: no trunk has limits (a B2BUA built without them, as in unit tests).
  std::shared_ptr<TrunkAdmissions> admissions;
  // Null: a trunk with inbound_credentials is refused (fail closed).
  std::shared_ptr<const TrunkAuthenticators> authenticators;
};

struct TrunkSet {
  explicit TrunkSet(const SbcSettings& settings, TrunkControls trunk_controls = {})
      : directory(settings.trunks), routes(settings.routes), controls(std::move(trunk_controls)) {}
  TrunkDirectory directory;
  std::vector<TrunkRoute> routes;
  TrunkControls controls;
};

}  // namespace osprey::sbc

#pragma once
// The seam between the proxy's request pipeline and a back-to-back user agent (the SBC mode,
// sbc/b2bua.hpp). proxy/ never includes sbc/ (layers only look down): the server hands the
// routing stage an object of this interface, and the stage offers it every request that passed
// route processing, sanity and access control (authentication, From ownership, dial policy)
// before the proxy sees it. What it takes is answered by it; what it leaves is proxied as
// before. No object attached: the proxy takes everything, as without SBC mode.

#include "proxy/request_stage.hpp"

namespace osprey::proxy {

class SessionBorder {
 public:
  // True: the request is taken (the border answers its server transaction, now or later).
  virtual bool take(RequestContext& context) = 0;

 protected:
  SessionBorder() = default;
  SessionBorder(const SessionBorder&) = default;
  SessionBorder& operator=(const SessionBorder&) = default;
  ~SessionBorder() = default;
};

}  // namespace osprey::proxy

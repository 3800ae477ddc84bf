// What the facet command line needs beyond the public C API (include/facet/facet.h) that it is
// built on: a model it loaded itself (with its transforms backend, or a sprites model that only
// facet-torch can load), and a failure as the codebase's Status (its exact code and message, for
// the command line's exit codes). Not installed, not exported from libfacet.so: for programs that
// link the API's objects (facet_api) statically.
#pragma once

#include <memory>

#include "codec/codec.h"
#include "common/status.h"
#include "facet/facet.h"

// A facet_model (free it with facet_model_free) that shares `model`.
facet_model* facet_model_wrap(std::shared_ptr<facet::CodecModel> model);

// The calling thread's last failure of an API call, as the Status the codec returned (ok if the
// last call succeeded).
facet::Status facet_last_status();

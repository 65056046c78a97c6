// call_counts.cpp - the table of interposed-call counts and their names, for SPRIG_STATS.
#include "call_counts.hpp"

#include "hooks_prelude.hpp"

namespace sprig::shim {

observe::CallCount g_call_counts[kCallIndexCount];

namespace {

const char *const kCallNames[kCallIndexCount] = {
// NOLINTBEGIN(bugprone-macro-parentheses): X-macros over hooks.def
#define SPRIG_HOOK(ret, name, params, args) #name,
#define SPRIG_HOOK_CUSTOM SPRIG_HOOK
#include "hooks.def"
#undef SPRIG_HOOK
#undef SPRIG_HOOK_CUSTOM
    // NOLINTEND(bugprone-macro-parentheses)
};

} // namespace

void register_call_counts() {
  observe::register_call_table(kCallNames, g_call_counts, kCallIndexCount);
}

} // namespace sprig::shim

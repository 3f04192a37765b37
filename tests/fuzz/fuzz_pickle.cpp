// The restricted unpickler on its own: every opcode sequence, with a persistent_load that hands out a
// small storage (as the torch readers do), so REDUCE → _rebuild_tensor_v2 is reachable.
#include <memory>

#include "attnscope/error.h"
#include "io/pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace attnscope::io;
    static const uint8_t storage_bytes[64] = {};
    auto persistent_load = [](const pickle::Value&) {
        auto s = std::make_shared<pickle::Storage>();
        s->type = pickle::storage_type("FloatStorage");
        s->data = storage_bytes;
        s->bytes = sizeof storage_bytes;
        return s;
    };
    try {
        pickle::Arena arena;
        size_t consumed = 0;
        pickle::load(arena, data, size, persistent_load, "fuzz.pkl", &consumed);
        if (consumed > size) __builtin_trap();
    } catch (const attnscope::Error&) {
    }
    return 0;
}

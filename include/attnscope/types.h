// Small value types shared by the model, the kernels and every face: one enum per concept.
#pragma once

namespace attnscope {

// The feed-forward activation, from config.json's hidden_act.
enum class Activation { GeluErf, GeluTanh, Relu, Silu };

// How the encoder's matmul weights are held. F32 is exact and the default; F16 / BF16 / I8 read fewer bytes
// per weight and are faster where a forward is bound by the weight stream (short inputs), at a measured cost
// in accuracy (docs/performance.md).
enum class WeightStorage { F32, F16, BF16, I8 };

inline const char* weight_storage_name(WeightStorage storage) {
    switch (storage) {
        case WeightStorage::F32:
            return "fp32";
        case WeightStorage::F16:
            return "fp16";
        case WeightStorage::BF16:
            return "bf16";
        case WeightStorage::I8:
            return "int8";
    }
    return "fp32";
}

}  // namespace attnscope

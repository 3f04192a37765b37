// Thread counts are per call: every parallel kernel takes the count it may use, so two forwards running at
// once on different threads with different counts do not touch any shared setting.
#pragma once

namespace attnscope::kernels {

// One per core the process may run on (omp_get_num_procs).
int default_threads();
// A call's requested count: 0 = default_threads(); callers have refused negative and too large values.
inline int resolve_threads(int requested) {
    return requested > 0 ? requested : default_threads();
}

}  // namespace attnscope::kernels

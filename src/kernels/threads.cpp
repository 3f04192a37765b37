#include "kernels/threads.h"

#include <omp.h>

namespace attnscope::kernels {

int default_threads() {
    static const int count = omp_get_num_procs();
    return count;
}

}  // namespace attnscope::kernels

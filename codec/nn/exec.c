/* Thread count and progress; see exec.h. */
#include <unistd.h>

#include "codec/nn/exec.h"

unsigned dlic_nn_threads(int setting)
{
    if (setting > 0)
        return setting > DLIC_MAX_THREADS ? DLIC_MAX_THREADS : (unsigned)setting;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > DLIC_MAX_THREADS ? DLIC_MAX_THREADS : (unsigned)n;
}

void dlic_nn_progress(dlic_nn_exec *x)
{
    x->done++;
    if (x->progress && x->total)
        x->progress(x->opaque, (int)((uint64_t)x->done * 100 / x->total));
}

/* Helpers that every codec of dlic-bench uses (codec.h). */
#include <time.h>

#include "tools/bench/codec.h"

double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#include "CHeap.h"

#include <stdlib.h> /* defines __GLIBC__ where the C library is glibc */

#if defined(__GLIBC__)
#include <malloc.h>

int cheap_set_thresholds(long mmap_threshold, long trim_threshold) {
    int mmap_ok = mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
    int trim_ok = mallopt(M_TRIM_THRESHOLD, (int)trim_threshold);
    return mmap_ok && trim_ok;
}
#else
int cheap_set_thresholds(long mmap_threshold, long trim_threshold) {
    (void)mmap_threshold;
    (void)trim_threshold;
    return 0;
}
#endif

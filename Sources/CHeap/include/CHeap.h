#ifndef CHEAP_H
#define CHEAP_H

/// glibc's allocator tuning (mallopt), which Swift's Glibc module does not export.
/// Returns 1 on success, 0 where the C library has no such setting.
int cheap_set_thresholds(long mmap_threshold, long trim_threshold);

#endif

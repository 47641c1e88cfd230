// System calls and headers Swift cannot use directly (variadic calls, headers outside Glibc's module).
#ifndef SEALREC_CSYSTEM_H
#define SEALREC_CSYSTEM_H

/// 1 when the kernel says the system clock is synchronised (adjtimex: no STA_UNSYNC, not TIME_ERROR),
/// 0 when not, -errno when adjtimex failed.
int sr_clock_synchronized(void);

/// Lowers the calling thread's scheduling priority by `increment` nice steps (Linux nice values are
/// per thread); returns 0 or -errno. For background work that must never take CPU from capture.
int sr_nice_this_thread(int increment);

#endif

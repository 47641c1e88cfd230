// What Swift cannot use from alsa-lib directly: the error handler type is variadic, so a handler
// that keeps the library quiet (errors are reported through return codes instead) is C.
#ifndef SEALREC_CALSA_SHIM_H
#define SEALREC_CALSA_SHIM_H
#include <alsa/asoundlib.h>

static void sr_alsa_silent_handler(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}
/// Stops alsa-lib printing to stderr: every failure is reported to the caller with its code.
static inline void sr_alsa_silence(void) { snd_lib_error_set_handler(sr_alsa_silent_handler); }
#endif

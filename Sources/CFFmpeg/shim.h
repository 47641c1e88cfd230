// What Swift cannot import from FFmpeg's headers: function-like and cast macros.
#ifndef SEALREC_CFFMPEG_SHIM_H
#define SEALREC_CFFMPEG_SHIM_H
#include <errno.h>
#include <libavformat/avformat.h>
#include <libavformat/avio.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/opt.h>
#include <libavutil/imgutils.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersrc.h>
#include <libavfilter/buffersink.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>

static inline int sr_averror(int posix_errno) { return AVERROR(posix_errno); }
static inline int sr_averror_eof(void) { return AVERROR_EOF; }
static inline int sr_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int64_t sr_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational sr_time_base_q(void) { return AV_TIME_BASE_Q; }
static inline int sr_error_max_string_size(void) { return AV_ERROR_MAX_STRING_SIZE; }
#endif

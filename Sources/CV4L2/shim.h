// What Swift cannot import from the V4L2 headers: the VIDIOC_* request codes (_IOWR macros), the
// v4l2_fourcc codes and libv4l2's variadic calls.
#ifndef SEALREC_CV4L2_SHIM_H
#define SEALREC_CV4L2_SHIM_H
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <linux/videodev2.h>
#include <libv4l2.h>

static const unsigned long SR_VIDIOC_QUERYCAP = VIDIOC_QUERYCAP;
static const unsigned long SR_VIDIOC_ENUM_FMT = VIDIOC_ENUM_FMT;
static const unsigned long SR_VIDIOC_G_FMT = VIDIOC_G_FMT;
static const unsigned long SR_VIDIOC_S_FMT = VIDIOC_S_FMT;
static const unsigned long SR_VIDIOC_REQBUFS = VIDIOC_REQBUFS;
static const unsigned long SR_VIDIOC_QUERYBUF = VIDIOC_QUERYBUF;
static const unsigned long SR_VIDIOC_QBUF = VIDIOC_QBUF;
static const unsigned long SR_VIDIOC_DQBUF = VIDIOC_DQBUF;
static const unsigned long SR_VIDIOC_STREAMON = VIDIOC_STREAMON;
static const unsigned long SR_VIDIOC_STREAMOFF = VIDIOC_STREAMOFF;
static const unsigned long SR_VIDIOC_G_PARM = VIDIOC_G_PARM;
static const unsigned long SR_VIDIOC_S_PARM = VIDIOC_S_PARM;
static const unsigned long SR_VIDIOC_G_CTRL = VIDIOC_G_CTRL;
static const unsigned long SR_VIDIOC_S_CTRL = VIDIOC_S_CTRL;
static const unsigned long SR_VIDIOC_QUERYCTRL = VIDIOC_QUERYCTRL;
static const unsigned long SR_VIDIOC_QUERYMENU = VIDIOC_QUERYMENU;
static const unsigned long SR_VIDIOC_ENUM_FRAMESIZES = VIDIOC_ENUM_FRAMESIZES;
static const unsigned long SR_VIDIOC_ENUM_FRAMEINTERVALS = VIDIOC_ENUM_FRAMEINTERVALS;

static const uint32_t SR_V4L2_PIX_FMT_YUYV = V4L2_PIX_FMT_YUYV;
static const uint32_t SR_V4L2_PIX_FMT_UYVY = V4L2_PIX_FMT_UYVY;
static const uint32_t SR_V4L2_PIX_FMT_NV12 = V4L2_PIX_FMT_NV12;
static const uint32_t SR_V4L2_PIX_FMT_NV21 = V4L2_PIX_FMT_NV21;
static const uint32_t SR_V4L2_PIX_FMT_YUV420 = V4L2_PIX_FMT_YUV420;
static const uint32_t SR_V4L2_PIX_FMT_MJPEG = V4L2_PIX_FMT_MJPEG;
static const uint32_t SR_V4L2_PIX_FMT_JPEG = V4L2_PIX_FMT_JPEG;
static const uint32_t SR_V4L2_PIX_FMT_RGB24 = V4L2_PIX_FMT_RGB24;
static const uint32_t SR_V4L2_PIX_FMT_BGR24 = V4L2_PIX_FMT_BGR24;
static const uint32_t SR_V4L2_PIX_FMT_GREY = V4L2_PIX_FMT_GREY;

static const uint32_t SR_V4L2_CTRL_FLAG_NEXT_CTRL = V4L2_CTRL_FLAG_NEXT_CTRL;

// libv4l2 declares these variadic (open's mode, ioctl's argument), which Swift cannot call.
static inline int sr_v4l2_open(const char *path, int flags) { return v4l2_open(path, flags); }
// EINTR is retried on the Swift side (SealrecSystem.retryingInterrupts).
static inline int sr_v4l2_ioctl(int fd, unsigned long request, void *arg) { return v4l2_ioctl(fd, request, arg); }
#endif

#ifndef SEALREC_CSYSTEMD_SHIM_H
#define SEALREC_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#endif

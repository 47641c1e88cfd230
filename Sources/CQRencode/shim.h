#ifndef SEALREC_CQRENCODE_SHIM_H
#define SEALREC_CQRENCODE_SHIM_H
#include <qrencode.h>
#endif

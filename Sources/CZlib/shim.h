#ifndef DLRT_CZLIB_SHIM_H
#define DLRT_CZLIB_SHIM_H
#include <zlib.h>
#endif

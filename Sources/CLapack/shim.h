#ifndef DLRT_CLAPACK_SHIM_H
#define DLRT_CLAPACK_SHIM_H
// Complex types as plain structs: the Swift importer cannot see C99 _Complex.
#define LAPACK_COMPLEX_STRUCTURE 1
#include <cblas.h>
#include <lapacke.h>
#endif

#ifndef WAVERNN_CBLAS_SHIM_H
#define WAVERNN_CBLAS_SHIM_H
// Debian puts cblas.h on the multiarch include path (libopenblas-dev).
#include <cblas.h>
// Not declared in every cblas.h; OpenBLAS exports them.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
#endif

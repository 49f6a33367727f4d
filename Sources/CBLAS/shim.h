#ifndef WAVERNN_CBLAS_SHIM_H
#define WAVERNN_CBLAS_SHIM_H
// Debian puts cblas.h on the multiarch include path (libopenblas-dev).
#include <cblas.h>
// Not declared in every cblas.h; OpenBLAS exports them.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
// LAPACK, which Debian's OpenBLAS exports too (the memory probe's ridge regressions and the any-RNN
// wave analysis): the eigen-decomposition of a symmetric matrix, column-major, Fortran calling.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);
#endif

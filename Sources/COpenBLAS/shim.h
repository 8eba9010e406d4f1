// The only C header this package uses: OpenBLAS's CBLAS interface (which also declares
// openblas_set_num_threads). Only Sources/TensorCore/BLAS.swift imports this module.
#include <cblas.h>

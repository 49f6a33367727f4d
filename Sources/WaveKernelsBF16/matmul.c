// Dense bf16 products (WaveKernelsBF16.h, "dense bf16 products"): oneDNN's matmul, opened at run
// time so the binary starts where oneDNN is not installed, and the plain version the tests hold it
// to. oneDNN chooses its own kernels from CPUID: AMX tiles (tdpbf16ps) on Sapphire and Emerald
// Rapids, AVX512-BF16 (vdpbf16ps) on Cooper Lake and Zen 4. It is built here against oneDNN 2.x's
// C API (Debian's libdnnl-dev); without its header the functions report oneDNN missing.
#include "WaveKernelsBF16.h"
#include "bf16_round.h"
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
#endif
void wrnn_bf16_round_rows(uint16_t *out, long ldo, const float *in, long ldi, long rows, long cols) {
    for (long r = 0; r < rows; r++) {
        const float *row = in + r * ldi;
        uint16_t *dst = out + r * ldo;
        for (long j = 0; j < cols; j++) dst[j] = bf16_bits(row[j]);
    }
}

void wrnn_bf16_gemm_plain(
    float *c, long ldc, const uint16_t *a, long lda, int transA, const uint16_t *b, long ldb, int transB, long m, long n,
    long k, float beta) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            float sum = 0; // each product of two bf16 values is exact in fp32: only the sums round
            for (long p = 0; p < k; p++) {
                float x = bf16_value(transA ? a[p * lda + i] : a[i * lda + p]);
                float y = bf16_value(transB ? b[j * ldb + p] : b[p * ldb + j]);
                sum += x * y;
            }
            c[i * ldc + j] = beta == 0 ? sum : sum + beta * c[i * ldc + j];
        }
    }
}

#if defined(__has_include)
#if __has_include(<oneapi/dnnl/dnnl.h>) && defined(__linux__)
#define WRNN_HAVE_DNNL_HEADER 1
#endif
#endif

#if WRNN_HAVE_DNNL_HEADER
#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>

// The oneDNN functions used, resolved from libdnnl.so.2 by name.
static struct {
    dnnl_status_t (*engine_create)(dnnl_engine_t *, dnnl_engine_kind_t, size_t);
    dnnl_status_t (*stream_create)(dnnl_stream_t *, dnnl_engine_t, unsigned);
    dnnl_status_t (*memory_desc_init_by_strides)(dnnl_memory_desc_t *, int, const dnnl_dims_t, dnnl_data_type_t, const dnnl_dims_t);
    dnnl_status_t (*matmul_desc_init)(dnnl_matmul_desc_t *, const dnnl_memory_desc_t *, const dnnl_memory_desc_t *,
                                      const dnnl_memory_desc_t *, const dnnl_memory_desc_t *);
    dnnl_status_t (*primitive_attr_create)(dnnl_primitive_attr_t *);
    dnnl_status_t (*primitive_attr_destroy)(dnnl_primitive_attr_t);
    dnnl_status_t (*post_ops_create)(dnnl_post_ops_t *);
    dnnl_status_t (*post_ops_destroy)(dnnl_post_ops_t);
    dnnl_status_t (*post_ops_append_sum)(dnnl_post_ops_t, float);
    dnnl_status_t (*primitive_attr_set_post_ops)(dnnl_primitive_attr_t, const_dnnl_post_ops_t);
    dnnl_status_t (*primitive_desc_create)(dnnl_primitive_desc_t *, const_dnnl_op_desc_t, const_dnnl_primitive_attr_t,
                                           dnnl_engine_t, const_dnnl_primitive_desc_t);
    dnnl_status_t (*primitive_desc_query)(const_dnnl_primitive_desc_t, dnnl_query_t, int, void *);
    dnnl_status_t (*primitive_desc_destroy)(dnnl_primitive_desc_t);
    dnnl_status_t (*primitive_create)(dnnl_primitive_t *, const_dnnl_primitive_desc_t);
    dnnl_status_t (*primitive_destroy)(dnnl_primitive_t);
    dnnl_status_t (*memory_create)(dnnl_memory_t *, const dnnl_memory_desc_t *, dnnl_engine_t, void *);
    dnnl_status_t (*memory_set_data_handle)(dnnl_memory_t, void *);
    dnnl_status_t (*memory_destroy)(dnnl_memory_t);
    dnnl_status_t (*primitive_execute)(const_dnnl_primitive_t, dnnl_stream_t, int, const dnnl_exec_arg_t *);
    dnnl_status_t (*stream_wait)(dnnl_stream_t);
    void (*omp_set_num_threads)(int);
} dnnl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int loaded = 0;
static char load_error[256] = "";

static void load(void) {
    void *library = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(load_error, sizeof load_error, "oneDNN (libdnnl.so.2) is not installed; run scripts/setup.sh or apt-get install libdnnl2");
        return;
    }
#define RESOLVE(field, name)                                                                                        \
    if (!(*(void **)&dnnl.field = dlsym(library, name))) {                                                          \
        snprintf(load_error, sizeof load_error, "libdnnl.so.2 has no %s: oneDNN 2.x is needed", name);            \
        return;                                                                                                     \
    }
    RESOLVE(engine_create, "dnnl_engine_create")
    RESOLVE(stream_create, "dnnl_stream_create")
    RESOLVE(memory_desc_init_by_strides, "dnnl_memory_desc_init_by_strides")
    RESOLVE(matmul_desc_init, "dnnl_matmul_desc_init")
    RESOLVE(primitive_attr_create, "dnnl_primitive_attr_create")
    RESOLVE(primitive_attr_destroy, "dnnl_primitive_attr_destroy")
    RESOLVE(post_ops_create, "dnnl_post_ops_create")
    RESOLVE(post_ops_destroy, "dnnl_post_ops_destroy")
    RESOLVE(post_ops_append_sum, "dnnl_post_ops_append_sum")
    RESOLVE(primitive_attr_set_post_ops, "dnnl_primitive_attr_set_post_ops")
    RESOLVE(primitive_desc_create, "dnnl_primitive_desc_create")
    RESOLVE(primitive_desc_query, "dnnl_primitive_desc_query")
    RESOLVE(primitive_desc_destroy, "dnnl_primitive_desc_destroy")
    RESOLVE(primitive_create, "dnnl_primitive_create")
    RESOLVE(primitive_destroy, "dnnl_primitive_destroy")
    RESOLVE(memory_create, "dnnl_memory_create")
    RESOLVE(memory_set_data_handle, "dnnl_memory_set_data_handle")
    RESOLVE(memory_destroy, "dnnl_memory_destroy")
    RESOLVE(primitive_execute, "dnnl_primitive_execute")
    RESOLVE(stream_wait, "dnnl_stream_wait")
#undef RESOLVE
    // oneDNN runs on OpenMP; our shards are the threads, one product each, so its team is one thread
    void *openmp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (openmp) *(void **)&dnnl.omp_set_num_threads = dlsym(openmp, "omp_set_num_threads");
    loaded = 1;
}

int wrnn_dnnl_load(char *why, long capacity) {
    pthread_once(&load_once, load);
    if (!loaded && why && capacity > 0) snprintf(why, (size_t)capacity, "%s", load_error);
    return loaded;
}

// Each thread keeps its own engine, stream and primitives (oneDNN streams are not shared between
// threads), one primitive per product shape, built at first use and reused for every step after.
enum { cache_size = 32 };
typedef struct {
    long m, n, k, lda, ldb, ldc;
    int transA, transB, accumulate;
    dnnl_primitive_t primitive;
    dnnl_memory_t a, b, c;
    char impl[64];
} entry_t;

static __thread dnnl_engine_t engine;
static __thread dnnl_stream_t stream;
static __thread entry_t cache[cache_size];
static __thread int cache_used, cache_next;

static void destroy(entry_t *e) {
    if (e->primitive) dnnl.primitive_destroy(e->primitive);
    if (e->a) dnnl.memory_destroy(e->a);
    if (e->b) dnnl.memory_destroy(e->b);
    if (e->c) dnnl.memory_destroy(e->c);
    memset(e, 0, sizeof *e);
}

static entry_t *primitive_for(long m, long n, long k, long lda, int transA, long ldb, int transB, long ldc, int accumulate) {
    for (int i = 0; i < cache_used; i++) {
        entry_t *e = &cache[i];
        if (e->m == m && e->n == n && e->k == k && e->lda == lda && e->ldb == ldb && e->ldc == ldc && e->transA == transA &&
            e->transB == transB && e->accumulate == accumulate)
            return e;
    }
    if (!engine) {
        if (dnnl.engine_create(&engine, dnnl_cpu, 0) != dnnl_success) return NULL;
        if (dnnl.stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) return NULL;
        if (dnnl.omp_set_num_threads) dnnl.omp_set_num_threads(1);
    }
    entry_t *e = &cache[cache_used < cache_size ? cache_used++ : (cache_next++ % cache_size)];
    destroy(e);
    // op(a) is [m, k], op(b) [k, n], c [m, n]: row-major, a transpose is a swap of strides
    dnnl_memory_desc_t da, db, dc;
    dnnl_dims_t shapeA = { m, k }, shapeB = { k, n }, shapeC = { m, n };
    dnnl_dims_t stridesA = { transA ? 1 : lda, transA ? lda : 1 }, stridesB = { transB ? 1 : ldb, transB ? ldb : 1 },
                stridesC = { ldc, 1 };
    dnnl_matmul_desc_t desc;
    if (dnnl.memory_desc_init_by_strides(&da, 2, shapeA, dnnl_bf16, stridesA) != dnnl_success ||
        dnnl.memory_desc_init_by_strides(&db, 2, shapeB, dnnl_bf16, stridesB) != dnnl_success ||
        dnnl.memory_desc_init_by_strides(&dc, 2, shapeC, dnnl_f32, stridesC) != dnnl_success ||
        dnnl.matmul_desc_init(&desc, &da, &db, NULL, &dc) != dnnl_success)
        return NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    if (accumulate) { // c += op(a) op(b): oneDNN's sum post-op adds the old c to the product
        if (dnnl.primitive_attr_create(&attr) != dnnl_success || dnnl.post_ops_create(&ops) != dnnl_success ||
            dnnl.post_ops_append_sum(ops, 1.0f) != dnnl_success || dnnl.primitive_attr_set_post_ops(attr, ops) != dnnl_success)
            return NULL;
    }
    dnnl_primitive_desc_t pd;
    dnnl_status_t status = dnnl.primitive_desc_create(&pd, &desc, attr, engine, NULL);
    if (ops) dnnl.post_ops_destroy(ops);
    if (attr) dnnl.primitive_attr_destroy(attr);
    if (status != dnnl_success) return NULL;
    const char *impl = NULL;
    if (dnnl.primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl)
        snprintf(e->impl, sizeof e->impl, "%s", impl);
    status = dnnl.primitive_create(&e->primitive, pd);
    dnnl.primitive_desc_destroy(pd);
    if (status != dnnl_success) { e->primitive = NULL; return NULL; }
    if (dnnl.memory_create(&e->a, &da, engine, DNNL_MEMORY_NONE) != dnnl_success ||
        dnnl.memory_create(&e->b, &db, engine, DNNL_MEMORY_NONE) != dnnl_success ||
        dnnl.memory_create(&e->c, &dc, engine, DNNL_MEMORY_NONE) != dnnl_success) {
        destroy(e);
        return NULL;
    }
    e->m = m; e->n = n; e->k = k; e->lda = lda; e->ldb = ldb; e->ldc = ldc;
    e->transA = transA; e->transB = transB; e->accumulate = accumulate;
    return e;
}

int wrnn_bf16_gemm(
    float *c, long ldc, const uint16_t *a, long lda, int transA, const uint16_t *b, long ldb, int transB, long m, long n,
    long k, float beta) {
    if (!wrnn_dnnl_load(NULL, 0)) return 1;
    entry_t *e = primitive_for(m, n, k, lda, transA, ldb, transB, ldc, beta != 0);
    if (!e) return 2;
    if (dnnl.memory_set_data_handle(e->a, (void *)a) != dnnl_success || dnnl.memory_set_data_handle(e->b, (void *)b) != dnnl_success ||
        dnnl.memory_set_data_handle(e->c, c) != dnnl_success)
        return 3;
    dnnl_exec_arg_t args[3] = { { DNNL_ARG_SRC, e->a }, { DNNL_ARG_WEIGHTS, e->b }, { DNNL_ARG_DST, e->c } };
    if (dnnl.primitive_execute(e->primitive, stream, 3, args) != dnnl_success) return 4;
    return dnnl.stream_wait(stream) == dnnl_success ? 0 : 5;
}

int wrnn_bf16_gemm_impl(char *impl, long capacity, long m, long n, long k) {
    if (!wrnn_dnnl_load(NULL, 0)) return 1;
    entry_t *e = primitive_for(m, n, k, k, 0, k, 1, n, 0);
    if (!e) return 2;
    snprintf(impl, (size_t)capacity, "%s", e->impl);
    return 0;
}

#else

int wrnn_dnnl_load(char *why, long capacity) {
    if (why && capacity > 0)
        snprintf(why, (size_t)capacity, "this wrnn was built without oneDNN's header; run scripts/setup.sh (libdnnl-dev) and rebuild");
    return 0;
}

int wrnn_bf16_gemm(
    float *c, long ldc, const uint16_t *a, long lda, int transA, const uint16_t *b, long ldb, int transB, long m, long n,
    long k, float beta) {
    (void)c; (void)ldc; (void)a; (void)lda; (void)transA; (void)b; (void)ldb; (void)transB; (void)m; (void)n; (void)k; (void)beta;
    return 1;
}

int wrnn_bf16_gemm_impl(char *impl, long capacity, long m, long n, long k) {
    (void)impl; (void)capacity; (void)m; (void)n; (void)k;
    return 1;
}

#endif

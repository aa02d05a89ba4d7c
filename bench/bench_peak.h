/* The floating-point ceiling of one core: single-precision FMA throughput measured with independent
 * accumulator chains, for the vector width of a kernel table. The benchmarks quote their GFLOP/s
 * against it, so that a speed ratio can be judged against the most any float32 code could reach. */
#ifndef EVOTUNE_BENCH_PEAK_H
#define EVOTUNE_BENCH_PEAK_H

/* GFLOP/s (an FMA counts 2) of one core running fused multiply-adds of the vectors of the table named
 * isa ("avx512": 16 floats, "avx2": 8 floats); the best of 5 runs of about 40 ms. Returns 0 for any
 * other name, or where the CPU cannot run that ISA (the caller has checked with evo_kernels_init or
 * evo_kernels_table). Single-threaded, no allocation. */
double bench_peak_gflops(const char *isa);

#endif

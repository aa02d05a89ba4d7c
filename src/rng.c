/* Random streams: splitmix64 mixes (seed, generation, individual, purpose) into the 256-bit state of
 * xoshiro256** (Blackman & Vigna). No global state anywhere. */
#include "evotune/rng.h"
#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void evo_rng_seed(struct evo_rng *rng, uint64_t seed, uint64_t generation, uint64_t individual,
                  uint64_t purpose)
{
    /* Each coordinate passes through the mixer before the next is added, so that nearby tuples
     * (generation 1, individual 0) and (generation 0, individual 1) give unrelated streams. */
    uint64_t x = seed;
    x = splitmix64(&x) ^ generation;
    x = splitmix64(&x) ^ individual;
    x = splitmix64(&x) ^ purpose;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
    if (!(rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]))
        rng->s[0] = 1; /* the all-zero state is the one xoshiro cannot leave */
}

uint64_t evo_rng_next(struct evo_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double evo_rng_uniform(struct evo_rng *rng)
{
    return (double)(evo_rng_next(rng) >> 11) * 0x1.0p-53;
}

float evo_rng_uniformf(struct evo_rng *rng)
{
    return (float)(evo_rng_next(rng) >> 40) * 0x1.0p-24f;
}

double evo_rng_normal(struct evo_rng *rng)
{
    double u1 = 1.0 - evo_rng_uniform(rng); /* (0, 1]: log is finite */
    double u2 = evo_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t evo_rng_below(struct evo_rng *rng, uint64_t n)
{
    /* Rejection of the top partial block removes the modulo bias. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = evo_rng_next(rng);
    while (x >= limit);
    return x % n;
}

void evo_rng_shuffle(struct evo_rng *rng, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)evo_rng_below(rng, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

/* Explicit random number streams. Every random draw in evotune comes from a stream derived from
 * (run seed, generation, individual, purpose), so results never depend on thread count or on the order
 * in which threads finish. Generator: xoshiro256** seeded through splitmix64. */
#ifndef EVOTUNE_RNG_H
#define EVOTUNE_RNG_H
#include <stddef.h>
#include <stdint.h>

/* What a stream is used for; part of the stream's identity, so purposes never share draws. */
enum evo_rng_purpose {
    EVO_RNG_SPLIT = 1,  /* train/validation/test split (generation and individual 0) */
    EVO_RNG_INIT,       /* initial random genome of an individual */
    EVO_RNG_BREED,      /* selection, crossover and mutation producing an individual */
    EVO_RNG_TRAIN,      /* weight initialisation, batch order and dropout of an individual */
    EVO_RNG_PROPOSE,    /* a model-guided proposal (tpe): the candidates drawn for a trial */
};

struct evo_rng {
    uint64_t s[4];
};

/* Derives the stream (seed, generation, individual, purpose). Same inputs, same stream, always. */
void evo_rng_seed(struct evo_rng *rng, uint64_t seed, uint64_t generation, uint64_t individual,
                  uint64_t purpose);
/* Next 64 random bits. */
uint64_t evo_rng_next(struct evo_rng *rng);
/* Uniform double in [0, 1), 53 random bits. */
double evo_rng_uniform(struct evo_rng *rng);
/* Uniform float in [0, 1), 24 random bits. */
float evo_rng_uniformf(struct evo_rng *rng);
/* Standard normal (Box-Muller, no cached spare, so the state is the four words alone). */
double evo_rng_normal(struct evo_rng *rng);
/* Uniform integer in [0, n), without modulo bias; n must be > 0. */
uint64_t evo_rng_below(struct evo_rng *rng, uint64_t n);
/* Fisher-Yates shuffle of idx[0..n). */
void evo_rng_shuffle(struct evo_rng *rng, size_t *idx, size_t n);

#endif

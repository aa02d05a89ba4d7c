/* A deliberate data race, built and registered only in the TSan build (EVOTUNE_SANITIZE=thread): two
 * OpenMP threads increment a plain int with no synchronisation. The test passes only when TSan reports
 * the race, which proves that the TSan build, with LLVM's libomp, does detect races in the loop over
 * individuals; a clean TSan run of the other tests then means something. */
#include <stdio.h>

int main(void)
{
    int counter = 0;
    #pragma omp parallel num_threads(2)
    for (int i = 0; i < 100000; i++)
        counter++; /* the race */
    printf("counter = %d (200000 without the race)\n", counter);
    return 0;
}

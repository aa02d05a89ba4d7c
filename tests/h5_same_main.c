/* h5_same FILE [OTHER]: with OTHER, exit 0 when the two results files are the same as the
 * reproducibility invariants state them (h5_same.h: every object, attribute and byte but what measures
 * the writing process), else one line naming the first difference and exit 1; alone, whether FILE
 * reads whole. For the shell tests that compare files written by other processes (mpi_check.sh). */
#include "h5_same.h"

int main(int argc, char **argv)
{
    char why[1024];
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: h5_same FILE [OTHER]\n");
        return 2;
    }
    if (argc == 2 ? h5_same_readable(argv[1], why, sizeof why) : h5_same(argv[1], argv[2], why, sizeof why)) {
        fprintf(stderr, "h5_same: %s%s%s: %s\n", argv[1], argc == 3 ? " and " : "", argc == 3 ? argv[2] : "", why);
        return 1;
    }
    return 0;
}

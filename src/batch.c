/* The rows of an epoch and their cut into mini-batches: shuffled, stratified or class-balanced
 * (batch.h). */
#include "evotune/batch.h"
#include <string.h>

/* ---- the epoch's row order ---- */

/* Groups the rows of train by class into ws->by_class (stable), class c at
 * [class_start[c], class_start[c + 1]), and shuffles each group. */
static void group_by_class(struct evo_mlp_workspace *ws, const struct evo_dataset *train, size_t C,
                           struct evo_rng *rng)
{
    size_t *start = ws->class_start, *next = ws->class_next;
    memset(start, 0, (C + 1) * sizeof *start);
    for (size_t i = 0; i < train->n; i++)
        start[(size_t)train->y[i] + 1]++;
    for (size_t c = 0; c < C; c++)
        start[c + 1] += start[c];
    memcpy(next, start, C * sizeof *next);
    for (size_t i = 0; i < train->n; i++)
        ws->by_class[next[(size_t)train->y[i]]++] = i;
    for (size_t c = 0; c < C; c++) {
        evo_rng_shuffle(rng, ws->by_class + start[c], start[c + 1] - start[c]);
        next[c] = start[c];
    }
}

/* The next row of class c: its group in order; when `cycle`, used-up groups are reshuffled and
 * taken again (balanced selection may need more rows of a class than it has). */
static size_t take_row(struct evo_mlp_workspace *ws, size_t c, int cycle, struct evo_rng *rng)
{
    size_t lo = ws->class_start[c], hi = ws->class_start[c + 1];
    if (ws->class_next[c] == hi && cycle) {
        evo_rng_shuffle(rng, ws->by_class + lo, hi - lo);
        ws->class_next[c] = lo;
    }
    return ws->by_class[ws->class_next[c]++];
}

static void sift_down(uint64_t *k, size_t i, size_t n)
{
    for (;;) {
        size_t m = i, l = 2 * i + 1, r = l + 1;
        if (l < n && k[l] < k[m])
            m = l;
        if (r < n && k[r] < k[m])
            m = r;
        if (m == i)
            return;
        uint64_t t = k[i];
        k[i] = k[m];
        k[m] = t;
        i = m;
    }
}

/* Sorts k[0..n) in descending order: heapsort, in place (qsort may allocate). */
static void sort_descending(uint64_t *k, size_t n)
{
    for (size_t i = n / 2; i-- > 0;) /* a min-heap, whose minimum then goes to the end */
        sift_down(k, i, n);
    for (size_t end = n; end > 1;) {
        uint64_t t = k[0];
        k[0] = k[--end];
        k[end] = t;
        sift_down(k, 0, end);
    }
}

/* Lays out an epoch of n = sum(target) rows, target[c] of class c, in batches of bs so that batch k
 * (B rows) holds floor(B target[c] / n) rows of class c plus at most one more. The "one more"s form
 * a 0/1 matrix (batches x classes) with known row sums (the batch's shortfall) and column sums (the
 * class's total shortfall over the epoch); filling each batch's with the classes of largest
 * remaining column sums is Ryser's construction, which succeeds whenever such a matrix exists, and
 * one does (a matrix whose rows and columns sum to integers can be rounded entry-wise, floor or ceil,
 * keeping those sums). Products B * target[c] assume fewer than 2^47 rows, the sort keys fewer than
 * 2^24 classes. */
static void interleave(struct evo_mlp_workspace *ws, size_t n, size_t bs, size_t C, int cycle,
                       struct evo_rng *rng)
{
    const size_t *target = ws->class_target;
    size_t *extra = ws->class_extra, *left = ws->class_list, *quota = ws->class_quota;
    uint64_t *key = ws->class_key;
    size_t full = n / bs, last = n % bs;
    for (size_t c = 0; c < C; c++) {
        extra[c] = target[c] - full * (bs * target[c] / n) - last * target[c] / n;
        left[c] = target[c];
    }
    size_t pos = 0;
    for (size_t start = 0; start < n; start += bs) {
        size_t B = n - start < bs ? n - start : bs, placed = 0, nk = 0;
        for (size_t c = 0; c < C; c++)
            placed += B * target[c] / n;
        /* classes by remaining shortfall, largest first, lower index first among equals */
        for (size_t c = 0; c < C; c++)
            if (extra[c] > 0)
                key[nk++] = ((uint64_t)extra[c] << 24) | (uint64_t)(0xffffff - c);
        sort_descending(key, nk);
        for (size_t c = 0; c < C; c++)
            quota[c] = B * target[c] / n;
        for (size_t i = 0; i < B - placed && i < nk; i++) {
            size_t c = 0xffffff - (size_t)(key[i] & 0xffffff);
            quota[c]++;
            extra[c]--;
        }
        for (size_t c = 0; c < C; c++) {
            size_t q = quota[c] < left[c] ? quota[c] : left[c];
            for (size_t r = 0; r < q; r++)
                ws->order[pos++] = take_row(ws, c, cycle, rng);
            left[c] -= q;
        }
        /* Never reached when the construction holds; keeps the epoch whole if it did not. */
        for (size_t c = 0; c < C && pos < start + B; c++)
            for (; left[c] > 0 && pos < start + B; left[c]--)
                ws->order[pos++] = take_row(ws, c, cycle, rng);
    }
}

void evo_batch_order(struct evo_mlp_workspace *ws, int selection, const struct evo_dataset *train,
                         size_t batch_size, struct evo_rng *rng)
{
    size_t n = train->n;
    if (train->target || (selection != EVO_BATCH_STRATIFIED && selection != EVO_BATCH_BALANCED)) {
        for (size_t k = 0; k < n; k++)
            ws->order[k] = k;
        evo_rng_shuffle(rng, ws->order, n);
        return;
    }
    size_t C = ws->n_out;
    group_by_class(ws, train, C, rng);
    if (selection == EVO_BATCH_STRATIFIED) {
        for (size_t c = 0; c < C; c++)
            ws->class_target[c] = ws->class_start[c + 1] - ws->class_start[c];
    } else {
        /* n / C' rows of each class present; the remainder to a random few, one each */
        size_t present = 0;
        for (size_t c = 0; c < C; c++)
            if (ws->class_start[c + 1] > ws->class_start[c])
                ws->class_list[present++] = c;
        evo_rng_shuffle(rng, ws->class_list, present);
        for (size_t c = 0; c < C; c++)
            ws->class_target[c] = 0;
        for (size_t k = 0; k < present; k++)
            ws->class_target[ws->class_list[k]] = n / present + (k < n % present);
    }
    interleave(ws, n, batch_size, C, selection == EVO_BATCH_BALANCED, rng);
}

const char *const evo_batch_selection_names[EVO_BATCH_COUNT] = {"shuffle", "stratified", "balanced"};

const char *evo_batch_selection_name(int selection)
{
    return selection >= 0 && selection < EVO_BATCH_COUNT ? evo_batch_selection_names[selection] : "unknown";
}

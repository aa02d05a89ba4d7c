/* Tests of the search engine over real training on iris, with the generational strategy (TINY_CONFIG):
 * bookkeeping (ids, parents, generations, elitism), determinism, bit-identical results for any thread
 * count, failed networks, the memory check. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <omp.h>
#include "evotune/config.h"
#include "evotune/finalist.h"
#include "evotune/search.h"
#include "support.h"

struct run {
    struct evo_config cfg;
    struct evo_search s;
    int hook_calls;
};

static int count_hook(const struct evo_search *s, int event, void *user)
{
    struct run *r = user;
    if (event == EVO_SEARCH_PROGRESS)
        return EVO_OK; /* throttled by time: how many there are is not reproducible */
    r->hook_calls++;
    assert_true(s->log.n_gens >= 1);
    return EVO_OK;
}

/* Loads the configuration text with the overrides and initialises its search in r. */
static void init_search(struct run *r, const char *text, const char *const *sets, size_t n)
{
    struct evo_error err = {0};
    memset(r, 0, sizeof *r);
    if (evo_config_load_string(&r->cfg, text, "tiny.cfg", sets, n, &err))
        fail_msg("config: %s", err.msg);
    if (evo_search_init(&r->s, &r->cfg, &err))
        fail_msg("init: %s", err.msg);
}

/* The test split was read exactly once (problem.h counts its uses): what every finished run of real
 * training must show, whatever its strategy, finalists or folds. */
static int test_read_once(const struct evo_search *s)
{
    return s->problem.test_uses == 1;
}

static void run_search_sets(struct run *r, const char *const *sets, size_t n)
{
    struct evo_error err = {0};
    init_search(r, TINY_CONFIG, sets, n);
    if (evo_search_run(&r->s, count_hook, r, &err))
        fail_msg("run: %s", err.msg);
}

static void run_search(struct run *r, const char *set1, const char *set2)
{
    const char *sets[2] = {set1, set2};
    run_search_sets(r, sets, (set1 != NULL) + (set2 != NULL));
}

static void free_run(struct run *r)
{
    evo_search_release(&r->s);
    evo_config_release(&r->cfg);
}

/* Everything but the measured times must match bit for bit. */
static void assert_same_results(const struct evo_runlog *a, const struct evo_runlog *b)
{
    assert_int_equal(a->n_rows, b->n_rows);
    for (size_t i = 0; i < a->n_rows; i++) {
        struct evo_individual x = a->rows[i], y = b->rows[i];
        x.train_seconds = y.train_seconds = x.finished_at = y.finished_at = 0;
        assert_memory_equal(&x, &y, sizeof x);
    }
    assert_int_equal(a->n_gens, b->n_gens);
    for (size_t g = 0; g < a->n_gens; g++) {
        struct evo_generation x = a->gens[g], y = b->gens[g];
        x.wall_seconds = y.wall_seconds = 0;
        assert_memory_equal(&x, &y, sizeof x);
    }
    /* learning curves, in (id, epoch) order */
    assert_int_equal(a->n_curves, b->n_curves);
    for (size_t k = 0; k < a->n_curves; k++) { /* field by field: the padding is not data */
        const struct evo_curve_row *x = &a->curves[k], *y = &b->curves[k];
        assert_true(x->id == y->id && x->epoch == y->epoch);
        assert_memory_equal(&x->train_loss, &y->train_loss, 3 * sizeof(double));
    }
    assert_int_equal(a->best.id, b->best.id);
    assert_int_equal(a->best_net.n_params, b->best_net.n_params);
    assert_memory_equal(a->best_net.params, b->best_net.params, a->best_net.n_params * sizeof(float));
    assert_memory_equal(&a->test_metrics.accuracy, &b->test_metrics.accuracy, sizeof(double));
}

static void test_bookkeeping(void **state)
{
    (void)state;
    struct run r;
    run_search(&r, NULL, NULL);
    const struct evo_runlog *lg = &r.s.log;
    size_t P = 8, G = 4, E = 2;
    assert_int_equal(lg->n_gens, G);
    assert_int_equal(lg->n_rows, P + (G - 1) * (P - E)); /* elites are carried, not retrained */
    assert_int_equal(r.hook_calls, 1);                     /* once finished (progress is throttled) */
    assert_true(lg->finished);
    assert_true(lg->test_metrics.accuracy >= 0 && lg->test_metrics.accuracy <= 1);
    assert_true(test_read_once(&r.s)); /* generational, no finalists */
    for (size_t i = 0; i < lg->n_rows; i++) {
        const struct evo_individual *x = &lg->rows[i];
        assert_int_equal(x->id, (int64_t)i);
        assert_true(evo_genome_in_space(&x->genome, &r.cfg.space));
        assert_true(x->parent_a < x->id && x->parent_b < x->id);
        if (x->generation == 0)
            assert_true(x->parent_a == -1 && x->parent_b == -1);
        else
            assert_true(x->parent_a >= 0);
        assert_true(x->train_seconds >= 0);
        if (x->status == EVO_TRAIN_OK)
            assert_true(x->fitness == x->val.accuracy);
    }
    /* one curve point per epoch run, in (id, epoch) order; the last point of a curve without early
     * stopping is the individual's score */
    size_t k = 0;
    for (size_t i = 0; i < lg->n_rows; i++) {
        const struct evo_individual *x = &lg->rows[i];
        assert_true(x->epochs_run >= 1 && x->epochs_run <= (int32_t)x->genome.g[EVO_GENE_EPOCHS]);
        for (int32_t e = 0; e < x->epochs_run; e++, k++) {
            assert_true(k < lg->n_curves);
            assert_int_equal(lg->curves[k].id, x->id);
            assert_int_equal(lg->curves[k].epoch, e);
        }
        const struct evo_curve_row *last = &lg->curves[k - 1];
        if (x->status == EVO_TRAIN_OK && x->genome.g[EVO_GENE_EARLY_STOPPING] == 0)
            assert_true(last->val_fitness == x->fitness && last->val_loss == x->val.loss);
    }
    assert_int_equal(k, lg->n_curves);
    /* elitism: the best fitness of a generation never falls */
    for (size_t g = 1; g < lg->n_gens; g++)
        assert_true(lg->gens[g].best_fitness >= lg->gens[g - 1].best_fitness);
    for (size_t g = 0; g < lg->n_gens; g++) {
        assert_int_equal(lg->gens[g].evaluations, g ? (int)(P - E) : (int)P);
        assert_true(lg->gens[g].mean_fitness <= lg->gens[g].best_fitness);
        assert_true(lg->gens[g].std_fitness >= 0);
    }
    /* the recorded best is the best row, and its network is the trained one */
    for (size_t i = 0; i < lg->n_rows; i++)
        assert_false(evo_trial_better(&lg->rows[i], &lg->best));
    assert_true(lg->best.fitness == lg->gens[G - 1].best_fitness);
    assert_true(lg->best_net.n_params > 0);
    free_run(&r);
}

static void test_thread_count_invariance(void **state)
{
    (void)state;
    struct run one, two, three;
    run_search(&one, "run.threads = 1", NULL);
    run_search(&two, "run.threads = 2", NULL);
    run_search(&three, "run.threads = 3", NULL);
    assert_int_equal(two.s.threads, 2);
    assert_same_results(&one.s.log, &two.s.log);
    assert_same_results(&one.s.log, &three.s.log);
    free_run(&one);
    free_run(&two);
    free_run(&three);
}

/* Promotion (random: ASHA; steady_state; tpe), with early stopping and the plateau schedule free: which
 * paused trainings are kept changes no result — none kept (every promotion trains from the start),
 * the small ones, or all — nor does the thread count; promotions happened, went on from kept states
 * when there was room, and every promotion continues a paused row one rung up. */
static void test_promotion_memory_changes_nothing(void **state)
{
    (void)state;
    static const char *const strategies[] = {"run.strategy = \"random\"", "run.strategy = \"steady_state\"",
                                             "run.strategy = \"tpe\""};
    for (size_t k = 0; k < 3; k++) {
        const char *sets[] = {strategies[k], "run.max_trials = 48", "run.workers = 4", "promotion.enabled = true",
                              "promotion.eta = 2", "search.early_stopping = { choice = [\"off\", \"on\"]; }",
                              "search.patience = 1",
                              "search.lr_schedule = { choice = [\"constant\", \"cosine\", \"plateau\"]; }"};
        struct run r[3];
        /* paused trainings kept: all (the room run.max_memory leaves), none, the small ones (16 KiB) */
        const size_t room[3] = {0, 0, 16 * 1024};
        const char *threads[3] = {"run.threads = 1", "run.threads = 2", "run.threads = 3"};
        for (int i = 0; i < 3; i++) {
            struct evo_error err = {0};
            const char *all[9];
            memcpy(all, sets, sizeof sets);
            all[8] = threads[i];
            init_search(&r[i], TINY_SPACE, all, 9);
            if (i > 0)
                r[i].s.paused_room = room[i];
            if (evo_search_run(&r[i].s, NULL, NULL, &err))
                fail_msg("%s", err.msg);
        }
        const struct evo_runlog *lg = &r[0].s.log;
        size_t promoted = 0;
        for (size_t i = 0; i < lg->n_rows; i++) {
            const struct evo_individual *x = &lg->rows[i];
            if (x->rung == 0) {
                assert_true(x->origin == x->id && x->from_epoch == 0);
                continue;
            }
            promoted++;
            const struct evo_individual *p = evo_runlog_find(lg, x->parent_a);
            assert_non_null(p);
            assert_true(p->paused && p->rung == x->rung - 1 && p->budget == x->from_epoch && p->origin == x->origin);
            assert_true(x->budget > x->from_epoch && x->budget <= (int32_t)x->genome.g[EVO_GENE_EPOCHS]);
        }
        assert_true(promoted >= 5);
        assert_true(r[0].s.resumed > 0);
        assert_int_equal(r[1].s.resumed, 0);
        assert_true(r[2].s.resumed > 0 && r[2].s.resumed < r[0].s.resumed); /* some kept, some dropped */
        assert_same_results(&r[0].s.log, &r[1].s.log);
        assert_same_results(&r[0].s.log, &r[2].s.log);
        for (int i = 0; i < 3; i++) { /* random, steady_state and tpe, promoted, with 5 x 3 finalists */
            assert_true(test_read_once(&r[i].s));
            free_run(&r[i]);
        }
    }
}

/* run.max_epochs: trials are decided while the epochs decided before them (a promotion counts the
 * epochs it adds) stay below the budget, whichever of it and run.max_trials comes first. */
static void test_epoch_budget(void **state)
{
    (void)state;
    const char *sets[] = {"run.strategy = \"random\"", "run.max_trials = 1000", "run.max_epochs = 60",
                          "promotion.enabled = true", "promotion.eta = 2"};
    for (int promo = 0; promo < 2; promo++) {
        struct run r;
        struct evo_error err = {0};
        init_search(&r, TINY_SPACE, sets, promo ? 5 : 3);
        if (evo_search_run(&r.s, NULL, NULL, &err))
            fail_msg("%s", err.msg);
        const struct evo_runlog *lg = &r.s.log;
        int64_t before_last = 0, total = 0;
        size_t n = 0; /* search rows: the finalists (5 x 3 by default) come after them, outside the budget */
        while (n < lg->n_rows && lg->rows[n].purpose == EVO_PURPOSE_SEARCH)
            n++;
        for (size_t i = 0; i < n; i++) {
            int64_t e = lg->rows[i].budget - lg->rows[i].from_epoch;
            total += e;
            if (i + 1 < n)
                before_last += e;
        }
        assert_int_equal(lg->n_rows - n, 15);
        assert_int_equal(evo_search_done(&r.s), (long)n);
        assert_true(n > 5 && n < 60);
        assert_true(before_last < 60 && total >= 60);
        free_run(&r);
    }
}

/* Finalists (finalist.h), on iris with real training: the top 5 distinct genomes of 24 random trials
 * trained again 3 times each after the search, as trials of their own; the winner is the best mean
 * over those runs and the best network its run closest to that mean, whose network the log holds;
 * the test split is read once, for it (and the count catches a second read); any thread count gives
 * the same file. */
static void test_finalists(void **state)
{
    (void)state;
    const char *sets[] = {"run.strategy = \"random\"", "run.max_trials = 24", "run.workers = 5", "run.threads = 1"};
    struct run r[3];
    for (int i = 0; i < 3; i++) {
        struct evo_error err = {0};
        const char *threads[] = {"run.threads = 1", "run.threads = 3", "run.threads = 2"};
        const char *all[4] = {sets[0], sets[1], sets[2], threads[i]};
        init_search(&r[i], TINY_SPACE, all, 4);
        r[i].s.test_rescore = i == 2; /* the third run scores the test split twice */
        if (evo_search_run(&r[i].s, NULL, NULL, &err))
            fail_msg("%s", err.msg);
    }
    const struct evo_runlog *lg = &r[0].s.log;
    assert_int_equal(lg->n_rows, 24 + 15);
    assert_int_equal(evo_search_done(&r[0].s), 24);
    size_t differs = 0;
    for (size_t i = 24; i < lg->n_rows; i++) {
        const struct evo_individual *x = &lg->rows[i];
        const struct evo_individual *src = evo_runlog_find(lg, x->parent_a);
        assert_int_equal(x->purpose, EVO_PURPOSE_FINALIST);
        assert_true(src && src->purpose == EVO_PURPOSE_SEARCH && src->status == EVO_TRAIN_OK);
        assert_true(x->origin == x->id && x->from_epoch == 0 && x->budget == (int32_t)x->genome.g[EVO_GENE_EPOCHS]);
        assert_memory_equal(&x->genome, &src->genome, sizeof x->genome);
        differs += x->fitness != src->fitness || x->val.loss != src->val.loss; /* streams of its own */
    }
    assert_true(differs > 0);
    struct evo_finalist *fs;
    size_t n = evo_finalists_summarize(lg->rows, lg->n_rows, &fs);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(fs[i].runs, 3);
        assert_true(i == 0 || fs[i].mean <= fs[i - 1].mean);
    }
    /* they are the 5 best distinct genomes: a search row that ranks above the 5th repeats a finalist's
     * network (every gene that applies equal) */
    const struct evo_individual *last = NULL; /* the finalist whose search row ranks lowest */
    for (size_t j = 0; j < n; j++) {
        const struct evo_individual *f = evo_runlog_find(lg, fs[j].id);
        if (!last || evo_trial_better(last, f))
            last = f;
    }
    for (size_t k = 0; k < 24; k++) {
        const struct evo_individual *x = &lg->rows[k];
        int same = 0;
        for (size_t j = 0; j < n && !same; j++) {
            const struct evo_individual *f = evo_runlog_find(lg, fs[j].id);
            same = 1;
            for (int g = 0; g < EVO_GENE_COUNT; g++)
                if (evo_genome_applies(&x->genome, g) != evo_genome_applies(&f->genome, g) ||
                    (evo_genome_applies(&x->genome, g) && x->genome.g[g] != f->genome.g[g]))
                    same = 0;
        }
        assert_true(same || !evo_trial_better(x, last));
    }
    assert_int_equal(lg->best.id, fs[0].chosen);
    free(fs);
    /* the network kept is the chosen run's: it scores on validation what the row says */
    struct evo_metrics m;
    struct evo_mlp_workspace ws;
    evo_mlp_workspace_init_for(&ws, &lg->best_net.arch, 64, 1);
    evo_mlp_evaluate(&lg->best_net, &ws, &r[0].s.problem.validation, &m);
    assert_memory_equal(&m.accuracy, &lg->best.val.accuracy, sizeof m.accuracy);
    evo_mlp_workspace_release(&ws);
    assert_true(isfinite(lg->test_metrics.accuracy));
    assert_true(test_read_once(&r[0].s) && test_read_once(&r[1].s));
    assert_false(test_read_once(&r[2].s)); /* read twice: the count sees it */
    assert_int_equal(r[2].s.problem.test_uses, 2);
    assert_same_results(&r[0].s.log, &r[1].s.log);
    for (int i = 0; i < 3; i++)
        free_run(&r[i]);
}

/* Cross-validation (data.folds = 3) on iris: every row's fitness and validation metrics are the means
 * of its folds' (in fold order, bit for bit), each fold recorded; the folds are stratified and cover
 * the pool once; 1 and 2 threads give the same log; the best network is trained on the whole pool for
 * the mean of its folds' kept epochs, and the test split is read once. With finalists too. */
static void test_cross_validation(void **state)
{
    (void)state;
    for (int fin = 0; fin < 2; fin++) {
        struct run r[2];
        for (int i = 0; i < 2; i++) {
            struct evo_error err = {0};
            const char *sets[] = {"run.strategy = \"random\"", "run.max_trials = 12", "run.workers = 4",
                                  "data.folds = 3", i ? "run.threads = 2" : "run.threads = 1",
                                  fin ? "finalists.count = 2" : "finalists.count = 0"};
            init_search(&r[i], TINY_SPACE, sets, 6);
            if (evo_search_run(&r[i].s, NULL, NULL, &err))
                fail_msg("%s", err.msg);
        }
        const struct evo_problem *p = &r[0].s.problem;
        assert_int_equal(p->n_folds, 3);
        assert_int_equal(p->validation.n, 0);
        size_t counts[3][3] = {{0}}; /* [fold][class] of the held-out rows */
        for (size_t f = 0; f < 3; f++) {
            assert_int_equal(p->fold_train[f].n + p->fold_val[f].n, p->train.n);
            for (size_t i = 0; i < p->fold_val[f].n; i++)
                counts[f][p->fold_val[f].y[i]]++;
        }
        for (size_t c = 0; c < 3; c++) /* stratified: a class's rows spread evenly over the folds */
            for (size_t f = 1; f < 3; f++)
                assert_true(counts[f][c] + 1 >= counts[0][c] && counts[0][c] + 1 >= counts[f][c]);
        const struct evo_runlog *lg = &r[0].s.log;
        assert_int_equal(lg->n_rows, 12 + (fin ? 6 : 0));
        assert_int_equal(lg->n_fold_rows, 3 * lg->n_rows);
        for (size_t i = 0; i < lg->n_rows; i++) {
            const struct evo_individual *x = &lg->rows[i];
            size_t n;
            const struct evo_fold_row *folds = evo_runlog_folds(lg, x->id, &n);
            assert_int_equal(n, 3);
            double sum = 0;
            int ok = 1;
            for (size_t k = 0; k < n; k++) {
                assert_int_equal(folds[k].fold, (int32_t)k);
                sum += folds[k].fitness;
                ok &= folds[k].status == EVO_TRAIN_OK;
            }
            double mean = ok ? sum / 3.0 : evo_trial_failed_fitness(r[0].cfg.fitness);
            assert_memory_equal(&x->fitness, &mean, sizeof mean);
            assert_true(folds[0].fitness != folds[1].fitness || folds[1].fitness != folds[2].fitness ||
                        folds[0].val_loss != folds[1].val_loss); /* the folds hold out different rows */
        }
        /* the best network: trained on the pool for the mean of the kept epochs */
        size_t n;
        const struct evo_fold_row *folds = evo_runlog_folds(lg, lg->best.id, &n);
        double kept = 0;
        for (size_t k = 0; k < n; k++)
            kept += folds[k].epochs_kept;
        assert_int_equal(lg->final_epochs, (int32_t)floor(kept / 3.0 + 0.5));
        assert_true(lg->best_net.n_params > 0 && isfinite(lg->test_metrics.accuracy));
        assert_true(test_read_once(&r[0].s) && test_read_once(&r[1].s));
        if (fin)
            assert_int_equal(lg->best.purpose, EVO_PURPOSE_FINALIST);
        assert_same_results(&r[0].s.log, &r[1].s.log);
        assert_int_equal(r[1].s.log.n_fold_rows, lg->n_fold_rows);
        for (size_t k = 0; k < lg->n_fold_rows; k++) { /* field by field: the padding is not data */
            const struct evo_fold_row *a = &lg->fold_rows[k], *b = &r[1].s.log.fold_rows[k];
            assert_true(a->id == b->id && a->fold == b->fold && a->status == b->status &&
                        a->epochs_run == b->epochs_run && a->epochs_kept == b->epochs_kept);
            assert_memory_equal(&a->fitness, &b->fitness, 2 * sizeof(double));
        }
        for (int i = 0; i < 2; i++)
            free_run(&r[i]);
    }
}

static void test_seed_changes_results(void **state)
{
    (void)state;
    struct run a, b;
    run_search(&a, "run.seed = 1", NULL);
    run_search(&b, "run.seed = 2", NULL);
    int differ = 0;
    for (size_t i = 0; i < a.s.log.n_rows && !differ; i++)
        differ = memcmp(&a.s.log.rows[i].genome, &b.s.log.rows[i].genome, sizeof a.s.log.rows[i].genome) != 0;
    assert_true(differ);
    free_run(&a);
    free_run(&b);
}

static void test_single_network(void **state)
{
    (void)state;
    struct run r;
    run_search(&r, "ga.population = 1", "ga.generations = 1");
    assert_int_equal(r.s.log.n_rows, 1);
    assert_int_equal(r.s.log.n_gens, 1);
    assert_true(r.s.log.finished);
    free_run(&r);
}

static void test_no_elitism_still_tracks_best(void **state)
{
    (void)state;
    struct run r;
    run_search(&r, "ga.elitism = 0", NULL);
    assert_int_equal(r.s.log.n_rows, 8 * 4);
    for (size_t i = 0; i < r.s.log.n_rows; i++)
        assert_false(evo_trial_better(&r.s.log.rows[i], &r.s.log.best));
    free_run(&r);
}

static int stop_hook(const struct evo_search *s, int event, void *user)
{
    (void)user;
    return event == EVO_SEARCH_PROGRESS && s->log.n_gens >= 2 ? EVO_EIO : EVO_OK;
}

static void test_hook_failure_stops_search(void **state)
{
    (void)state;
    struct evo_config cfg;
    struct evo_search s;
    struct evo_error err = {0};
    assert_int_equal(evo_config_load_string(&cfg, TINY_CONFIG, "tiny.cfg", NULL, 0, &err), EVO_OK);
    assert_int_equal(evo_search_init(&s, &cfg, &err), EVO_OK);
    s.save_interval_min = 0; /* a progress call after every result */
    assert_int_equal(evo_search_run(&s, stop_hook, NULL, &err), EVO_EIO);
    assert_int_equal(s.log.n_gens, 2);
    assert_false(s.log.finished);
    evo_search_release(&s);
    evo_config_release(&cfg);
}

/* Loads TINY_CONFIG with the overrides and runs evo_search_init only; returns its status. */
static int init_only(const char *const *sets, size_t n, struct evo_error *err)
{
    struct evo_config cfg;
    struct evo_search s;
    if (evo_config_load_string(&cfg, TINY_CONFIG, "tiny.cfg", sets, n, err))
        fail_msg("config: %s", err->msg);
    int rc = evo_search_init(&s, &cfg, err);
    if (!rc)
        assert_int_equal(s.threads, cfg.threads);
    evo_search_release(&s);
    evo_config_release(&cfg);
    return rc;
}

static void test_missing_data_file(void **state)
{
    (void)state;
    struct evo_error err = {0};
    const char *set = "data.train = \"/nonexistent/x.csv\"";
    assert_int_equal(init_only(&set, 1, &err), EVO_EDATA);
    assert_non_null(strstr(err.msg, "/nonexistent/x.csv"));
}

/* Elitism above the population is clamped to population - 1: one new individual per generation;
 * with population 1 there is no elite, and each generation trains a child of the one before. */
static void test_elitism_clamped(void **state)
{
    (void)state;
    struct run r;
    run_search(&r, "ga.elitism = 100000", NULL);
    assert_int_equal(r.s.log.n_rows, 8 + 3 * 1);
    for (size_t g = 1; g < r.s.log.n_gens; g++)
        assert_int_equal(r.s.log.gens[g].evaluations, 1);
    free_run(&r);
    run_search(&r, "ga.population = 1", "ga.elitism = 5");
    assert_int_equal(r.s.log.n_rows, 4);
    for (size_t i = 1; i < r.s.log.n_rows; i++)
        assert_int_equal(r.s.log.rows[i].parent_a, r.s.log.rows[i - 1].id);
    assert_true(r.s.log.finished);
    free_run(&r);
}

/* run.threads = 0 means every core the runtime reports. */
static void test_threads_zero_is_all_cores(void **state)
{
    (void)state;
    struct evo_config cfg;
    struct evo_search s;
    struct evo_error err = {0};
    const char *set = "run.threads = 0";
    assert_int_equal(evo_config_load_string(&cfg, TINY_CONFIG, "tiny.cfg", &set, 1, &err), EVO_OK);
    assert_int_equal(evo_search_init(&s, &cfg, &err), EVO_OK);
    assert_int_equal(s.threads, omp_get_num_procs());
    evo_search_release(&s);
    evo_config_release(&cfg);
}

/* Parameters of the network a genome encodes on iris (4 features, 3 classes). */
static size_t genome_params(const struct evo_genome *g)
{
    struct evo_mlp_arch arch;
    struct evo_train_params tp;
    size_t n, bytes;
    evo_genome_decode(g, 4, 3, &arch, &tp);
    assert_int_equal(evo_mlp_size(&arch, &n, &bytes, NULL), EVO_OK);
    return n;
}

/* run.max_params: a larger genome is refused before allocation with status too_large, fitness 0,
 * no curve, counted in failures, never best; results stay identical for any thread count. */
static void test_too_large(void **state)
{
    (void)state;
    struct run r, two;
    run_search(&r, "run.max_params = 200", NULL);
    run_search(&two, "run.max_params = 200", "run.threads = 2");
    assert_same_results(&r.s.log, &two.s.log);
    free_run(&two);
    const struct evo_runlog *lg = &r.s.log;
    size_t too_large = 0, ok = 0, k = 0;
    for (size_t i = 0; i < lg->n_rows; i++) {
        const struct evo_individual *x = &lg->rows[i];
        int big = genome_params(&x->genome) > 200;
        assert_int_equal(x->status == EVO_TRAIN_TOO_LARGE, big);
        if (big) {
            too_large++;
            assert_true(x->fitness == 0.0 && x->epochs_run == 0);
            assert_true(isnan(x->val.loss) && isnan(x->val.accuracy) && isnan(x->train_loss));
            assert_true(evo_trial_better(&lg->best, x));
        }
        ok += x->status == EVO_TRAIN_OK;
        for (; k < lg->n_curves && lg->curves[k].id == x->id; k++)
            assert_false(big);
    }
    assert_true(too_large > 0 && ok > 0); /* the limit splits this space */
    int32_t failures = 0;
    for (size_t g = 0; g < lg->n_gens; g++)
        failures += lg->gens[g].failures;
    size_t failed = 0;
    for (size_t i = 0; i < lg->n_rows; i++)
        failed += lg->rows[i].status != EVO_TRAIN_OK;
    assert_int_equal(failures, failed);
    assert_int_equal(lg->best.status, EVO_TRAIN_OK);
    assert_true(genome_params(&lg->best.genome) <= 200);
    assert_true(lg->finished && lg->test_metrics.accuracy >= 0);
    free_run(&r);

    /* every genome too large: the run finishes, with no best and no test score */
    run_search(&r, "run.max_params = 1", NULL);
    assert_true(r.s.log.finished);
    assert_false(r.s.log.has_best);
    assert_true(isnan(r.s.log.test_metrics.accuracy));
    assert_int_equal(r.s.log.n_curves, 0);
    for (size_t g = 0; g < r.s.log.n_gens; g++)
        assert_int_equal(r.s.log.gens[g].failures, r.s.log.gens[g].evaluations);
    free_run(&r);
}

/* An absurd learning rate: networks diverge (status diverged, fitness 0, counted in failures), the
 * search goes on, and a diverged network is never the best. */
static void test_diverged_never_best(void **state)
{
    (void)state;
    struct run r;
    /* heavy-ball momentum 0.99 at rate 10 on two relu layers: most networks blow up, a few do not */
    run_search(&r, "search = { learning_rate = 10.0; activation = \"relu\"; hidden_layers = 2; neurons = 32; "
                   "optimizer = \"momentum\"; momentum = 0.99; batch_size = 8; lr_schedule = \"constant\"; "
                   "epochs = 6; }", NULL);
    const struct evo_runlog *lg = &r.s.log;
    size_t diverged = 0;
    for (size_t i = 0; i < lg->n_rows; i++)
        if (lg->rows[i].status == EVO_TRAIN_DIVERGED) {
            diverged++;
            assert_true(lg->rows[i].fitness == 0.0);
            assert_true(lg->rows[i].id != lg->best.id || !lg->has_best);
        }
    assert_true(diverged > 0 && diverged < lg->n_rows);
    assert_true(lg->has_best);
    assert_int_equal(lg->n_gens, 4);
    assert_true(lg->finished);
    size_t failures = 0;
    for (size_t g = 0; g < lg->n_gens; g++)
        failures += (size_t)lg->gens[g].failures;
    assert_int_equal(failures, diverged);
    if (lg->has_best)
        assert_int_equal(lg->best.status, EVO_TRAIN_OK);
    free_run(&r);
}

/* run.max_memory: workspaces (threads x the space's largest batch x width x depth), the buffers of the
 * trials in flight (run.workers x the largest epochs) and the strategy's population are checked
 * before they are allocated, and an absurd
 * product is refused with the keys to change. */
static void test_memory_limit(void **state)
{
    (void)state;
    struct evo_error err = {0};
    /* about 32 GiB of workspace per thread */
    const char *huge_space[] = {"search.batch_size = 65536", "search.neurons = 4096",
                                "search.hidden_layers = 8"};
    assert_int_equal(init_only(huge_space, 3, &err), EVO_ECONFIG);
    assert_non_null(strstr(err.msg, "more than run.max_memory = 8192"));
    assert_non_null(strstr(err.msg, "search.batch_size up to 65536"));
    assert_non_null(strstr(err.msg, "search.neurons up to 4096"));
    assert_non_null(strstr(err.msg, "search.hidden_layers up to 8"));
    assert_null(strchr(err.msg, '\n'));
    /* one hidden layer needs about 6 GiB: refused under 1 GiB, allowed under 16 GiB (nothing is
     * allocated until evo_search_run) */
    const char *raised[] = {"search.batch_size = 65536", "search.neurons = 4096", "search.hidden_layers = 1",
                            "run.max_memory = 1024"};
    assert_int_equal(init_only(raised, 4, &err), EVO_ECONFIG);
    raised[3] = "run.max_memory = 16384";
    assert_int_equal(init_only(raised, 4, &err), EVO_OK);
    /* threads multiply the workspaces: more threads than cores are allowed within the limit */
    const char *threads[] = {"run.threads = 4096", "run.max_memory = 1"};
    assert_int_equal(init_only(threads, 2, &err), EVO_ECONFIG);
    assert_non_null(strstr(err.msg, "4096 threads x"));
    threads[1] = "run.max_memory = 8192";
    assert_int_equal(init_only(threads, 2, &err), EVO_OK);
    /* the most workers and the largest population: their buffers (a few KiB each with 6 epochs)
     * are allowed */
    const char *workers[] = {"run.workers = 65536", "search.epochs = { min = 1; max = 6; }", "ga.population = 100000"};
    assert_int_equal(init_only(workers, 3, &err), EVO_OK);
    /* with 100000 epochs each trial's learning curve alone is 2.4 MB: refused */
    workers[1] = "search.epochs = { min = 1; max = 100000; }";
    assert_int_equal(init_only(workers, 3, &err), EVO_ECONFIG);
    assert_non_null(strstr(err.msg, "for run.workers = 65536 trials in flight (search.epochs up to 100000)"));
    /* tpe's window (rows of about 0.7 KB with its scratch) counts instead of a population */
    const char *window[] = {"run.strategy = \"tpe\"", "tpe.window = 100000", "run.max_memory = 16"};
    assert_int_equal(init_only(window, 3, &err), EVO_ECONFIG);
    assert_non_null(strstr(err.msg, "MiB for tpe.window = 100000"));
    window[1] = "tpe.window = 1000";
    assert_int_equal(init_only(window, 3, &err), EVO_OK);
}

/* Conv blocks on data that are not images are refused before training, naming the key. */
static void test_conv_needs_images(void **state)
{
    (void)state;
    struct evo_error err = {0};
    const char *conv[] = {"search.conv_blocks = { min = 0; max = 1; }"};
    assert_int_equal(init_only(conv, 1, &err), EVO_ECONFIG);
    assert_non_null(strstr(err.msg, "key 'search.conv_blocks'"));
    assert_non_null(strstr(err.msg, "image data"));
    assert_null(strchr(err.msg, '\n'));
}

/* On 8 x 8 digits, four pooled conv blocks would leave no pixel: such genomes are failed trials with
 * status too_small (not trained, never best, no curve), three blocks train down to 1 x 1, and the
 * results do not depend on the thread count. */
static void test_too_small(void **state)
{
    (void)state;
    struct run r, two;
    const char *data = "data = { train = \"" EVOTUNE_SOURCE_DIR "/datasets/digits.csv\"; label = \"label\"; "
                       "image_shape = [8, 8]; }";
    const char *space = "search = { conv_blocks = { min = 3; max = 4; }; filters = 2; kernel_size = 3; "
                        "pooling = \"max\"; hidden_layers = 0; epochs = 1; batch_size = 64; }";
    const char *sets[] = {data, space, "run.threads = 2"};
    run_search_sets(&r, sets, 2);
    run_search_sets(&two, sets, 3);
    assert_same_results(&r.s.log, &two.s.log);
    free_run(&two);
    const struct evo_runlog *lg = &r.s.log;
    size_t small = 0, ok = 0;
    for (size_t i = 0; i < lg->n_rows; i++) {
        const struct evo_individual *x = &lg->rows[i];
        int four = x->genome.g[EVO_GENE_CONV_BLOCKS] == 4;
        assert_int_equal(x->status == EVO_TRAIN_TOO_SMALL, four);
        if (four) {
            small++;
            assert_true(x->fitness == 0.0 && x->epochs_run == 0 && isnan(x->val.loss));
            assert_true(evo_trial_better(&lg->best, x));
        } else {
            ok += x->status == EVO_TRAIN_OK;
        }
    }
    assert_true(small > 0 && ok > 0);
    assert_true(lg->has_best && lg->best.genome.g[EVO_GENE_CONV_BLOCKS] == 3);
    free_run(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bookkeeping),
        cmocka_unit_test(test_thread_count_invariance),
        cmocka_unit_test(test_promotion_memory_changes_nothing),
        cmocka_unit_test(test_epoch_budget),
        cmocka_unit_test(test_finalists),
        cmocka_unit_test(test_cross_validation),
        cmocka_unit_test(test_seed_changes_results),
        cmocka_unit_test(test_single_network),
        cmocka_unit_test(test_no_elitism_still_tracks_best),
        cmocka_unit_test(test_hook_failure_stops_search),
        cmocka_unit_test(test_missing_data_file),
        cmocka_unit_test(test_elitism_clamped),
        cmocka_unit_test(test_threads_zero_is_all_cores),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_diverged_never_best),
        cmocka_unit_test(test_memory_limit),
        cmocka_unit_test(test_conv_needs_images),
        cmocka_unit_test(test_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests of the gene table and the GA operators: sampling, mutation and crossover never leave the search
 * space, every value of a space is reachable, decoding matches the genes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "evotune/config.h"
#include "evotune/genome.h"
#include "evotune/train.h"
#include "evotune/optim.h"
#include "evotune/batch.h"

/* A space with every spec kind: float log range, int linear range, int log range, numeric choice,
 * enum choices, fixed values. */
static struct evo_space test_space(void)
{
    struct evo_space s;
    memset(&s, 0, sizeof s);
    s.spec[EVO_GENE_LEARNING_RATE] = (struct evo_gene_spec){.kind = EVO_SPEC_RANGE, .min = 1e-4, .max = 0.1, .log = 1};
    s.spec[EVO_GENE_EPOCHS] = (struct evo_gene_spec){.kind = EVO_SPEC_RANGE, .min = 5, .max = 9};
    s.spec[EVO_GENE_BATCH_SIZE] = (struct evo_gene_spec){.kind = EVO_SPEC_CHOICE, .n_choices = 4, .choices = {16, 32, 64, 128}};
    s.spec[EVO_GENE_HIDDEN_LAYERS] = (struct evo_gene_spec){.kind = EVO_SPEC_RANGE, .min = 1, .max = 3};
    s.spec[EVO_GENE_NEURONS] = (struct evo_gene_spec){.kind = EVO_SPEC_RANGE, .min = 16, .max = 256, .log = 1};
    s.spec[EVO_GENE_ACTIVATION] = (struct evo_gene_spec){.kind = EVO_SPEC_CHOICE, .n_choices = 3, .choices = {0, 1, 2}};
    s.spec[EVO_GENE_OPTIMIZER] = (struct evo_gene_spec){.kind = EVO_SPEC_CHOICE, .n_choices = 2, .choices = {0, 2}};
    s.spec[EVO_GENE_WEIGHT_DECAY] = (struct evo_gene_spec){.kind = EVO_SPEC_RANGE, .min = 0, .max = 0.01};
    s.spec[EVO_GENE_DROPOUT] = (struct evo_gene_spec){.kind = EVO_SPEC_FIXED, .value = 0.25};
    return s;
}

static void test_table_is_consistent(void **state)
{
    (void)state;
    for (int i = 0; i < EVO_GENE_COUNT; i++) {
        const struct evo_gene_info *g = evo_genome_gene(i);
        assert_non_null(g);
        assert_non_null(g->name);
        assert_non_null(g->default_spec);
        assert_non_null(g->help);
        assert_int_equal(evo_genome_find(g->name), i);
        assert_true(g->lo <= g->hi);
        if (g->type == EVO_GENE_ENUM) {
            assert_true(g->n_enum >= 2);
            assert_true(g->hi == g->n_enum - 1);
        }
    }
    assert_null(evo_genome_gene(EVO_GENE_COUNT));
    assert_null(evo_genome_gene(-1));
    assert_int_equal(evo_genome_find("learning_rat"), -1);
}

static void test_sample_in_space_and_covers_it(void **state)
{
    (void)state;
    struct evo_space s = test_space();
    struct evo_rng r;
    evo_rng_seed(&r, 1, 0, 0, EVO_RNG_INIT);
    int epochs_seen[10] = {0}, batch_seen[129] = {0}, opt_seen[3] = {0};
    int below_geo = 0;
    const int n = 20000;
    for (int k = 0; k < n; k++) {
        struct evo_genome g;
        evo_genome_sample(&g, &s, &r);
        assert_true(evo_genome_in_space(&g, &s));
        epochs_seen[(int)g.g[EVO_GENE_EPOCHS]]++;
        batch_seen[(int)g.g[EVO_GENE_BATCH_SIZE]]++;
        opt_seen[(int)g.g[EVO_GENE_OPTIMIZER]]++;
        below_geo += g.g[EVO_GENE_LEARNING_RATE] < sqrt(1e-4 * 0.1);
        assert_true(g.g[EVO_GENE_DROPOUT] == 0.25);
    }
    /* every integer of the linear range equally often, end points included */
    for (int e = 5; e <= 9; e++)
        assert_true(fabs(epochs_seen[e] - n / 5.0) < 0.05 * n);
    assert_true(batch_seen[16] && batch_seen[32] && batch_seen[64] && batch_seen[128]);
    assert_true(opt_seen[0] && opt_seen[2] && !opt_seen[1]);
    /* log scale: half the draws below the geometric mean */
    assert_true(fabs(below_geo - n / 2.0) < 0.02 * n);
}

static void test_mutation_stays_in_space(void **state)
{
    (void)state;
    struct evo_space s = test_space();
    struct evo_rng r;
    evo_rng_seed(&r, 2, 0, 0, EVO_RNG_BREED);
    struct evo_genome g;
    evo_genome_sample(&g, &s, &r);
    /* start at the bounds, where a careless step would leave the range */
    g.g[EVO_GENE_LEARNING_RATE] = 0.1;
    g.g[EVO_GENE_NEURONS] = 16;
    g.g[EVO_GENE_WEIGHT_DECAY] = 0;
    int changed_lr = 0, hit_max_layers = 0;
    for (int k = 0; k < 20000; k++) {
        double lr = g.g[EVO_GENE_LEARNING_RATE];
        double act = g.g[EVO_GENE_ACTIVATION];
        evo_genome_mutate(&g, &s, 1.0, &r);
        assert_true(evo_genome_in_space(&g, &s));
        changed_lr += g.g[EVO_GENE_LEARNING_RATE] != lr;
        /* with rate 1, a choice always moves to another choice */
        assert_true(g.g[EVO_GENE_ACTIVATION] != act);
        assert_true(g.g[EVO_GENE_DROPOUT] == 0.25);
        hit_max_layers += g.g[EVO_GENE_HIDDEN_LAYERS] == 3;
    }
    assert_true(changed_lr > 19000);
    assert_true(hit_max_layers > 0);
}

static void test_mutation_rate_zero_changes_nothing(void **state)
{
    (void)state;
    struct evo_space s = test_space();
    struct evo_rng r;
    evo_rng_seed(&r, 3, 0, 0, EVO_RNG_BREED);
    struct evo_genome g, before;
    evo_genome_sample(&g, &s, &r);
    before = g;
    for (int k = 0; k < 100; k++)
        evo_genome_mutate(&g, &s, 0.0, &r);
    assert_memory_equal(&g, &before, sizeof g);
}

static void test_mutation_is_small_on_average(void **state)
{
    (void)state;
    /* a Gaussian step of 0.1 of the width: most mutations stay close to the parent */
    struct evo_space s = test_space();
    struct evo_rng r;
    evo_rng_seed(&r, 4, 0, 0, EVO_RNG_BREED);
    int close = 0;
    for (int k = 0; k < 10000; k++) {
        struct evo_genome g;
        evo_genome_sample(&g, &s, &r);
        g.g[EVO_GENE_WEIGHT_DECAY] = 0.005;
        evo_genome_mutate(&g, &s, 1.0, &r);
        close += fabs(g.g[EVO_GENE_WEIGHT_DECAY] - 0.005) < 0.002; /* within 2 sigma */
    }
    assert_true(close > 9300 && close < 9800);
}

static void test_crossover_takes_genes_from_parents(void **state)
{
    (void)state;
    struct evo_space s = test_space();
    struct evo_rng r;
    evo_rng_seed(&r, 5, 0, 0, EVO_RNG_BREED);
    int from_a = 0, from_b = 0;
    for (int k = 0; k < 1000; k++) {
        struct evo_genome a, b, c;
        evo_genome_sample(&a, &s, &r);
        evo_genome_sample(&b, &s, &r);
        evo_genome_crossover(&c, &a, &b, &r);
        assert_true(evo_genome_in_space(&c, &s));
        for (int i = 0; i < EVO_GENE_COUNT; i++) {
            assert_true(c.g[i] == a.g[i] || c.g[i] == b.g[i]);
            from_a += c.g[i] == a.g[i] && a.g[i] != b.g[i];
            from_b += c.g[i] == b.g[i] && a.g[i] != b.g[i];
        }
    }
    assert_true(fabs((double)from_a / (from_a + from_b) - 0.5) < 0.05);
}

static void test_in_space_rejects_outsiders(void **state)
{
    (void)state;
    struct evo_space s = test_space();
    struct evo_rng r;
    evo_rng_seed(&r, 6, 0, 0, EVO_RNG_INIT);
    struct evo_genome g;
    evo_genome_sample(&g, &s, &r);
    struct evo_genome bad = g;
    bad.g[EVO_GENE_EPOCHS] = 10;
    assert_false(evo_genome_in_space(&bad, &s));
    bad = g;
    bad.g[EVO_GENE_EPOCHS] = 6.5;
    assert_false(evo_genome_in_space(&bad, &s));
    bad = g;
    bad.g[EVO_GENE_BATCH_SIZE] = 48;
    assert_false(evo_genome_in_space(&bad, &s));
    bad = g;
    bad.g[EVO_GENE_DROPOUT] = 0.3;
    assert_false(evo_genome_in_space(&bad, &s));
    bad = g;
    bad.g[EVO_GENE_LEARNING_RATE] = NAN;
    assert_false(evo_genome_in_space(&bad, &s));
}

/* Genomes read from files: only active genes are checked, against the gene table's hard bounds. */
static void test_within_bounds(void **state)
{
    (void)state;
    /* the default search space: every gene within its bounds (test_space leaves most at 0) */
    struct evo_config cfg;
    struct evo_error err;
    assert_int_equal(evo_config_load_string(&cfg, "", "default", NULL, 0, &err), EVO_OK);
    struct evo_space s = cfg.space;
    evo_config_release(&cfg);
    struct evo_rng r;
    evo_rng_seed(&r, 7, 0, 0, EVO_RNG_INIT);
    for (int k = 0; k < 50; k++) {
        struct evo_genome g;
        evo_genome_sample(&g, &s, &r);
        assert_true(evo_genome_within_bounds(&g));
        /* as results tables record it: inactive per-layer genes 0 or NaN */
        for (int id = 0; id < EVO_GENE_COUNT; id++)
            if (!evo_genome_active(&g, id))
                g.g[id] = evo_genome_inactive_value(id);
        assert_true(evo_genome_within_bounds(&g));
        /* one gene out of bounds at a time; the default space has at least one layer, so
         * neurons_1 is active */
        assert_true(g.g[EVO_GENE_HIDDEN_LAYERS] >= 1);
        const struct {
            int id;
            double v;
        } bad_values[] = {
            {EVO_GENE_HIDDEN_LAYERS, EVO_MLP_MAX_HIDDEN + 1}, /* would index past arch.hidden */
            {EVO_GENE_HIDDEN_LAYERS, NAN},
            {EVO_GENE_HIDDEN_LAYERS, 1.5},
            {EVO_GENE_ACTIVATION, evo_genome_gene(EVO_GENE_ACTIVATION)->n_enum},
            {EVO_GENE_LEARNING_RATE, INFINITY},
            {EVO_GENE_BATCH_SIZE, 0},
            {evo_genome_neurons_gene(0), 0},
        };
        for (size_t c = 0; c < sizeof bad_values / sizeof bad_values[0]; c++) {
            struct evo_genome bad = g;
            bad.g[bad_values[c].id] = bad_values[c].v;
            if (evo_genome_within_bounds(&bad))
                fail_msg("genome %d: %s = %g accepted", k, evo_genome_gene(bad_values[c].id)->name,
                         bad_values[c].v);
        }
    }
}

static void test_decode_and_limits(void **state)
{
    (void)state;
    struct evo_space s = test_space();
    struct evo_genome g = {{0}};
    g.g[EVO_GENE_LEARNING_RATE] = 0.01;
    g.g[EVO_GENE_EPOCHS] = 7;
    g.g[EVO_GENE_BATCH_SIZE] = 32;
    g.g[EVO_GENE_HIDDEN_LAYERS] = 2;
    g.g[EVO_GENE_NEURONS] = 100;
    g.g[evo_genome_neurons_gene(1)] = 60;
    g.g[evo_genome_neurons_gene(2)] = 30; /* a third layer the genome does not have */
    g.g[EVO_GENE_ACTIVATION] = EVO_ACT_TANH;
    g.g[EVO_GENE_OPTIMIZER] = EVO_OPT_ADAM;
    g.g[EVO_GENE_WEIGHT_DECAY] = 1e-3;
    g.g[EVO_GENE_DROPOUT] = 0.25;
    g.g[EVO_GENE_MOMENTUM] = 0.85;
    g.g[EVO_GENE_BETA1] = 0.88;
    g.g[EVO_GENE_BETA2] = 0.995;
    g.g[EVO_GENE_RHO] = 0.9;
    g.g[EVO_GENE_EPSILON] = 1e-7;
    g.g[EVO_GENE_LR_SCHEDULE] = EVO_LR_WARMUP;
    g.g[EVO_GENE_LR_STEP_EPOCHS] = 4;
    g.g[EVO_GENE_LR_DECAY] = 0.7;
    g.g[EVO_GENE_LR_WARMUP_EPOCHS] = 2;
    g.g[EVO_GENE_LR_PLATEAU_PATIENCE] = 3;
    g.g[EVO_GENE_LR_MIN] = 1e-5;
    g.g[EVO_GENE_EARLY_STOPPING] = 1;
    g.g[EVO_GENE_PATIENCE] = 5;
    g.g[EVO_GENE_MIN_DELTA] = 1e-4;
    struct evo_mlp_arch arch;
    struct evo_train_params tp;
    evo_genome_decode(&g, 64, 10, &arch, &tp);
    assert_int_equal(arch.n_in, 64);
    assert_int_equal(arch.n_out, 10);
    assert_int_equal(arch.n_hidden, 2);
    assert_int_equal(arch.hidden[0], 100);
    assert_int_equal(arch.hidden[1], 60);
    assert_int_equal(arch.hidden[2], 0);
    assert_int_equal(arch.activation, EVO_ACT_TANH);
    assert_int_equal(arch.batch_norm, 0);
    assert_int_equal(tp.dropout_per_layer, 0);
    assert_true(tp.learning_rate == 0.01);
    assert_int_equal(tp.epochs, 7);
    assert_int_equal(tp.batch_size, 32);
    assert_int_equal(tp.optimizer, EVO_OPT_ADAM);
    assert_true(tp.weight_decay == 1e-3 && tp.dropout == 0.25);
    assert_true(tp.momentum == 0.85 && tp.beta1 == 0.88 && tp.beta2 == 0.995 && tp.rho == 0.9 &&
                tp.eps == 1e-7);
    assert_int_equal(tp.lr_schedule, EVO_LR_WARMUP);
    assert_int_equal(tp.lr_step_epochs, 4);
    assert_int_equal(tp.lr_warmup_epochs, 2);
    assert_int_equal(tp.lr_plateau_patience, 3);
    assert_true(tp.lr_decay == 0.7 && tp.lr_min == 1e-5);
    assert_int_equal(tp.early_stopping, 1);
    assert_int_equal(tp.patience, 5);
    assert_true(tp.min_delta == 1e-4);
    assert_null(tp.curve);
    /* the genes added later: batch selection and augmentation */
    assert_int_equal(tp.batch_selection, EVO_BATCH_SHUFFLE);
    assert_false(evo_augment_active(&tp.augment)); /* all 0: off */
    g.g[EVO_GENE_BATCH_SELECTION] = EVO_BATCH_BALANCED;
    g.g[EVO_GENE_AUG_TRANSLATE] = 2;
    g.g[EVO_GENE_AUG_ROTATE] = 10;
    g.g[EVO_GENE_AUG_SCALE] = 0.1;
    g.g[EVO_GENE_AUG_FLIP] = 1;
    g.g[EVO_GENE_AUG_NOISE] = 0.2;
    evo_genome_decode(&g, 64, 10, &arch, &tp);
    assert_int_equal(tp.batch_selection, EVO_BATCH_BALANCED);
    assert_int_equal(tp.augment.translate, 2);
    assert_true(tp.augment.rotate == 10 && tp.augment.scale == 0.1 && tp.augment.noise == 0.2);
    assert_int_equal(tp.augment.flip, 1);
    /* batch norm, per-layer dropout */
    g.g[EVO_GENE_BATCH_NORM] = 1;
    g.g[EVO_GENE_DROPOUT_PER_LAYER] = 1;
    g.g[evo_genome_dropout_gene(0)] = 0.5;
    g.g[evo_genome_dropout_gene(1)] = 0.125;
    evo_genome_decode(&g, 64, 10, &arch, &tp);
    assert_int_equal(arch.batch_norm, 1);
    assert_int_equal(tp.dropout_per_layer, 1);
    assert_true(tp.layer_dropout[0] == 0.5 && tp.layer_dropout[1] == 0.125 && tp.dropout == 0.25);
    for (int k = 0; k < EVO_BATCH_COUNT; k++)
        assert_string_equal(evo_genome_gene(EVO_GENE_BATCH_SELECTION)->enum_names[k],
                            evo_batch_selection_name(k));
    /* the enum genes' names are the trainer's */
    for (int k = 0; k < EVO_OPT_COUNT; k++)
        assert_string_equal(evo_genome_gene(EVO_GENE_OPTIMIZER)->enum_names[k], evo_optim_name(k));
    for (int k = 0; k < EVO_LR_COUNT; k++)
        assert_string_equal(evo_genome_gene(EVO_GENE_LR_SCHEDULE)->enum_names[k], evo_optim_schedule_name(k));
    /* every gene's default spec respects its hard bounds' kind: names, not numbers, for enums */
    for (int id = 0; id < EVO_GENE_COUNT; id++)
        assert_non_null(evo_genome_gene(id)->default_spec);
    size_t mh, mw, mb;
    evo_genome_space_limits(&s, &mh, &mw, &mb);
    assert_int_equal(mh, 3);
    assert_int_equal(mw, 256);
    assert_int_equal(mb, 128);
    s.spec[evo_genome_neurons_gene(2)] = (struct evo_gene_spec){.kind = EVO_SPEC_FIXED, .value = 300};
    s.spec[evo_genome_neurons_gene(3)] = (struct evo_gene_spec){.kind = EVO_SPEC_FIXED, .value = 500};
    evo_genome_space_limits(&s, &mh, &mw, &mb);
    assert_int_equal(mw, 300); /* layer 4 is beyond the 3 layers the space allows */
    char buf[32];
    evo_genome_format(buf, sizeof buf, EVO_GENE_ACTIVATION, EVO_ACT_TANH);
    assert_string_equal(buf, "tanh");
    evo_genome_format(buf, sizeof buf, EVO_GENE_EPOCHS, 7);
    assert_string_equal(buf, "7");
}

/* Per-layer genes are named by layer, belong to it, and are inactive exactly when the layer is
 * absent; inactive ones are recorded as 0 (integers) or NaN (floats). */
static void test_layer_genes(void **state)
{
    (void)state;
    char name[32];
    for (size_t l = 0; l < EVO_MLP_MAX_HIDDEN; l++) {
        snprintf(name, sizeof name, "neurons_%zu", l + 1);
        assert_int_equal(evo_genome_find(name), evo_genome_neurons_gene(l));
        assert_int_equal(evo_genome_gene_layer(evo_genome_neurons_gene(l)), (int)l);
        snprintf(name, sizeof name, "dropout_%zu", l + 1);
        assert_int_equal(evo_genome_find(name), evo_genome_dropout_gene(l));
        assert_int_equal(evo_genome_gene_layer(evo_genome_dropout_gene(l)), (int)l);
    }
    assert_int_equal(evo_genome_gene_layer(EVO_GENE_DROPOUT), -1);
    assert_int_equal(evo_genome_gene_layer(EVO_GENE_HIDDEN_LAYERS), -1);
    for (size_t i = 0; i < EVO_MLP_MAX_CONV; i++) {
        snprintf(name, sizeof name, "filters_%zu", i + 1);
        assert_int_equal(evo_genome_find(name), evo_genome_filters_gene(i));
        assert_int_equal(evo_genome_gene_block(evo_genome_filters_gene(i)), (int)i);
        assert_int_equal(evo_genome_gene_layer(evo_genome_filters_gene(i)), -1);
    }
    assert_int_equal(evo_genome_gene_block(EVO_GENE_KERNEL_SIZE), -1);
    struct evo_genome g = {{0}};
    g.g[EVO_GENE_HIDDEN_LAYERS] = 2;
    for (int conv = 0; conv <= 3; conv += 3) {
        g.g[EVO_GENE_CONV_BLOCKS] = conv;
        for (int id = 0; id < EVO_GENE_COUNT; id++) {
            int l = evo_genome_gene_layer(id), b = evo_genome_gene_block(id);
            int want = id == EVO_GENE_KERNEL_SIZE || id == EVO_GENE_POOLING ? conv > 0 : b >= 0 ? b < conv : l < 2;
            assert_int_equal(evo_genome_active(&g, id), want);
        }
    }
    assert_true(evo_genome_inactive_value(evo_genome_neurons_gene(5)) == 0.0);
    assert_true(isnan(evo_genome_inactive_value(evo_genome_dropout_gene(5))));
    assert_true(evo_genome_gene(evo_genome_neurons_gene(5))->lo > 0); /* 0 is never a real width */
}

/* Which genes apply: the conditional genes follow the gene they depend on (an optimizer's
 * coefficients, a schedule's parameters, patience, leaky_slope, per-layer dropout), a gene that does
 * not apply may still be active (recorded), and an inactive gene never applies. */
static void test_applies(void **state)
{
    (void)state;
    struct evo_genome g = {{0}};
    g.g[EVO_GENE_HIDDEN_LAYERS] = 2;
    g.g[EVO_GENE_OPTIMIZER] = EVO_OPT_ADAM;
    g.g[EVO_GENE_LR_SCHEDULE] = EVO_LR_CONSTANT;
    g.g[EVO_GENE_EARLY_STOPPING] = 0;
    g.g[EVO_GENE_ACTIVATION] = EVO_ACT_RELU;
    g.g[EVO_GENE_DROPOUT_PER_LAYER] = 0;
    assert_true(evo_genome_applies(&g, EVO_GENE_BETA1) && evo_genome_applies(&g, EVO_GENE_BETA2));
    assert_true(evo_genome_applies(&g, EVO_GENE_EPSILON));
    assert_false(evo_genome_applies(&g, EVO_GENE_RHO));
    assert_true(evo_genome_active(&g, EVO_GENE_RHO)); /* recorded all the same */
    assert_false(evo_genome_applies(&g, EVO_GENE_MOMENTUM));
    for (int id = EVO_GENE_LR_STEP_EPOCHS; id <= EVO_GENE_LR_MIN; id++)
        assert_false(evo_genome_applies(&g, id));
    assert_false(evo_genome_applies(&g, EVO_GENE_PATIENCE));
    assert_true(evo_genome_applies(&g, EVO_GENE_MIN_DELTA));
    assert_false(evo_genome_applies(&g, EVO_GENE_LEAKY_SLOPE));
    assert_false(evo_genome_applies(&g, evo_genome_dropout_gene(0)));
    assert_true(evo_genome_applies(&g, EVO_GENE_DROPOUT));
    assert_true(evo_genome_applies(&g, evo_genome_neurons_gene(1)));
    assert_false(evo_genome_applies(&g, evo_genome_neurons_gene(2)));

    g.g[EVO_GENE_OPTIMIZER] = EVO_OPT_RMSPROP;
    assert_true(evo_genome_applies(&g, EVO_GENE_RHO) && evo_genome_applies(&g, EVO_GENE_EPSILON));
    assert_false(evo_genome_applies(&g, EVO_GENE_BETA1));
    g.g[EVO_GENE_OPTIMIZER] = EVO_OPT_NESTEROV;
    assert_true(evo_genome_applies(&g, EVO_GENE_MOMENTUM));
    assert_false(evo_genome_applies(&g, EVO_GENE_EPSILON));
    g.g[EVO_GENE_OPTIMIZER] = EVO_OPT_SGD;
    assert_false(evo_genome_applies(&g, EVO_GENE_MOMENTUM) || evo_genome_applies(&g, EVO_GENE_EPSILON));
    g.g[EVO_GENE_LR_SCHEDULE] = EVO_LR_PLATEAU;
    assert_true(evo_genome_applies(&g, EVO_GENE_LR_DECAY) && evo_genome_applies(&g, EVO_GENE_LR_PLATEAU_PATIENCE));
    assert_true(evo_genome_applies(&g, EVO_GENE_LR_MIN));
    assert_false(evo_genome_applies(&g, EVO_GENE_LR_STEP_EPOCHS) || evo_genome_applies(&g, EVO_GENE_LR_WARMUP_EPOCHS));
    g.g[EVO_GENE_LR_SCHEDULE] = EVO_LR_STEP;
    assert_true(evo_genome_applies(&g, EVO_GENE_LR_STEP_EPOCHS));
    g.g[EVO_GENE_EARLY_STOPPING] = 1;
    assert_true(evo_genome_applies(&g, EVO_GENE_PATIENCE));
    g.g[EVO_GENE_ACTIVATION] = EVO_ACT_LEAKY_RELU;
    assert_true(evo_genome_applies(&g, EVO_GENE_LEAKY_SLOPE));
    g.g[EVO_GENE_DROPOUT_PER_LAYER] = 1;
    assert_true(evo_genome_applies(&g, evo_genome_dropout_gene(1)));
    assert_false(evo_genome_applies(&g, evo_genome_dropout_gene(2))); /* the layer is absent */

    /* over random genomes of a wide space: applying implies active */
    struct evo_space space = test_space();
    space.spec[EVO_GENE_OPTIMIZER] = (struct evo_gene_spec){.kind = EVO_SPEC_CHOICE, .n_choices = 6,
                                                            .choices = {0, 1, 2, 3, 4, 5}};
    space.spec[EVO_GENE_HIDDEN_LAYERS] = (struct evo_gene_spec){.kind = EVO_SPEC_RANGE, .min = 0, .max = 8};
    space.spec[EVO_GENE_DROPOUT_PER_LAYER] = (struct evo_gene_spec){.kind = EVO_SPEC_CHOICE, .n_choices = 2,
                                                                    .choices = {0, 1}};
    struct evo_rng rng;
    evo_rng_seed(&rng, 11, 0, 0, EVO_RNG_INIT);
    int rho_applied = 0;
    for (int k = 0; k < 500; k++) {
        evo_genome_sample(&g, &space, &rng);
        for (int id = 0; id < EVO_GENE_COUNT; id++)
            assert_true(!evo_genome_applies(&g, id) || evo_genome_active(&g, id));
        rho_applied += evo_genome_applies(&g, EVO_GENE_RHO);
        assert_int_equal(evo_genome_applies(&g, EVO_GENE_RHO), g.g[EVO_GENE_OPTIMIZER] == EVO_OPT_RMSPROP);
    }
    assert_true(rho_applied > 0 && rho_applied < 500);
}

/* The range coordinate: log for log ranges, integers widened by half a unit, values rounded and
 * clamped back. */
static void test_range_coordinate(void **state)
{
    (void)state;
    struct evo_gene_spec lr = {.kind = EVO_SPEC_RANGE, .min = 1e-4, .max = 0.1, .log = 1};
    double lo, hi;
    evo_genome_range_bounds(&lr, EVO_GENE_FLOAT, &lo, &hi);
    assert_true(fabs(lo - log(1e-4)) < 1e-12 && fabs(hi - log(0.1)) < 1e-12);
    assert_true(fabs(evo_genome_range_point(&lr, 0.01) - log(0.01)) < 1e-12);
    assert_true(fabs(evo_genome_range_value(&lr, EVO_GENE_FLOAT, log(0.01)) - 0.01) < 1e-15);
    assert_true(evo_genome_range_value(&lr, EVO_GENE_FLOAT, hi + 1) == 0.1);
    struct evo_gene_spec ep = {.kind = EVO_SPEC_RANGE, .min = 5, .max = 9};
    evo_genome_range_bounds(&ep, EVO_GENE_INT, &lo, &hi);
    assert_true(lo < 4.6 && lo > 4.5 && hi > 9.4 && hi < 9.5);
    assert_true(evo_genome_range_value(&ep, EVO_GENE_INT, 6.4) == 6.0);
    assert_true(evo_genome_range_value(&ep, EVO_GENE_INT, lo) == 5.0);
    assert_true(evo_genome_range_point(&ep, 7) == 7.0);
}

/* The genes added later are off by default (existing searches unchanged), and searching them does
 * not change what the operators draw for the original genes. */
static void test_added_genes_leave_the_rest_alone(void **state)
{
    (void)state;
    static const char *const off[][2] = {{"batch_selection", "\"shuffle\""}, {"aug_translate", "0"},
        {"aug_rotate", "0.0"}, {"aug_scale", "0.0"}, {"aug_flip", "\"off\""}, {"aug_noise", "0.0"},
        {"init", "\"by_activation\""}, {"l1", "0.0"}, {"max_norm", "0.0"}, {"batch_norm", "\"off\""},
        {"dropout_per_layer", "\"off\""}};
    for (size_t k = 0; k < sizeof off / sizeof *off; k++) {
        int id = evo_genome_find(off[k][0]);
        assert_true(id >= EVO_GENE_FIRST_ADDED);
        assert_string_equal(evo_genome_gene(id)->default_spec, off[k][1]);
    }
    struct evo_space fixed = test_space(), searched = fixed;
    searched.spec[EVO_GENE_BATCH_SELECTION] =
        (struct evo_gene_spec){.kind = EVO_SPEC_CHOICE, .n_choices = 3, .choices = {0, 1, 2}};
    searched.spec[EVO_GENE_AUG_TRANSLATE] = (struct evo_gene_spec){.kind = EVO_SPEC_RANGE, .min = 0, .max = 3};
    searched.spec[EVO_GENE_AUG_ROTATE] = (struct evo_gene_spec){.kind = EVO_SPEC_RANGE, .min = 0, .max = 20};
    searched.spec[EVO_GENE_AUG_FLIP] = (struct evo_gene_spec){.kind = EVO_SPEC_CHOICE, .n_choices = 2, .choices = {0, 1}};
    searched.spec[EVO_GENE_LEAKY_SLOPE] = (struct evo_gene_spec){.kind = EVO_SPEC_RANGE, .min = 0.01, .max = 0.3, .log = 1};
    searched.spec[EVO_GENE_INIT] = (struct evo_gene_spec){.kind = EVO_SPEC_CHOICE, .n_choices = 3, .choices = {0, 3, 6}};
    searched.spec[EVO_GENE_L1] = (struct evo_gene_spec){.kind = EVO_SPEC_RANGE, .min = 1e-6, .max = 1e-3, .log = 1};
    searched.spec[EVO_GENE_MAX_NORM] = (struct evo_gene_spec){.kind = EVO_SPEC_RANGE, .min = 1, .max = 5};
    for (uint64_t seed = 0; seed < 200; seed++) {
        struct evo_rng r1, r2;
        evo_rng_seed(&r1, seed, 0, 0, EVO_RNG_BREED);
        r2 = r1;
        struct evo_genome a1, b1, c1, a2, b2, c2;
        evo_genome_sample(&a1, &fixed, &r1);
        evo_genome_sample(&b1, &fixed, &r1);
        evo_genome_crossover(&c1, &a1, &b1, &r1);
        evo_genome_mutate(&c1, &fixed, 0.5, &r1);
        evo_genome_sample(&a2, &searched, &r2);
        evo_genome_sample(&b2, &searched, &r2);
        evo_genome_crossover(&c2, &a2, &b2, &r2);
        evo_genome_mutate(&c2, &searched, 0.5, &r2);
        assert_true(evo_genome_in_space(&c2, &searched));
        assert_memory_equal(c1.g, c2.g, EVO_GENE_FIRST_ADDED * sizeof c1.g[0]);
        assert_memory_equal(&r1, &r2, sizeof r1); /* the caller's stream is where it was */
    }
}

/* The genes of activations, initialisation and regularisation reach the architecture and training
 * parameters, with their names. */
static void test_decode_new_genes(void **state)
{
    (void)state;
    struct evo_genome g;
    memset(&g, 0, sizeof g);
    g.g[EVO_GENE_HIDDEN_LAYERS] = 1;
    g.g[EVO_GENE_NEURONS] = 8;
    g.g[EVO_GENE_ACTIVATION] = EVO_ACT_LEAKY_RELU;
    g.g[EVO_GENE_LEAKY_SLOPE] = 0.07;
    g.g[EVO_GENE_INIT] = EVO_INIT_HE_UNIFORM;
    g.g[EVO_GENE_L1] = 1e-4;
    g.g[EVO_GENE_MAX_NORM] = 3;
    struct evo_mlp_arch arch;
    struct evo_train_params tp;
    evo_genome_decode(&g, 4, 3, &arch, &tp);
    assert_int_equal(arch.activation, EVO_ACT_LEAKY_RELU);
    assert_true(arch.leaky_slope == 0.07);
    assert_int_equal(arch.init, EVO_INIT_HE_UNIFORM);
    assert_true(tp.l1 == 1e-4 && tp.max_norm == 3);
    static const char *const acts[] = {"relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu"};
    static const char *const inits[] = {"by_activation", "uniform", "normal", "xavier_uniform",
                                        "xavier_normal", "he_uniform", "he_normal"};
    char buf[32];
    for (int k = 0; k < EVO_ACT_COUNT; k++) {
        evo_genome_format(buf, sizeof buf, EVO_GENE_ACTIVATION, k);
        assert_string_equal(buf, acts[k]);
        assert_string_equal(evo_kernels_activation_name(k), acts[k]);
    }
    for (int k = 0; k < EVO_INIT_COUNT; k++) {
        evo_genome_format(buf, sizeof buf, EVO_GENE_INIT, k);
        assert_string_equal(buf, inits[k]);
    }
    /* the default search of activation stays the original three */
    assert_string_equal(evo_genome_gene(EVO_GENE_ACTIVATION)->default_spec,
                        "{ choice = [\"relu\", \"tanh\", \"sigmoid\"]; }");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_consistent),
        cmocka_unit_test(test_sample_in_space_and_covers_it),
        cmocka_unit_test(test_mutation_stays_in_space),
        cmocka_unit_test(test_mutation_rate_zero_changes_nothing),
        cmocka_unit_test(test_mutation_is_small_on_average),
        cmocka_unit_test(test_crossover_takes_genes_from_parents),
        cmocka_unit_test(test_in_space_rejects_outsiders),
        cmocka_unit_test(test_within_bounds),
        cmocka_unit_test(test_decode_and_limits),
        cmocka_unit_test(test_layer_genes),
        cmocka_unit_test(test_applies),
        cmocka_unit_test(test_range_coordinate),
        cmocka_unit_test(test_added_genes_leave_the_rest_alone),
        cmocka_unit_test(test_decode_new_genes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

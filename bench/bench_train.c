/* End-to-end training benchmark: samples per second of full epochs (forward, backward, optimizer)
 * of one network (an MLP, or conv blocks before dense layers) on Fashion-MNIST's 60 000 training images, one thread, through the real trainer
 * (evo_train_run) and the kernel table of the chosen ISA. Before timing, one batch's gradient of the
 * chosen ISA is checked against a scalar-table reference. Prints the median epoch after a warm-up
 * epoch, and the test accuracy after each epoch (evaluation is not timed). --init-from and --init-to
 * read or write the initial parameters, so that another framework can start from the same weights.
 * The result line also gives the training's GFLOP/s (the conv and dense layers' multiply-adds:
 * forward, weight gradient, and input gradient of every layer but the first) and the core's FMA peak (bench_peak.h);
 * --peak prints only the peak.
 *   bench_train --arch 784-256-128-10 --batch 64 --epochs 7 --isa avx512 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "evotune/data.h"
#include "evotune/kernels.h"
#include "evotune/mem.h"
#include "evotune/mlp.h"
#include "evotune/optim.h"
#include "evotune/train.h"
#include "evotune/train.h"
#include "evotune/rng.h"
#include "bench_clock.h"
#include "bench_peak.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: bench_train [--arch 784-256-128-10] [--batch 64] [--epochs 7] [--isa NAME]\n"
            "                   [--act relu|tanh|sigmoid] [--opt sgd|momentum|adam] [--lr 1e-3]\n"
            "                   [--data DIR] [--seed N] [--init-from FILE] [--init-to FILE]\n"
            "                   [--save-to FILE] [--max-rows N]   (train on the first N rows only)\n"
            "       bench_train --peak [--arch A] [--isa NAME]   (the FMA peak and the flops a sample)\n"
            "--arch c32-p-c64-p-128-10: conv blocks of 32 and 64 filters (3x3; c32k5: 5x5), each\n"
            "followed by 2x2 max-pooling, on the 28x28 images, then dense 128 and 10 outputs.\n"
            "FILE: the initial parameters as raw float32 in host byte order, evotune's layout: for\n"
            "each conv layer its weights [filters, channels, k, k], then its biases [filters]; for\n"
            "each dense layer its weights [in, out] row-major, then its biases [out]. --seed also\n"
            "seeds the initialisation that --init-from replaces. --save-to writes the parameters\n"
            "after the last epoch in the same layout (two builds train alike when the files are equal).\n");
    return 2;
}

/* Flops (2 a multiply-add) of one sample's training step in the conv and dense layers: forward and
 * weight gradient of every layer, input gradient of all but the first (pooling and the element-wise
 * passes are not counted). */
static double flops_per_sample(const struct evo_mlp *net)
{
    double flops = 0;
    for (size_t i = 0; i < net->n_table; i++) {
        const struct evo_layer *l = &net->table[i];
        double macs = 0;
        if (l->kind == EVO_LAYER_DENSE)
            macs = (double)(l->c * l->h * l->w) * (double)l->oc;
        else if (l->kind == EVO_LAYER_CONV2D)
            macs = (double)(l->oh * l->ow) * (double)l->oc * (double)(l->c * l->k * l->k);
        flops += 2.0 * macs * (i ? 3 : 2);
    }
    return flops;
}

/* Parses an architecture: "784-256-128-10" (inputs, hidden widths, classes) or, with conv blocks
 * before the dense layers, "c32-p-c64-p-128-10": cN a conv block of N filters (cNkK: kernel K, else 3),
 * p 2x2 max-pooling after it (every block or none), then the dense hidden widths and the classes; the
 * input is the data's 28 x 28 image. */
static int parse_arch(const char *s, struct evo_mlp_arch *a)
{
    size_t v[EVO_MLP_MAX_HIDDEN + 2], n = 0, pools = 0;
    memset(a, 0, sizeof *a);
    char *end;
    a->kernel_size = 3;
    while (*s == 'c' || *s == 'p') {
        if (*s == 'p') {
            if (pools + 1 != a->conv_blocks)
                return -1;
            pools++;
            end = (char *)(uintptr_t)(s + 1);
        } else {
            unsigned long long f = strtoull(s + 1, &end, 10);
            if (end == s + 1 || f == 0 || a->conv_blocks == EVO_MLP_MAX_CONV)
                return -1;
            a->filters[a->conv_blocks++] = (size_t)f;
            if (*end == 'k') {
                const char *k = end + 1;
                a->kernel_size = (size_t)strtoull(k, &end, 10);
                if (end == k)
                    return -1;
            }
        }
        if (*end != '-')
            return -1;
        s = end + 1;
    }
    if (pools && pools != a->conv_blocks)
        return -1;
    a->pooling = pools ? EVO_POOL_MAX : EVO_POOL_NONE;
    if (a->conv_blocks) {
        a->image_c = 1;
        a->image_h = a->image_w = 28;
        v[n++] = 784;
    }
    for (;;) {
        if (n == EVO_MLP_MAX_HIDDEN + 2)
            return -1;
        unsigned long long x = strtoull(s, &end, 10);
        if (end == s || x == 0)
            return -1;
        v[n++] = (size_t)x;
        if (*end == '\0')
            break;
        if (*end != '-')
            return -1;
        s = end + 1;
    }
    if (n < 2)
        return -1;
    a->n_in = v[0];
    a->n_out = v[n - 1];
    a->n_hidden = n - 2;
    for (size_t h = 0; h < n - 2; h++)
        a->hidden[h] = v[h + 1];
    return 0;
}

/* Reads (write 0) or writes (write 1) net's parameters as n_params raw floats at path; a file of
 * another size is an error. */
static int params_file(struct evo_mlp *net, const char *path, int write)
{
    FILE *f = fopen(path, write ? "wb" : "rb");
    size_t n = 0;
    int extra = 0;
    if (f) {
        n = write ? fwrite(net->params, sizeof(float), net->n_params, f)
                  : fread(net->params, sizeof(float), net->n_params, f);
        extra = !write && fgetc(f) != EOF;
        if (fclose(f))
            n = 0;
    }
    if (n != net->n_params || extra) {
        fprintf(stderr, "bench_train: cannot %s '%s' as %zu floats\n", write ? "write" : "read", path,
                net->n_params);
        return -1;
    }
    return 0;
}

/* The gradient of one batch through the scalar table directly, layer by layer from net's table,
 * independent of the chosen table: the reference the chosen ISA's evo_mlp_loss_grad is checked
 * against. Handles the tables bench_train builds (dense and conv layers with fused activations,
 * max-pooling, dropout at rate 0). grads[n_params] is overwritten; scratch comes from allocations
 * made here (before any timing). */
static double reference_grad(const struct evo_mlp *net, const float *x, const int32_t *y, size_t B,
                             float *grads)
{
    const struct evo_kernels *k = evo_kernels_table(EVO_ISA_SCALAR);
    size_t L = net->n_table, widest = net->arch.n_in, wf = 1;
    for (size_t i = 0; i < L; i++) {
        const struct evo_layer *l = &net->table[i];
        size_t in = l->c * l->h * l->w, out = l->oc * l->oh * l->ow;
        widest = in > widest ? in : widest;
        widest = out > widest ? out : widest;
        size_t w = l->kind == EVO_LAYER_CONV2D ? evo_kernels_conv_work_floats(l->c, l->h, l->w, l->oc, l->k)
                   : l->kind == EVO_LAYER_DENSE ? evo_kernels_work_floats(B, in, l->oc) : 0;
        wf = w > wf ? w : wf;
    }
    float *acts = evo_mem_alloc((L + 1) * B * widest * sizeof(float));
    float *probs = evo_mem_alloc(B * net->arch.n_out * sizeof(float));
    float *g = evo_mem_alloc(B * widest * sizeof(float)), *gn = evo_mem_alloc(B * widest * sizeof(float));
    float *work = evo_mem_alloc(wf * sizeof(float));
    uint8_t *args = evo_mem_alloc(L * B * widest); /* each pooling layer's maxima positions */
    const float *p = net->params;
    memcpy(acts, x, B * net->arch.n_in * sizeof(float));
    for (size_t i = 0; i < L; i++) {
        const struct evo_layer *l = &net->table[i];
        float *in = acts + i * B * widest, *out = acts + (i + 1) * B * widest;
        if (l->kind == EVO_LAYER_DENSE)
            k->dense_forward(out, in, p + l->w_off, p + l->b_off, B, l->c * l->h * l->w, l->oc, l->act, work);
        else if (l->kind == EVO_LAYER_CONV2D)
            k->conv2d_forward(out, in, p + l->w_off, p + l->b_off, B, l->c, l->h, l->w, l->oc, l->k, l->act, work);
        else if (l->kind == EVO_LAYER_MAXPOOL2)
            k->maxpool2_forward(out, args + i * B * widest, in, B, l->c, l->h, l->w);
        else
            memcpy(out, in, B * l->oc * l->oh * l->ow * sizeof(float));
    }
    double loss = k->softmax_xent_forward(probs, NULL, acts + L * B * widest, y, B, net->arch.n_out);
    memset(grads, 0, net->n_params * sizeof(float));
    k->softmax_xent_backward(g, probs, y, B, net->arch.n_out);
    for (size_t i = L; i-- > 0;) {
        const struct evo_layer *l = &net->table[i];
        float *in = acts + i * B * widest, *out = acts + (i + 1) * B * widest;
        size_t n_out = B * l->oc * l->oh * l->ow;
        if (l->kind == EVO_LAYER_DENSE || l->kind == EVO_LAYER_CONV2D) {
            if (l->act != EVO_ACT_IDENTITY)
                k->activation_backward(g, g, out, NULL, n_out, l->act, 0.0f);
            if (l->kind == EVO_LAYER_DENSE)
                k->dense_backward_weights(grads + l->w_off, grads + l->b_off, g, in, B, l->c * l->h * l->w, l->oc,
                                          work);
            else
                k->conv2d_backward_weights(grads + l->w_off, grads + l->b_off, g, in, B, l->c, l->h, l->w, l->oc,
                                           l->k, work);
            if (i == 0)
                break;
            if (l->kind == EVO_LAYER_DENSE)
                k->dense_backward_input(gn, g, p + l->w_off, B, l->c * l->h * l->w, l->oc, work);
            else
                k->conv2d_backward_input(gn, g, p + l->w_off, B, l->c, l->h, l->w, l->oc, l->k, work);
        } else if (l->kind == EVO_LAYER_MAXPOOL2) {
            k->maxpool2_backward(gn, g, args + i * B * widest, B, l->c, l->h, l->w);
        } else {
            memcpy(gn, g, n_out * sizeof(float));
        }
        float *t = g;
        g = gn;
        gn = t;
    }
    free(acts), free(probs), free(g), free(gn), free(work), free(args);
    return loss;
}

int main(int argc, char **argv)
{
    const char *arch_s = "784-256-128-10", *isa = NULL, *dir = "/usr/share/datasets/fashion-mnist";
    const char *act_s = "relu", *opt_s = "adam", *init_from = NULL, *init_to = NULL, *save_to = NULL;
    size_t batch = 64, max_rows = 0;
    int epochs = 7;
    double lr = 1e-3;
    unsigned long long seed = 1;
    int peak_only = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--peak")) {
            peak_only = 1;
            continue;
        }
        if (!v)
            return usage();
        if (!strcmp(o, "--arch"))
            arch_s = v;
        else if (!strcmp(o, "--batch"))
            batch = (size_t)strtoull(v, NULL, 10);
        else if (!strcmp(o, "--epochs"))
            epochs = atoi(v);
        else if (!strcmp(o, "--isa"))
            isa = v;
        else if (!strcmp(o, "--act"))
            act_s = v;
        else if (!strcmp(o, "--opt"))
            opt_s = v;
        else if (!strcmp(o, "--lr"))
            lr = atof(v);
        else if (!strcmp(o, "--data"))
            dir = v;
        else if (!strcmp(o, "--seed"))
            seed = strtoull(v, NULL, 10);
        else if (!strcmp(o, "--init-from"))
            init_from = v;
        else if (!strcmp(o, "--init-to"))
            init_to = v;
        else if (!strcmp(o, "--save-to"))
            save_to = v;
        else if (!strcmp(o, "--max-rows"))
            max_rows = (size_t)strtoull(v, NULL, 10);
        else
            return usage();
        i++;
    }
    struct evo_mlp_arch arch;
    if (parse_arch(arch_s, &arch) || batch == 0 || epochs < 1) {
        fprintf(stderr, "bench_train: bad --arch '%s', --batch or --epochs\n", arch_s);
        return 2;
    }
    arch.activation = -2;
    /* the activations dense_forward fuses: the hand-written pass below fuses every layer's */
    for (int a = 0; a <= EVO_ACT_SIGMOID; a++)
        if (!strcmp(act_s, evo_kernels_activation_name(a)))
            arch.activation = a;
    int opt = -1;
    for (int o = 0; o < EVO_OPT_COUNT; o++)
        if (!strcmp(opt_s, evo_optim_name(o)))
            opt = o;
    if (arch.activation < 0 || opt < 0) {
        fprintf(stderr, "bench_train: unknown --act '%s' or --opt '%s'\n", act_s, opt_s);
        return 2;
    }
    struct evo_error err;
    if (isa)
        setenv("EVOTUNE_ISA", isa, 1);
    if (evo_kernels_init(&err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 2;
    }
    const struct evo_kernels *k = evo_kernels();
    struct evo_rng rng;
    evo_rng_seed(&rng, seed, 0, 0, 1);
    struct evo_mlp net;
    if (evo_mlp_init(&net, &arch, &rng, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 2;
    }
    double peak = bench_peak_gflops(k->name), flops = flops_per_sample(&net);
    if (peak_only) {
        printf("RESULT isa=%s arch=%s flops_per_sample=%.0f peak_gflops=%.1f\n", k->name, arch_s, flops, peak);
        return 0;
    }

    char p_img[1024], p_lab[1024], p_timg[1024], p_tlab[1024];
    snprintf(p_img, sizeof p_img, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(p_lab, sizeof p_lab, "%s/train-labels-idx1-ubyte.gz", dir);
    snprintf(p_timg, sizeof p_timg, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(p_tlab, sizeof p_tlab, "%s/t10k-labels-idx1-ubyte.gz", dir);
    struct evo_dataset train, test;
    memset(&train, 0, sizeof train);
    memset(&test, 0, sizeof test);
    if (evo_data_load_idx(&train, p_img, p_lab, &err) || evo_data_load_idx(&test, p_timg, p_tlab, &err) ||
        evo_data_align(&test, &train, p_timg, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 1;
    }
    if (train.d != arch.n_in || (size_t)train.n_classes > arch.n_out) {
        fprintf(stderr, "bench_train: data has %zu features and %d classes, --arch %s does not fit\n",
                train.d, train.n_classes, arch_s);
        return 2;
    }
    float *mean = evo_mem_alloc(train.d * sizeof(float)), *std = evo_mem_alloc(train.d * sizeof(float));
    evo_data_standardize(&train, NULL, &test, mean, std);
    if (max_rows && max_rows < train.n)
        train.n = max_rows; /* the first rows, standardised with the whole set's statistics */

    if (arch.conv_blocks && (train.image_h != arch.image_h || train.image_w != arch.image_w)) {
        fprintf(stderr, "bench_train: conv blocks need 28 x 28 images\n");
        return 2;
    }
    struct evo_mlp_workspace ws;
    evo_mlp_workspace_init_for(&ws, &arch, batch, train.n);
    if ((init_from && params_file(&net, init_from, 0)) || (init_to && params_file(&net, init_to, 1)))
        return 1;

    /* Correctness first: the chosen table's gradient of the first batch against scalar's. */
    float *ref = evo_mem_alloc(net.n_params * sizeof(float));
    float *x0 = evo_mem_alloc(batch * train.d * sizeof(float));
    const float *first = evo_data_rows(&train, NULL, batch, 0, x0); /* the data are held as bytes */
    double ref_loss = reference_grad(&net, first, train.y, batch, ref);
    double loss = evo_mlp_loss_grad(&net, &ws, first, train.y, batch, NULL, 0.0, NULL);
    double gmax = 0, dmax = 0;
    for (size_t i = 0; i < net.n_params; i++) {
        gmax = fmax(gmax, fabs(ref[i]));
        dmax = fmax(dmax, fabs((double)net.grads[i] - ref[i]));
    }
    printf("check: %s gradient vs scalar: max |diff| %.3g (max |g| %.3g), loss %.7f vs %.7f\n", k->name, dmax,
           gmax, loss, ref_loss);
    if (!(dmax <= 1e-4 * gmax) || !(fabs(loss - ref_loss) <= 1e-5 * fabs(ref_loss))) {
        fprintf(stderr, "bench_train: %s gradient disagrees with the scalar reference\n", k->name);
        return 1;
    }
    free(ref);
    free(x0);

    struct evo_train_params tp;
    memset(&tp, 0, sizeof tp);
    tp.learning_rate = lr;
    tp.epochs = 1;
    tp.batch_size = batch;
    tp.optimizer = opt;
    tp.momentum = 0.9;
    tp.beta1 = 0.9;
    tp.beta2 = 0.999;
    tp.eps = 1e-8;
    printf("bench_train: arch %s %s, batch %zu, %s lr %g, isa %s, %zu training rows, 1 thread, seed %llu, "
           "initial parameters %s%s\n", arch_s, act_s, batch, opt_s, lr, k->name, train.n, seed,
           init_from ? "from " : "evotune's default init", init_from ? init_from : "");
    double *secs = evo_mem_alloc((size_t)epochs * sizeof(double));
    for (int e = 0; e < epochs; e++) {
        struct evo_train_result res;
        double t0 = bench_wall();
        int rc = evo_train_run(&net, &ws, &tp, &train, NULL, &rng, &res, &err);
        secs[e] = bench_wall() - t0;
        if (rc) {
            fprintf(stderr, "bench_train: %s\n", err.msg);
            return 1;
        }
        struct evo_metrics tm;
        evo_mlp_evaluate(&net, &ws, &test, &tm);
        printf("epoch %d: %.3f s, %.0f samples/s, train loss %.4f, test accuracy %.4f%s\n", e + 1, secs[e],
               (double)train.n / secs[e], res.train_loss, tm.accuracy, e == 0 ? " (warm-up)" : "");
    }
    double med;
    if (epochs > 1) {
        qsort(secs + 1, (size_t)epochs - 1, sizeof *secs, bench_cmp_double);
        size_t m = (size_t)epochs - 1;
        med = m % 2 ? secs[1 + m / 2] : 0.5 * (secs[m / 2] + secs[1 + m / 2]);
    } else {
        med = secs[0];
    }
    struct evo_metrics tm;
    evo_mlp_evaluate(&net, &ws, &test, &tm);
    if (save_to && params_file(&net, save_to, 1))
        return 1;
    printf("RESULT isa=%s arch=%s batch=%zu samples_per_s=%.0f median_epoch_s=%.4f test_accuracy=%.4f "
           "flops_per_sample=%.0f gflops=%.1f peak_gflops=%.1f\n",
           k->name, arch_s, batch, (double)train.n / med, med, tm.accuracy, flops,
           flops * (double)train.n / med / 1e9, peak);
    free(secs), free(mean), free(std);
    evo_mlp_release(&net);
    evo_mlp_workspace_release(&ws);
    evo_data_release(&train);
    evo_data_release(&test);
    return 0;
}

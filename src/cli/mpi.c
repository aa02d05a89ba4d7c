/* The same search over MPI (built with -DEVOTUNE_MPI=ON): under mpirun, rank 0 runs the command as
 * evotune alone does, and every other rank serves evaluations. Rank 0's evaluator pool gets a worker
 * per thread of every other rank, whose evaluation sends the trial to that rank's thread and waits for
 * its results and trained weights; which process trains a trial never changes a decision (the virtual
 * clock, search.c), so the results file is the one a single process writes. */
#include <mpi.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "evotune/config.h"
#include "evotune/evaluator.h"
#include "evotune/genome.h"
#include "evotune/kernels.h"
#include "evotune/mem.h"
#include "evotune/search.h"
#include "cli.h"

enum { TAG_STOP = 1, TAG_SLOT = 2 }; /* a trial to slot s and its reply: tag TAG_SLOT + s */
enum { WIRE_MAGIC = 0x45564d50, WIRE_VERSION = 1, KIND_QUIT = 0, KIND_SERVE = 1 };

/* What rank 0 broadcasts once: quit, or serve this configuration on this data with this kernel
 * table. The sizes check that every rank runs the same build's structs. */
struct wire_header {
    uint32_t magic, version;
    int32_t kind, isa;
    uint64_t sizes[4]; /* evo_individual, evo_mlp_arch, evo_epoch_metrics, evo_error */
    uint64_t data_hash, test_data_hash, text_len;
    char evotune_version[32];
};

/* What each rank answers: ready (rc EVO_OK) with its thread count, or why it refuses. */
struct wire_ready {
    int32_t rc, threads;
    struct evo_error err;
};

/* A trial for a remote thread. */
struct wire_job {
    struct evo_individual trial;
    int32_t fold;
};

/* The results of a trial, followed by n_curve curve points and n_params floats of weights, or, when rc
 * is an error, by the struct evo_error that says it. */
struct wire_result {
    int32_t rc, epochs_kept;
    struct evo_individual trial;
    struct evo_mlp_arch arch;
    uint64_t n_curve, n_params;
};

static int active, rank, size; /* under mpirun; this process's rank, the ranks */
static int told;               /* rank 0: the other ranks got their header */

/* The wait of every MPI call here: a blocking MPI call spins a core, which rank 0's own training
 * threads need, and rank 0 has a waiting thread per thread of every other rank. So a wait naps, 0.1
 * ms first and twice as long each time up to 10 ms: a reply is noticed at most 10 ms (and at most
 * about the wait itself) late, and a thread waiting on a training of seconds wakes about a hundred
 * times a second, not ten thousand. */
#define NAP_FIRST_NS 100000L
#define NAP_LONGEST_NS 10000000L

static void nap(long *ns)
{
    struct timespec ts = {0, *ns};
    nanosleep(&ts, NULL);
    if (*ns < NAP_LONGEST_NS)
        *ns = 2 * *ns < NAP_LONGEST_NS ? 2 * *ns : NAP_LONGEST_NS;
}

static void wait_request(MPI_Request *rq)
{
    int done = 0;
    long ns = NAP_FIRST_NS;
    while (MPI_Test(rq, &done, MPI_STATUS_IGNORE), !done)
        nap(&ns);
}

static void bcast(void *buf, size_t n)
{
    MPI_Request rq;
    MPI_Ibcast(buf, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD, &rq);
    wait_request(&rq);
}

static void send_to(const void *buf, size_t n, int to, int tag)
{
    MPI_Request rq;
    MPI_Isend(buf, (int)n, MPI_BYTE, to, tag, MPI_COMM_WORLD, &rq);
    wait_request(&rq);
}

/* Receives the next message from `from` with `tag` (MPI_ANY_TAG: any) into *buf, grown to fit;
 * returns its length and sets *got_tag. */
static size_t receive(unsigned char **buf, size_t *cap, int from, int tag, int *got_tag)
{
    MPI_Message msg;
    MPI_Status st;
    int flag = 0, n = 0;
    long ns = NAP_FIRST_NS;
    while (MPI_Improbe(from, tag, MPI_COMM_WORLD, &flag, &msg, &st), !flag)
        nap(&ns);
    MPI_Get_count(&st, MPI_BYTE, &n);
    if ((size_t)n > *cap || !*buf) {
        free(*buf);
        *cap = n > 0 ? (size_t)n : 1;
        *buf = evo_mem_alloc(*cap);
    }
    MPI_Mrecv(*buf, n, MPI_BYTE, &msg, &st);
    *got_tag = st.MPI_TAG;
    return (size_t)n;
}

static void header_of(struct wire_header *h, int kind)
{
    memset(h, 0, sizeof *h);
    h->magic = WIRE_MAGIC;
    h->version = WIRE_VERSION;
    h->kind = kind;
    h->isa = evo_kernels()->isa;
    h->sizes[0] = sizeof(struct evo_individual);
    h->sizes[1] = sizeof(struct evo_mlp_arch);
    h->sizes[2] = sizeof(struct evo_epoch_metrics);
    h->sizes[3] = sizeof(struct evo_error);
    snprintf(h->evotune_version, sizeof h->evotune_version, "%s", EVOTUNE_VERSION);
}

int cli_mpi_init(int *argc, char ***argv)
{
    /* Open MPI's mpirun, and PMI/PMIx launchers (Slurm's srun, MPICH's hydra) */
    static const char *const launched[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK"};
    int any = 0;
    for (size_t k = 0; k < sizeof launched / sizeof *launched; k++)
        any |= getenv(launched[k]) != NULL;
    if (!any)
        return 0; /* not launched by an MPI launcher: evotune alone */
    int provided = 0;
    MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    active = 1;
    if (provided < MPI_THREAD_MULTIPLE) {
        if (!rank)
            fprintf(stderr, "evotune: this MPI library does not provide MPI_THREAD_MULTIPLE, which rank 0's "
                    "threads need\n");
        MPI_Finalize();
        exit(CLI_EXIT_FAILURE);
    }
    return rank;
}

int cli_mpi_finish(int code)
{
    if (!active)
        return code;
    if (!rank && !told) { /* a command that ran no search: the other ranks have nothing to do */
        struct wire_header h;
        header_of(&h, KIND_QUIT);
        bcast(&h, sizeof h);
    }
    MPI_Finalize();
    active = 0;
    return code;
}

/* ---- rank 0: the pool's remote workers ---- */

/* The evaluation of rank 0's pool: workers 0 .. local-1 train here, the others stand for a thread of
 * another rank each (slot = worker - local). */
struct pool {
    struct evo_trainer trainer; /* the local threads' workspaces */
    int local;
    int n_slots;
    int *slot_rank;            /* [n_slots] */
    unsigned char **buf;       /* [n_slots] reply buffers, grown to fit */
    size_t *cap;
    size_t max_epochs;
};
static struct pool pool;

/* A trial trained by another rank: its results, curve and weights as that rank's evo_evaluator_train
 * left them. A paused training's optimizer state stays there: its promotion trains again from the
 * start (evo_evaluator_train, same result), so the network here is the weights only, its training
 * marked as none to go on from. */
static int remote_eval(void *ctx, int worker, struct evo_eval_job *job, struct evo_error *err)
{
    struct pool *p = ctx;
    if (worker < p->local)
        return evo_evaluator_train(&p->trainer, worker, job, err);
    int s = worker - p->local, tag;
    struct wire_job wj;
    memset(&wj, 0, sizeof wj);
    wj.trial = job->trial;
    wj.fold = job->fold;
    send_to(&wj, sizeof wj, p->slot_rank[s], TAG_SLOT + s);
    size_t n = receive(&p->buf[s], &p->cap[s], p->slot_rank[s], TAG_SLOT + s, &tag);
    struct wire_result r;
    if (n < sizeof r)
        return evo_error_set(err, EVO_ERUNTIME, "rank %d sent a malformed result (%zu bytes)", p->slot_rank[s], n);
    memcpy(&r, p->buf[s], sizeof r);
    size_t body = n - sizeof r;
    /* the counts are checked against the bytes received before any product is formed */
    int ok = r.trial.id == job->trial.id &&
             (r.rc ? body == sizeof *err
                   : r.n_curve <= p->max_epochs && r.n_params <= body / sizeof(float) &&
                         body == r.n_curve * sizeof *job->curve + r.n_params * sizeof(float));
    if (!ok)
        return evo_error_set(err, EVO_ERUNTIME, "rank %d sent a malformed result for trial %lld (%zu bytes)",
                             p->slot_rank[s], (long long)job->trial.id, n);
    const unsigned char *curve = p->buf[s] + sizeof r, *params = curve + r.n_curve * sizeof *job->curve;
    evo_mlp_release(&job->net);
    memset(&job->training, 0, sizeof job->training);
    job->training.epoch = -1; /* nothing to go on from here */
    job->resume = 0;
    job->trial = r.trial;
    job->epochs_kept = r.epochs_kept;
    if (r.rc) {
        memcpy(err, p->buf[s] + sizeof r, sizeof *err);
        err->msg[sizeof err->msg - 1] = '\0';
        return r.rc;
    }
    memcpy(job->curve, curve, r.n_curve * sizeof *job->curve);
    if (r.n_params) {
        struct evo_rng rng;
        evo_rng_seed(&rng, 0, 0, 0, EVO_RNG_TRAIN); /* every weight is overwritten below */
        int rc = evo_mlp_init(&job->net, &r.arch, &rng, err);
        if (rc)
            return rc;
        if (job->net.n_params != r.n_params) {
            evo_mlp_release(&job->net);
            return evo_error_set(err, EVO_ERUNTIME, "rank %d sent %llu weights for a network of %zu",
                                 p->slot_rank[s], (unsigned long long)r.n_params, job->net.n_params);
        }
        memcpy(job->net.params, params, r.n_params * sizeof(float));
    }
    return EVO_OK;
}

int cli_mpi_attach(struct evo_search *sr, struct evo_error *err)
{
    if (!active || size < 2)
        return EVO_OK;
    struct wire_header h;
    header_of(&h, KIND_SERVE);
    h.data_hash = sr->problem.data_hash;
    h.test_data_hash = sr->problem.test_data_hash;
    h.text_len = strlen(sr->cfg->text);
    bcast(&h, sizeof h);
    bcast(sr->cfg->text, h.text_len);
    told = 1;
    struct wire_ready mine, *all = evo_mem_calloc((size_t)size, sizeof *all);
    memset(&mine, 0, sizeof mine);
    MPI_Request rq;
    MPI_Igather(&mine, sizeof mine, MPI_BYTE, all, sizeof mine, MPI_BYTE, 0, MPI_COMM_WORLD, &rq);
    wait_request(&rq);
    int32_t go = 1, refused = 0;
    for (int r = 1; r < size && !refused; r++)
        if (all[r].rc) {
            refused = r;
            *err = all[r].err;
            err->status = all[r].rc;
        }
    go = !refused;
    bcast(&go, sizeof go);
    if (!go) {
        free(all);
        return err->status;
    }
    memset(&pool, 0, sizeof pool);
    pool.local = sr->threads;
    for (int r = 1; r < size; r++)
        pool.n_slots += all[r].threads;
    pool.slot_rank = evo_mem_calloc((size_t)pool.n_slots, sizeof *pool.slot_rank);
    pool.buf = evo_mem_calloc((size_t)pool.n_slots, sizeof *pool.buf);
    pool.cap = evo_mem_calloc((size_t)pool.n_slots, sizeof *pool.cap);
    for (int r = 1, s = 0; r < size; r++)
        for (int t = 0; t < all[r].threads; t++)
            pool.slot_rank[s++] = r;
    free(all);
    pool.max_epochs = (size_t)evo_genome_spec_max(&sr->cfg->space.spec[EVO_GENE_EPOCHS]);
    evo_trainer_init(&pool.trainer, sr->cfg, &sr->problem, pool.local);
    sr->eval = remote_eval;
    sr->eval_ctx = &pool;
    sr->threads = pool.local + pool.n_slots; /* what the file's threads records: every rank's */
    sr->log.threads = sr->threads;
    return EVO_OK;
}

void cli_mpi_detach(struct evo_search *sr)
{
    if (!active || size < 2 || sr->eval != remote_eval)
        return;
    for (int r = 1; r < size; r++)
        send_to(NULL, 0, r, TAG_STOP);
    evo_trainer_release(&pool.trainer);
    for (int s = 0; s < pool.n_slots; s++)
        free(pool.buf[s]);
    free(pool.buf);
    free(pool.cap);
    free(pool.slot_rank);
    memset(&pool, 0, sizeof pool);
    sr->eval = NULL;
    sr->eval_ctx = NULL;
}

/* ---- the other ranks: a server of evaluations ---- */

/* Loads rank 0's configuration and the data into sr, under rank 0's kernel table; EVO_OK, or why this
 * rank cannot serve them (in err). */
static int prepare(const struct wire_header *h, const char *text, struct evo_config *cfg, struct evo_search *sr,
                   struct evo_error *err)
{
    struct wire_header me;
    header_of(&me, KIND_SERVE);
    if (h->magic != WIRE_MAGIC || h->version != WIRE_VERSION || memcmp(h->sizes, me.sizes, sizeof me.sizes) ||
        strcmp(h->evotune_version, me.evotune_version))
        return evo_error_set(err, EVO_EUSAGE, "its evotune build (%s) is not rank 0's (%.31s): run one build "
                             "on every rank", me.evotune_version, h->evotune_version);
    int rc = evo_kernels_force(h->isa, err);
    if (rc)
        return rc;
    if ((rc = evo_config_load_string(cfg, text, "rank 0's configuration", NULL, 0, err)))
        return rc;
    if ((rc = evo_search_init(sr, cfg, err)))
        return rc;
    if (sr->problem.data_hash != h->data_hash)
        return evo_error_set(err, EVO_EDATA, "'%s' differs from rank 0's (content hash %016llx, rank 0's %016llx)",
                             cfg->train, (unsigned long long)sr->problem.data_hash,
                             (unsigned long long)h->data_hash);
    if (sr->problem.test_data_hash != h->test_data_hash)
        return evo_error_set(err, EVO_EDATA, "'%s' differs from rank 0's (content hash %016llx, rank 0's %016llx)",
                             cfg->test ? cfg->test : "(no test file)", (unsigned long long)sr->problem.test_data_hash,
                             (unsigned long long)h->test_data_hash);
    return EVO_OK;
}

struct server {
    struct evo_evaluator ev;
    int *slot_of;           /* [threads] the rank-0 slot each evaluator job answers to */
    unsigned char *in, *out;
    size_t in_cap, out_cap;
};

/* Sends job's results to the slot it came from. */
static void reply(struct server *sv, struct evo_eval_job *job)
{
    struct wire_result r;
    memset(&r, 0, sizeof r);
    r.rc = job->rc;
    r.epochs_kept = job->epochs_kept;
    r.trial = job->trial;
    r.n_curve = (uint64_t)(!job->rc && job->trial.epochs_run > 0 ? job->trial.epochs_run : 0);
    if (r.n_curve > sv->ev.max_epochs)
        r.n_curve = sv->ev.max_epochs;
    if (!job->rc && job->net.slab) {
        r.arch = job->net.arch;
        r.n_params = job->net.n_params;
    }
    size_t n = sizeof r + (job->rc ? sizeof job->err : r.n_curve * sizeof *job->curve + r.n_params * sizeof(float));
    if (n > sv->out_cap) {
        free(sv->out);
        sv->out_cap = n;
        sv->out = evo_mem_alloc(n);
    }
    memcpy(sv->out, &r, sizeof r);
    if (job->rc)
        memcpy(sv->out + sizeof r, &job->err, sizeof job->err);
    memcpy(sv->out + sizeof r, job->curve, r.n_curve * sizeof *job->curve);
    if (r.n_params)
        memcpy(sv->out + sizeof r + r.n_curve * sizeof *job->curve, job->net.params, r.n_params * sizeof(float));
    send_to(sv->out, n, 0, TAG_SLOT + sv->slot_of[job - sv->ev.jobs]);
}

/* The server's coordinator (on its evaluator's thread 0): queues what rank 0 sends, answers what is
 * done, until rank 0 says stop. */
static int coordinate(void *arg)
{
    struct server *sv = arg;
    long arrived = 0;
    double wait = NAP_FIRST_NS * 1e-9; /* idle: twice as long each round, up to nap's longest */
    for (;;) {
        MPI_Status st;
        int flag = 0, tag;
        MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (flag) {
            size_t n = receive(&sv->in, &sv->in_cap, 0, st.MPI_TAG, &tag);
            if (tag == TAG_STOP)
                return EVO_OK;
            struct wire_job wj;
            if (n != sizeof wj)
                return EVO_ERUNTIME;
            memcpy(&wj, sv->in, sizeof wj);
            struct evo_eval_job *job = evo_evaluator_submit(&sv->ev, &wj.trial, wj.fold, (double)arrived++, NULL, NULL);
            if (!job)
                return EVO_ERUNTIME; /* rank 0 sends no more than one trial per slot */
            sv->slot_of[job - sv->ev.jobs] = tag - TAG_SLOT;
        }
        struct evo_eval_job *job;
        int replied = 0;
        while ((job = evo_evaluator_next_done(&sv->ev, flag ? 0.0 : wait))) {
            reply(sv, job);
            evo_evaluator_recycle(&sv->ev, job);
            replied = 1;
        }
        wait = flag || replied ? NAP_FIRST_NS * 1e-9 : fmin(2 * wait, NAP_LONGEST_NS * 1e-9);
    }
}

int cli_mpi_serve(void)
{
    struct wire_header h;
    bcast(&h, sizeof h);
    if (h.kind != KIND_SERVE)
        return cli_mpi_finish(CLI_EXIT_OK);
    char *text = evo_mem_alloc(h.text_len + 1);
    bcast(text, h.text_len);
    text[h.text_len] = '\0';
    struct evo_config cfg;
    struct evo_search sr;
    memset(&cfg, 0, sizeof cfg);
    memset(&sr, 0, sizeof sr);
    struct wire_ready mine;
    memset(&mine, 0, sizeof mine);
    mine.rc = prepare(&h, text, &cfg, &sr, &mine.err);
    free(text);
    if (mine.rc) { /* said by rank 0, as this rank's reason */
        char host[64] = "?", why[sizeof mine.err.msg];
        gethostname(host, sizeof host - 1);
        snprintf(why, sizeof why, "%s", mine.err.msg);
        evo_error_set(&mine.err, mine.rc, "rank %d on %s refuses to start: %s", rank, host, why);
    }
    mine.threads = sr.threads;
    MPI_Request rq;
    MPI_Igather(&mine, sizeof mine, MPI_BYTE, NULL, 0, MPI_BYTE, 0, MPI_COMM_WORLD, &rq);
    wait_request(&rq);
    int32_t go = 0;
    bcast(&go, sizeof go);
    int rc = EVO_OK;
    if (go) {
        struct server sv;
        memset(&sv, 0, sizeof sv);
        struct evo_trainer tr;
        evo_trainer_init(&tr, &cfg, &sr.problem, sr.threads);
        evo_evaluator_init(&sv.ev, sr.threads, (size_t)sr.threads,
                           (size_t)evo_genome_spec_max(&cfg.space.spec[EVO_GENE_EPOCHS]), evo_evaluator_train, &tr);
        sv.slot_of = evo_mem_calloc((size_t)sr.threads, sizeof *sv.slot_of);
        rc = evo_evaluator_run(&sv.ev, coordinate, &sv);
        evo_evaluator_release(&sv.ev);
        evo_trainer_release(&tr);
        free(sv.slot_of);
        free(sv.in);
        free(sv.out);
        if (rc)
            fprintf(stderr, "evotune: rank %d: a malformed message from rank 0\n", rank);
    }
    evo_search_release(&sr);
    if (cfg.text)
        evo_config_release(&cfg);
    return cli_mpi_finish(mine.rc ? evo_error_exit_code(mine.rc) : rc ? CLI_EXIT_FAILURE : CLI_EXIT_OK);
}

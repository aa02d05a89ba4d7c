/* The search engine: asks a strategy (strategy.h) for trials, has the evaluator (evaluator.h) run them
 * on its threads, tells the strategy their results and keeps the run log (runlog.h) that storage
 * writes.
 *
 * Decisions follow a virtual clock, never the order in which threads finish. W virtual workers
 * (run.workers) each run one trial at a time; a trial's virtual duration is a cost model of its
 * training (evo_search_cost: multiply-adds x training rows x epochs, plus a per-step overhead). The
 * engine repeatedly takes the virtual worker that frees first, tells the strategy every trial that
 * virtually finished by then (in order of virtual end, then id), and asks for the next trial at that
 * moment. Real threads meanwhile run every trial already decided, the one ending first in virtual time
 * first (the longest first once nothing more can be decided: the budget spent, or a generation
 * waiting for its last results, so that the last to finish is short); the engine waits for a real result only when the virtual clock needs it. So every decision,
 * and every result, is the same for any thread count; and when the cost model tracks real durations,
 * threads rarely wait. A resumed run replays the strategy from the start over the logged results
 * (trials already finished are not trained again) and goes on from there; until it decided again
 * every trial the file records, a stop request, a save and the time limit wait (the replay waits for
 * no training), so that nothing half-rebuilt is ever published. */
#ifndef EVOTUNE_SEARCH_H
#define EVOTUNE_SEARCH_H
#include <signal.h>
#include "evotune/config.h"
#include "evotune/error.h"
#include "evotune/evaluator.h"
#include "evotune/problem.h"
#include "evotune/runlog.h"
#include "evotune/strategy.h"

/* Why the hook is called. */
enum evo_search_event {
    EVO_SEARCH_PROGRESS,  /* trials finished since the last call (throttled, see evo_search_run) */
    EVO_SEARCH_FINISHED,  /* the budget is spent and the best, if any, was scored (log.finished set) */
    EVO_SEARCH_STOPPED,   /* *stop was raised: nothing more will be recorded (log.stopped set) */
};

struct evo_search {
    const struct evo_config *cfg;      /* borrowed; must outlive the search */
    struct evo_problem problem;
    struct evo_runlog log;
    struct evo_strategy strategy;      /* rebuilt by every evo_search_run */
    int threads;                       /* evaluator threads (run.threads, 0: all cores) */
    int workers;                       /* virtual workers (run.workers) */
    evo_eval_fn eval;                  /* the evaluation: evo_evaluator_train unless swapped (tests, */
    void *eval_ctx;                    /* the scheduler benchmark) before evo_search_run */
    volatile sig_atomic_t *stop;       /* optional: non-zero asks the search to stop (a signal handler) */
    size_t paused_room;                /* bytes for paused trainings kept for their promotion (promote.h):
                                        * run.max_memory less what evo_search_init set aside; lowering
                                        * it changes no result, only time */
    int test_rescore;                  /* a test control that no key sets: 1 scores the best on the test
                                        * split a second time, so that a test can show that
                                        * problem.test_uses catches it; 0 in every run */
    double save_interval_min;          /* EVO_SEARCH_PROGRESS throttle (default 0.05 s; 0: after every
                                        * result, unthrottled, as fault injection needs) */
    /* measured by the last evo_search_run */
    double busy_seconds;               /* thread-time spent in evaluations (the evaluator's timestamps) */
    double run_seconds;                /* wall time of the run, data loading excluded */
    long evaluated;                    /* trials evaluated (not replayed) */
    long resumed;                      /* of those, promotions that went on from a kept paused training
                                        * (the others trained from the start) */
};

/* Called from the coordinating thread with the log consistent (no thread changes it during the call).
 * A non-zero return stops the search with that status. The hook may end the process (main.c does on
 * EVO_SEARCH_STOPPED). */
typedef int (*evo_search_hook)(const struct evo_search *s, int event, void *user);

/* Loads the problem of cfg (evo_problem_load), chooses the thread count and checks that the threads'
 * workspaces and the in-flight trials fit run.max_memory (EVO_ECONFIG naming the keys). On error s is
 * left released. */
int evo_search_init(struct evo_search *s, const struct evo_config *cfg, struct evo_error *err);

/* Runs the search until its budget is spent: run.max_trials trials (random, steady_state) or
 * ga.generations (generational), or run.time_limit of running time (after which nothing new starts
 * and the trials in flight finish, or are abandoned evo_search_grace after the limit: an abandoned
 * training stops at its next epoch); then scores the best network once on the test split and sets
 * finished. A log restored by evo_h5_load (and evo_journal_recover) is replayed first: every decision must
 * give back the logged trial (else EVO_EDATA, the file does not belong to this configuration); a budget below
 * a logged trial's id (or generation) is EVO_ECONFIG. The hook is called with EVO_SEARCH_PROGRESS at most
 * once per save_interval_min when trials finished (after every harvest that brought results when it is 0): a
 * hook whose work grows with the log spaces that work itself, as journal.h does; EVO_SEARCH_STOPPED once on
 * *stop (trials in training are abandoned); EVO_SEARCH_FINISHED at the end. Returns EVO_OK (also when
 * stopped), the hook's status, or an error. */
int evo_search_run(struct evo_search *s, evo_search_hook hook, void *user, struct evo_error *err);

/* The virtual duration of trial t on this problem: its network's multiply-adds x (3 x training rows +
 * validation rows) x epochs, plus 8 x parameters + 2000 per step (a batch's update). */
double evo_search_cost(const struct evo_search *s, const struct evo_individual *t);

/* Seconds the trials in flight may go on after run.time_limit: 10 % of the limit, at least a minute. */
double evo_search_grace(const struct evo_config *cfg);

/* Trials finished (in the log), and the budget: run.max_trials, or for generational the trials its
 * generations train. */
long evo_search_done(const struct evo_search *s);
long evo_search_budget(const struct evo_search *s);

/* The epochs that the trials of the log (finished and in flight) add to their trainings (budget -
 * from_epoch each: what run.max_epochs counts); *last: those of the highest id. */
int64_t evo_search_epochs(const struct evo_search *s, int64_t *last);

/* Frees everything s owns. Safe on a zeroed s. */
void evo_search_release(struct evo_search *s);

#endif

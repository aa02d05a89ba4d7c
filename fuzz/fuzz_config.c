/* libFuzzer harness for configuration parsing and validation (src/config.c) from a string. The input
 * up to its first NUL byte is the config text; each further NUL-separated piece is a --set override
 * (at most 8). Inputs without a NUL are also loaded with a fixed set of overrides. Invariants checked:
 * an error message is one non-empty line (config.h), and the effective configuration text of a valid
 * config loads again, to the same text. */
#include "fuzz_common.h"
#include "evotune/config.h"

static void load(const char *text, const char *const *sets, size_t n_sets)
{
    struct evo_config cfg = {0}, again = {0};
    struct evo_error err = {0};
    if (evo_config_load_string(&cfg, text, "fuzz.cfg", sets, n_sets, &err) != EVO_OK) {
        if (!err.msg[0] || strchr(err.msg, '\n')) { /* config.h: every error is one line */
            fprintf(stderr, "error message is not one non-empty line: \"%s\"\n", err.msg);
            abort();
        }
        return;
    }
    if (evo_config_load_string(&again, cfg.text, "fuzz.cfg", NULL, 0, &err) != EVO_OK) {
        fprintf(stderr, "effective config does not load again: %s\n--- text:\n%s\n", err.msg, cfg.text);
        abort();
    }
    if (strcmp(again.text, cfg.text) != 0) {
        fprintf(stderr, "effective config is not a fixed point:\n%s\n---\n%s\n", cfg.text, again.text);
        abort();
    }
    evo_config_release(&again);
    evo_config_release(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const fixed[] = {"ga.population=3", "search.optimizer=\"adam\"",
                                        "search.epochs={min=5;max=50;}", "search.learning_rate.max=0.5",
                                        "data.label=-1"};
    char *buf = malloc(size + 1);
    if (!buf)
        abort();
    memcpy(buf, data, size);
    buf[size] = '\0';
    const char *sets[8] = {0};
    size_t n_sets = 0;
    size_t text_len = strlen(buf);
    for (size_t i = text_len; i < size && n_sets < 8; i += strlen(buf + i + 1) + 1)
        sets[n_sets++] = buf + i + 1;
    load(buf, sets, n_sets);
    if (text_len == size)
        load(buf, fixed, sizeof fixed / sizeof *fixed);
    free(buf);
    return 0;
}

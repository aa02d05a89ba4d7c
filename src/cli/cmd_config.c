/* evotune config CONFIG [--set PATH=VALUE]...: the effective configuration (every key, overrides
 * applied) as libconfig text; evotune config --template | --reference: the commented default file
 * and the Markdown reference of every key, both generated from the key table. */
#include <stddef.h>
#include <stdio.h>
#include "evotune/config.h"
#include "evotune/error.h"
#include "cli.h"

struct config_args {
    const char *config;
    struct cli_sets sets;
    int template, reference;
};

#define FIELD(f) offsetof(struct config_args, f)
static const struct cli_option options[] = {
    {"--set", NULL, CLI_SET, FIELD(sets), NULL, "PATH=VALUE", NULL},
    {"--template", NULL, CLI_FLAG, FIELD(template), NULL, NULL, NULL},
    {"--reference", NULL, CLI_FLAG, FIELD(reference), NULL, NULL, NULL},
    {NULL},
};

static int cmd_config(int argc, char **argv)
{
    struct config_args a = {0};
    int code = cli_parse(argc, argv, options, &a, &a.config, 1);
    if (!code && (a.template || a.reference) && argc != 3)
        code = cli_usage_error("option '%s' takes no other argument", a.template ? "--template" : "--reference");
    if (!code && a.template)
        evo_config_write_template(stdout);
    else if (!code && a.reference)
        evo_config_write_reference(stdout);
    else if (!code && !a.config)
        code = cli_usage_error("missing CONFIG file");
    else if (!code) {
        struct evo_error err = {0};
        struct evo_config cfg;
        int rc = evo_config_load(&cfg, a.config, a.sets.v, a.sets.n, &err);
        if (rc) {
            fprintf(stderr, "evotune: %s\n", err.msg);
        } else {
            fputs(cfg.text, stdout);
            evo_config_release(&cfg);
        }
        code = evo_error_exit_code(rc);
    }
    cli_sets_release(&a.sets);
    return code;
}

const struct cli_command cli_cmd_config = {"config", cmd_config, options, NULL, NULL};

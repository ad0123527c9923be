/* Option parsing and other helpers shared by the dlic-* tools
 * (implemented in tools/imageio/cli.c, which every tool links). */
#ifndef DLIC_TOOLS_CLIUTIL_H
#define DLIC_TOOLS_CLIUTIL_H

#include <stdint.h>

#include "dlic/dlic.h"

/* Exit statuses: 1 for a failed operation, 2 for a command-line mistake. */
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* Largest model file the tools load. */
#define CLI_MAX_MODEL_SIZE ((size_t)1 << 30)

/* Name used in messages for a path: "stdin"/"stdout" for "-". */
const char *cli_name(const char *path, int output);

/* Options with a value: matches "NAME VALUE" and "NAME=VALUE" at argv[*i].
 * Returns 1 and sets *value (advancing *i past a separate value), 0 when
 * argv[*i] is not this option, -1 when the value is missing. */
int cli_opt_value(int argc, char **argv, int *i, const char *name,
                  const char **value);

/* Strict decimal integer in [lo, hi]. Returns 0 on success. */
int cli_parse_int(const char *s, long lo, long hi, int *out);

/* "scalar", "avx2", "avxvnni" or "avx512" to a dlic_settings.cpu_mask,
 * each allowing the ones before it. 0 on success. */
int cli_parse_cpu(const char *s, unsigned *mask);

/* Metadata blocks a tool keeps (--metadata). */
#define CLI_META_ICC 1u
#define CLI_META_EXIF 2u
#define CLI_META_ALL (CLI_META_ICC | CLI_META_EXIF)

/* A comma-separated list of "all", "none", "icc" and "exif" (cwebp's
 * -metadata) to CLI_META_* bits; "none" clears what came before it.
 * 0 on success, -1 for an empty list, an empty item or an unknown name. */
int cli_parse_metadata(const char *s, unsigned *mask);

/* Loads a model file; on failure prints "PROG: PATH: reason" and returns
 * nonzero. */
int cli_load_model(const char *prog, const char *path, dlic_model **model);

/* Report "PROG: NAME: reason" on stderr. */
void cli_error(const char *prog, const char *name, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Usage error: "PROG: message (try 'PROG --help')"; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *prog, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Monotonic seconds. */
double cli_now(void);

/* A dlic_settings.progress callback drawing "PROG: LABEL NN%" on stderr;
 * opaque is a cli_progress. cli_progress_done() ends the line. */
typedef struct cli_progress {
    const char *prog;
    const char *label;
    int last;
    int shown;
    char detail[80];            /* drawn after the percentage */
} cli_progress;

void cli_progress_cb(void *opaque, int percent);
/* A dlic_settings.search_progress callback: the encoder's latent search
 * (iteration, estimated bpp and PSNR) after the percentage. */
void cli_search_cb(void *opaque, int iteration, int iterations, double bpp, double psnr);
void cli_progress_done(cli_progress *p);

/* What dlic-enc and dlic-dec share on their command lines. */
typedef struct cli_common {
    const char *in, *out, *weights;
    int threads, verbose, quiet;
    int cpu_set;
    unsigned cpu_mask;
    unsigned metadata;           /* CLI_META_*: the tool's default, then --metadata */
    int only_files;              /* after "--" */
} cli_common;

/* Looks at argv[*i]: an input file, "--", or an option both codec tools
 * take (-o, --weights, --threads, --cpu, --metadata, -v, -quiet, --help
 * through help(),
 * --version). Returns 1 when it took the argument (advancing *i past a
 * separate value), 0 when the caller should handle it, or CLI_EXIT_USAGE
 * after printing a usage error. */
int cli_common_arg(const char *prog, int argc, char **argv, int *i,
                   cli_common *c, void (*help)(void));

/* The settings every tool starts from: library defaults, then --threads,
 * --cpu, --weights (loaded into *loaded, which the caller frees with
 * dlic_model_free) and the progress line when stderr is a terminal and not
 * quiet. Prints the reason and returns nonzero when the model cannot be
 * loaded. */
int cli_settings(const char *prog, const cli_common *c, cli_progress *progress,
                 dlic_settings *s, dlic_model **loaded);

#endif /* DLIC_TOOLS_CLIUTIL_H */

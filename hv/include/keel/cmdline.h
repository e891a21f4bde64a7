/*
 * Command-line parsing: "name=value name2 name3=value3 ...", each name looked
 * up in a table of struct param. An unknown name or a bad value is warned
 * about and skipped, never fatal: a typo must not stop a server from booting.
 */
#ifndef KEEL_CMDLINE_H
#define KEEL_CMDLINE_H
#include <stddef.h>
#include <stdint.h>

enum param_type {
    PARAM_BOOL,     /* "name", "name=1|0|on|off|yes|no|true|false"; "no-name" sets false */
    PARAM_UINT,     /* unsigned 64-bit: decimal, 0x hex */
    PARAM_SIZE,     /* like UINT, with an optional K/M/G/T suffix (bytes) */
    PARAM_STR,      /* copied into a buffer of .len bytes, truncation is an error */
    PARAM_CUSTOM,   /* .fn(value) returns 0 or a negative errno */
};

struct param {
    const char *name;
    enum param_type type;
    void *var;                      /* bool: int*, UINT/SIZE: uint64_t*, STR: char* */
    size_t len;                     /* STR: size of the buffer at .var */
    int (*fn)(const char *value);   /* CUSTOM: value is "" when none was given */
};

/* Longest single option that is parsed; longer ones are rejected with a warning. */
#define CMDLINE_TOKEN_MAX  256

/* Returns the number of options that were warned about. */
int cmdline_parse(const char *cmdline, const struct param *table, size_t n);

/* Parse a number with an optional K/M/G/T suffix. Returns 0 or -EINVAL. */
int parse_size(const char *s, uint64_t *out, int allow_suffix);
#endif

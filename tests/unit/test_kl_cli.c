/*
 * kl's command line as xl's (exit codes, -h everywhere) and its
 * documentation: every subcommand in kl's table is in kl(1) and the other
 * way round, every setting the parser takes is in kl.cfg(5), every
 * hypervisor option in keel(8), and the bash completion asks kl itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "kl.h"
#include "unit.h"

int kl_main(int argc, char **argv);

static char *slurp(const char *path)
{
    char *buf = unit_read_text(path);

    assert_non_null(buf);
    return buf;
}

/* kl ARGS... in a child: its exit status; its stdout and stderr in @out and @err. */
static int run(char *out, size_t outlen, char *err, size_t errlen, ...)
{
    char *argv[16] = { "kl" };
    int argc = 1, po[2], pe[2], status;
    va_list ap;
    pid_t pid;

    va_start(ap, errlen);
    while ((argv[argc] = va_arg(ap, char *)) != NULL)
        argc++;
    va_end(ap);
    assert_int_equal(pipe(po), 0);
    assert_int_equal(pipe(pe), 0);
    pid = fork();
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        setenv("KEEL_CONF", "/nonexistent", 1);
        exit(kl_main(argc, argv));
    }
    close(po[1]);
    close(pe[1]);
    ssize_t n = read(po[0], out, outlen - 1);
    out[n > 0 ? n : 0] = '\0';
    n = read(pe[0], err, errlen - 1);
    err[n > 0 ? n : 0] = '\0';
    close(po[0]);
    close(pe[0]);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_exit_codes(void **state)
{
    char out[8192], err[4096];

    (void)state;
    /* -h and --help on every command: its usage on stdout, 0. */
    for (const struct kl_command *c = kl_commands; c->name; c++) {
        assert_int_equal(run(out, sizeof(out), err, sizeof(err), c->name, "-h", NULL), 0);
        if ((strncmp(out, "Usage: kl ", 10) && strcmp(c->name, "help")) || !strstr(out, c->name))
            fail_msg("kl %s -h printed '%s'", c->name, out);
        assert_int_equal(run(out, sizeof(out), err, sizeof(err), c->name, "--help", NULL), 0);
        if (strncmp(out, "Usage: kl ", 10) && strncmp(out, "Usage kl ", 9))        /* help's help: the list, as xl */
            fail_msg("kl %s --help printed '%s'", c->name, out);
    }
    /* xl's words and codes: a bad option 2, a missing argument 2, no such command 1, nothing 1. */
    assert_int_equal(run(out, sizeof(out), err, sizeof(err), "list", "-x", NULL), 2);
    assert_string_equal(err, "option `x' not supported.\n");
    assert_int_equal(run(out, sizeof(out), err, sizeof(err), "list", "--frob", NULL), 2);
    assert_string_equal(err, "option `--frob' not supported.\n");
    assert_int_equal(run(out, sizeof(out), err, sizeof(err), "pause", NULL), 2);
    assert_string_equal(err, "'kl pause' requires at least 1 argument.\n\n");
    assert_non_null(strstr(out, "Usage: kl pause <Domain>"));
    assert_int_equal(run(out, sizeof(out), err, sizeof(err), "dump-core", "x", NULL), 2);
    assert_string_equal(err, "'kl dump-core' requires at least 2 arguments.\n\n");
    assert_int_equal(run(out, sizeof(out), err, sizeof(err), "frob", NULL), 1);
    assert_string_equal(err, "command not implemented\n");
    assert_int_equal(run(out, sizeof(out), err, sizeof(err), NULL), 1);
    assert_non_null(strstr(out, "kl full list of subcommands:"));
    assert_int_equal(run(out, sizeof(out), err, sizeof(err), "help", "frob", NULL), 0);
    assert_string_equal(out, "command \"frob\" not implemented\n");
    assert_int_equal(run(out, sizeof(out), err, sizeof(err), "shutdown", NULL), 1);
    assert_string_equal(err, "You must specify -a or a domain id.\n\n");
    /* Too many operands: the help, 1 (as xl's list). */
    assert_int_equal(run(out, sizeof(out), err, sizeof(err), "domid", "a", "b", NULL), 1);
    assert_non_null(strstr(out, "Usage: kl domid"));
    /* create without a file. */
    assert_int_equal(run(out, sizeof(out), err, sizeof(err), "create", NULL), 1);
    assert_non_null(strstr(err, "no config file"));
    /* create -n: the configuration as JSON, nothing created (no /dev/keel needed). */
    {
        char cfg[] = "/tmp/kl-cli-XXXXXX";
        int fd = mkstemp(cfg);
        static const char text[] = "name='web'\nmemory='64'\nkernel='/k'\nvnc=1\n";
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
        close(fd);
        assert_int_equal(run(out, sizeof(out), err, sizeof(err), "create", "-n", cfg, "vcpus=2", NULL), 0);
        assert_non_null(strstr(out, "\"target_memkb\": 65536,"));
        assert_non_null(strstr(out, "\"max_vcpus\": 2,"));
        assert_non_null(strstr(err, "warning: 'vnc' is an xl setting Keel does not support yet"));
        assert_int_equal(run(out, sizeof(out), err, sizeof(err), "create", "-q", "-n", "-f", cfg, NULL), 0);
        assert_null(strstr(err, "Parsing config"));
        assert_int_equal(run(out, sizeof(out), err, sizeof(err), "create", "-n", cfg, "vcpus=9", NULL), 1);
        assert_non_null(strstr(err, "vcpus=9: out of range (1 to 8)"));
        unlink(cfg);
    }
}

/* Every subcommand in kl(1) as a ".B name" item, and nothing there kl lacks. */
static void test_man_commands(void **state)
{
    char *man = slurp("dist/man/kl.1"), *comp = slurp("dist/bash-completion/kl");
    unsigned listed = 0, items = 0;

    (void)state;
    for (const struct kl_command *c = kl_commands; c->name; c++) {
        char want[64];
        snprintf(want, sizeof(want), "\n.TP\n.B %s ", c->name);
        if (!strstr(man, want))
            fail_msg("kl %s is not in dist/man/kl.1", c->name);
        listed++;
    }
    for (char *p = strstr(man, "\n.SH SUBCOMMANDS"); p && (p = strstr(p, "\n.TP\n.B ")); p++) {
        char name[32];
        const struct kl_command *c;
        if (p > strstr(man, "\n.SH FILES"))
            break;
        sscanf(p + 8, "%31s", name);
        for (c = kl_commands; c->name && strcmp(c->name, name); c++)
            ;
        if (!c->name)
            fail_msg("dist/man/kl.1 documents '%s', which kl does not have", name);
        items++;
    }
    assert_int_equal(items, listed);
    /* The completion takes the commands and options from kl's own help. */
    assert_non_null(strstr(comp, "kl help 2>/dev/null"));
    assert_non_null(strstr(comp, "kl help \"$cmd\""));
    free(man);
    free(comp);
}

/* Each setting kl_config.c's table takes, in kl.cfg(5); each option of hv/main.c's, in keel(8). */
static void test_man_settings(void **state)
{
    char *cfg5 = slurp("dist/man/kl.cfg.5"), *src = slurp("tools/libkeel/kl_config.c");
    char *keel8 = slurp("dist/man/keel.8"), *hv = slurp("hv/main.c");
    unsigned n = 0;

    (void)state;
    for (char *p = strstr(src, "static const struct key keys[]"); p && (p = strchr(p, '"'));) {
        char key[32], want[40];
        if (p > strstr(src, "static const char *const xl_only"))
            break;
        sscanf(p + 1, "%31[a-z_]", key);
        snprintf(want, sizeof(want), ".B %s", key);
        if (!strstr(cfg5, want) && !strstr(cfg5, key))
            fail_msg("setting '%s' is not in dist/man/kl.cfg.5", key);
        p = strchr(p + 1, '"') + 1;
        n++;
    }
    assert_true(n >= 16);
    n = 0;
    for (char *p = strstr(hv, "static const struct param params[]"); p && (p = strstr(p, "{ \"")); p++) {
        char opt[32], want[40], inline_[40];
        sscanf(p + 3, "%31[a-z0-9_.]", opt);
        snprintf(want, sizeof(want), "\n.B %s", opt);
        snprintf(inline_, sizeof(inline_), "\\fB%s", opt);
        if (!strstr(keel8, want) && !strstr(keel8, inline_))
            fail_msg("hypervisor option '%s' is not in dist/man/keel.8", opt);
        n++;
        if (strstr(p, "};") < strstr(p + 1, "{ \""))
            break;
    }
    assert_true(n >= 12);
    free(cfg5);
    free(src);
    free(keel8);
    free(hv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_man_commands),
        cmocka_unit_test(test_man_settings),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

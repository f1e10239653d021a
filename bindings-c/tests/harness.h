/*
 * harness.h: what the C tests share: checks that count, the emulator as a
 * child process, and a tiny HTTP client for its admin API.
 */
#ifndef IMDS_TEST_HARNESS_H
#define IMDS_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "imds.h"

extern int harness_passed;
extern int harness_failed;

/* Records one check; on failure prints where, what, and the last error. */
void harness_check(int ok, const char *file, int line, const char *what);

#define CHECK(cond) harness_check((cond) ? 1 : 0, __FILE__, __LINE__, #cond)

/* A call that must return `expected` (an imds_result). */
#define CHECK_RC(call, expected)                                              \
    harness_check((call) == (expected), __FILE__, __LINE__,                   \
                  #call " == " #expected)

#define CHECK_OK(call) CHECK_RC(call, IMDS_OK)

/* strlen() for string literals and C strings, for the (pointer, length)
 * arguments of the API. */
#define S(text) (text), strlen(text)

/* Prints "NAME: N passed, N failed" and returns the exit status. */
int harness_finish(const char *name);

/* A running emulator: its endpoint and admin URLs. */
struct emulator {
    int pid;
    int stdin_fd;
    char endpoint[128];
    char admin_host[128];
    int admin_port;
};

/* Starts $IMDS_EMULATOR_BIN on free ports and waits for its JSON line.
 * Exits the test program when it cannot. */
void emulator_start(struct emulator *emu);

/* Stops the emulator (closes its stdin, then SIGTERM) and reaps it. */
void emulator_stop(struct emulator *emu);

/* Sends one request to the admin API; returns the HTTP status, or -1.
 * `body` may be NULL. The response body (NUL-terminated, cut to fit) goes to
 * `response` when it is not NULL. */
int emulator_admin(const struct emulator *emu, const char *method,
                   const char *path, const char *body, char *response,
                   size_t response_len);

/* An admin request that must answer 200. */
#define ADMIN(emu, method, path, body)                                        \
    CHECK(emulator_admin((emu), (method), (path), (body), NULL, 0) == 200)

/* A config pointing at the emulator, with the process environment and
 * profile ignored, and short timeouts so that failures are quick. */
imds_config *emulator_config(const struct emulator *emu);

/* A client for emulator_config(). */
imds_client *emulator_client(const struct emulator *emu);

/* A number from the admin API's /counters document, such as "token_puts";
 * -1 when absent. */
long emulator_counter(const struct emulator *emu, const char *name);

/* Milliseconds from a monotonic clock. */
int64_t harness_now_ms(void);

/* The current last-error message, for printing. */
const char *harness_last_error(void);

#endif

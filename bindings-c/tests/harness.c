/*
 * harness.c: the shared test plumbing described in harness.h.
 */
#define _POSIX_C_SOURCE 200809L

#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int harness_passed;
int harness_failed;

const char *harness_last_error(void)
{
    static _Thread_local char message[512];

    imds_last_error_message(message, sizeof message);
    return message;
}

void harness_check(int ok, const char *file, int line, const char *what)
{
    if (ok) {
        harness_passed++;
        return;
    }
    harness_failed++;
    fprintf(stderr, "FAIL %s:%d: %s\n  last error: %s (%s, status %u)\n",
            file, line, what, harness_last_error(),
            imds_result_name((int)imds_last_error_code()),
            (unsigned)imds_last_error_status());
}

int harness_finish(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, harness_passed,
           harness_failed);
    return harness_failed == 0 ? 0 : 1;
}

int64_t harness_now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Copies the string value of "key":"..." from a one-line JSON document. */
static int json_string(const char *json, const char *key, char *out,
                       size_t out_len)
{
    char pattern[64];
    const char *start;
    const char *end;

    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    start = strstr(json, pattern);
    if (start == NULL) {
        return -1;
    }
    start += strlen(pattern);
    end = strchr(start, '"');
    if (end == NULL || (size_t)(end - start) >= out_len) {
        return -1;
    }
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return 0;
}

static void die(const char *what)
{
    fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
    exit(2);
}

void emulator_start(struct emulator *emu)
{
    const char *bin = getenv("IMDS_EMULATOR_BIN");
    static char program[4096];
    static char port_flag[] = "--port";
    static char admin_flag[] = "--admin-port";
    static char any_port[] = "0";
    static char eof_flag[] = "--exit-on-stdin-eof";
    static char log_flag[] = "--log-level";
    static char log_level[] = "error";
    char *argv[] = {NULL,     port_flag, any_port, admin_flag, any_port,
                    eof_flag, log_flag,  log_level, NULL};
    posix_spawn_file_actions_t actions;
    int in[2];
    int out[2];
    pid_t pid;
    char line[512];
    size_t used = 0;
    char admin[128];
    char *colon;

    if (bin == NULL || bin[0] == '\0') {
        fprintf(stderr, "harness: set IMDS_EMULATOR_BIN to the imds-emulator "
                        "binary (make does)\n");
        exit(2);
    }
    /* posix_spawn wants mutable strings: give it a copy. */
    snprintf(program, sizeof program, "%s", bin);
    argv[0] = program;
    if (pipe(in) != 0 || pipe(out) != 0) {
        die("pipe");
    }
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    if (posix_spawn(&pid, bin, &actions, NULL, argv, environ) != 0) {
        die("posix_spawn of $IMDS_EMULATOR_BIN");
    }
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);

    /* The JSON line: {"endpoint":"http://127.0.0.1:P","admin":"...",...} */
    while (used < sizeof line - 1) {
        ssize_t n = read(out[0], line + used, 1);
        if (n <= 0) {
            fprintf(stderr, "harness: the emulator exited before it was "
                            "ready\n");
            exit(2);
        }
        if (line[used] == '\n') {
            break;
        }
        used++;
    }
    line[used] = '\0';
    close(out[0]);

    memset(emu, 0, sizeof *emu);
    emu->pid = (int)pid;
    emu->stdin_fd = in[1];
    if (json_string(line, "endpoint", emu->endpoint, sizeof emu->endpoint)
            != 0
        || json_string(line, "admin", admin, sizeof admin) != 0
        || strncmp(admin, "http://", 7) != 0) {
        fprintf(stderr, "harness: unexpected ready line: %s\n", line);
        exit(2);
    }
    colon = strrchr(admin + 7, ':');
    if (colon == NULL) {
        fprintf(stderr, "harness: no admin port in %s\n", admin);
        exit(2);
    }
    *colon = '\0';
    snprintf(emu->admin_host, sizeof emu->admin_host, "%s", admin + 7);
    emu->admin_port = atoi(colon + 1);
}

void emulator_stop(struct emulator *emu)
{
    int status;
    int waited;

    if (emu->pid <= 0) {
        return;
    }
    close(emu->stdin_fd);
    /* Closing stdin ends it; SIGTERM is the fallback after two seconds. */
    for (waited = 0; waited < 200; waited++) {
        if (waitpid(emu->pid, &status, WNOHANG) == emu->pid) {
            emu->pid = 0;
            return;
        }
        struct timespec pause = {0, 10000000};
        nanosleep(&pause, NULL);
    }
    kill(emu->pid, SIGTERM);
    waitpid(emu->pid, &status, 0);
    emu->pid = 0;
}

int emulator_admin(const struct emulator *emu, const char *method,
                   const char *path, const char *body, char *response,
                   size_t response_len)
{
    struct sockaddr_in address;
    char request[4096];
    char reply[16384];
    size_t used = 0;
    int length;
    int fd;
    int status = -1;
    const char *payload;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)emu->admin_port);
    if (inet_pton(AF_INET, emu->admin_host, &address.sin_addr) != 1
        || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    if (body == NULL) {
        body = "";
    }
    length = snprintf(request, sizeof request,
                      "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
                      "Content-Type: application/json\r\n"
                      "Content-Length: %zu\r\n\r\n%s",
                      method, path, emu->admin_host, strlen(body), body);
    if (length < 0 || (size_t)length >= sizeof request
        || write(fd, request, (size_t)length) != length) {
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t n = read(fd, reply + used, sizeof reply - 1 - used);
        if (n <= 0) {
            break;
        }
        used += (size_t)n;
        if (used == sizeof reply - 1) {
            break;
        }
    }
    close(fd);
    reply[used] = '\0';
    if (sscanf(reply, "HTTP/1.1 %d", &status) != 1) {
        return -1;
    }
    if (response != NULL && response_len > 0) {
        payload = strstr(reply, "\r\n\r\n");
        payload = payload == NULL ? "" : payload + 4;
        snprintf(response, response_len, "%s", payload);
    }
    return status;
}

long emulator_counter(const struct emulator *emu, const char *name)
{
    char document[4096];
    char pattern[64];
    const char *at;

    if (emulator_admin(emu, "GET", "/counters", NULL, document,
                       sizeof document)
        != 200) {
        return -1;
    }
    snprintf(pattern, sizeof pattern, "\"%s\":", name);
    at = strstr(document, pattern);
    return at == NULL ? -1 : strtol(at + strlen(pattern), NULL, 10);
}

imds_config *emulator_config(const struct emulator *emu)
{
    imds_config *config = NULL;

    CHECK_OK(imds_config_new(&config));
    CHECK_OK(imds_config_clear_environment(config));
    CHECK_OK(imds_config_set_config_file(config, S("/nonexistent")));
    CHECK_OK(imds_config_set_endpoint(config, emu->endpoint,
                                      strlen(emu->endpoint)));
    CHECK_OK(imds_config_set_timeout_ms(config, 2000));
    CHECK_OK(imds_config_set_backoff_ms(config, 1, 5));
    return config;
}

imds_client *emulator_client(const struct emulator *emu)
{
    imds_config *config = emulator_config(emu);
    imds_client *client = NULL;

    CHECK_OK(imds_client_new(config, &client));
    imds_config_free(config);
    return client;
}

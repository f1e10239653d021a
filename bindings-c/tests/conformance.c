/*
 * conformance.c: the C runner of the language-neutral conformance scenarios
 * in tests/conformance/ (the format is that folder's README).
 *
 * Every scenario runs against a fresh imds-emulator child process, through
 * the public API of imds.h only, and is checked exactly as the Rust runner
 * (core/tests/conformance.rs) checks it. Anything the format does not define
 * (a step, expectation, setting, counter or key) fails the scenario, so a new
 * kind of scenario cannot be skipped silently.
 *
 * Usage: conformance [DIR [NAME...]]: the scenarios of DIR (default: the
 * repository's), or only those named. Prints "ok NAME" or "FAIL NAME: why"
 * per scenario, then "conformance: N passed, M failed"; exits 1 on any
 * failure. Needs IMDS_EMULATOR_BIN.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "imds.h"
#include "json.h"

#ifndef IMDS_CONFORMANCE_DIR
#define IMDS_CONFORMANCE_DIR "tests/conformance"
#endif

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

extern char **environ;

/* Fewer files than this means the runner is looking in the wrong place. */
#define MIN_SCENARIOS 25

/* ---- one scenario's state ---- */

struct emulator {
    pid_t pid;
    int stdin_fd;
    char endpoint[128];
    char admin_host[64];
    int admin_port;
};

struct run {
    const char *name;
    struct emulator emu;
    const struct json *client_spec;
    char profile_path[4096];
    imds_client *client;
    struct json *saved;
    long step; /* the step that failed; -1 when none did */
    char reason[2048];
};

/* Records why the scenario failed (the first reason wins) and returns -1, so
 * that `return fail(...)` ends the step. */
static int fail(struct run *run, const char *format, ...) PRINTF_LIKE(2, 3);

static int fail(struct run *run, const char *format, ...)
{
    va_list args;

    if (run->reason[0] == '\0') {
        va_start(args, format);
        vsnprintf(run->reason, sizeof run->reason, format, args);
        va_end(args);
    }
    return -1;
}

/* Rendered JSON for a message; freed by the caller. */
static char *show(const struct json *value)
{
    char *text = json_render(value);

    if (text == NULL) {
        text = malloc(sizeof "(out of memory)");
        if (text != NULL) {
            strcpy(text, "(out of memory)");
        }
    }
    return text;
}

/* Fails the scenario when `object` has a key outside the NULL-terminated
 * list that follows `what`. */
static int known_keys(struct run *run, const char *what,
                      const struct json *object, ...)
{
    size_t i;

    if (object == NULL) {
        return 0;
    }
    if (object->type != JSON_OBJECT) {
        return fail(run, "%s must be an object", what);
    }
    for (i = 0; i < object->count; i++) {
        va_list args;
        const char *allowed;
        int found = 0;

        va_start(args, object);
        while ((allowed = va_arg(args, const char *)) != NULL) {
            if (strcmp(allowed, object->keys[i]) == 0) {
                found = 1;
            }
        }
        va_end(args);
        if (!found) {
            return fail(run, "unknown %s key \"%s\"", what, object->keys[i]);
        }
    }
    return 0;
}

static int want_type(struct run *run, const char *what,
                     const struct json *value, enum json_type type)
{
    if (value == NULL || value->type != type) {
        return fail(run, "%s must be a %s, not %s", what,
                    json_type_name(type),
                    value == NULL ? "absent" : json_type_name(value->type));
    }
    return 0;
}

/* A number that must be whole and within [0, max]. */
static int want_whole(struct run *run, const char *what,
                      const struct json *value, double max, double *out)
{
    if (want_type(run, what, value, JSON_NUMBER) != 0) {
        return -1;
    }
    if (value->number < 0 || value->number > max
        || value->number != floor(value->number)) {
        return fail(run, "%s must be a whole number from 0 to %.0f, not %g",
                    what, max, value->number);
    }
    *out = value->number;
    return 0;
}

/* ---- the emulator ---- */

static void stop_emulator(struct emulator *emu)
{
    int status;
    int waited;

    if (emu->pid <= 0) {
        return;
    }
    close(emu->stdin_fd);
    /* Closing stdin ends it; SIGTERM is the fallback after five seconds. */
    for (waited = 0; waited < 500; waited++) {
        struct timespec delay = {0, 10000000};

        if (waitpid(emu->pid, &status, WNOHANG) == emu->pid) {
            emu->pid = 0;
            return;
        }
        nanosleep(&delay, NULL);
    }
    kill(emu->pid, SIGTERM);
    waitpid(emu->pid, &status, 0);
    emu->pid = 0;
}

static int start_emulator(struct run *run)
{
    static char port_flag[] = "--port";
    static char admin_flag[] = "--admin-port";
    static char any_port[] = "0";
    static char eof_flag[] = "--exit-on-stdin-eof";
    static char log_flag[] = "--log-level";
    static char log_level[] = "error";
    static char program[4096];
    char *argv[] = {program,  port_flag, any_port,  admin_flag, any_port,
                    eof_flag, log_flag,  log_level, NULL};
    const char *bin = getenv("IMDS_EMULATOR_BIN");
    struct emulator *emu = &run->emu;
    posix_spawn_file_actions_t actions;
    int in[2];
    int out[2];
    char line[512];
    size_t used = 0;
    char error[160];
    struct json *ready;
    const struct json *endpoint;
    const struct json *admin;
    const char *colon;
    int rc;

    if (bin == NULL || bin[0] == '\0') {
        return fail(run, "set IMDS_EMULATOR_BIN to the imds-emulator binary "
                         "(make does)");
    }
    /* posix_spawn wants mutable strings: give it a copy. */
    snprintf(program, sizeof program, "%s", bin);
    if (pipe(in) != 0) {
        return fail(run, "pipe: %s", strerror(errno));
    }
    if (pipe(out) != 0) {
        close(in[0]);
        close(in[1]);
        return fail(run, "pipe: %s", strerror(errno));
    }
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    rc = posix_spawn(&emu->pid, bin, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        emu->pid = 0;
        return fail(run, "cannot start %s: %s", bin, strerror(rc));
    }
    emu->stdin_fd = in[1];

    /* One line: {"endpoint":"http://127.0.0.1:P","admin":"...","pid":N} */
    while (used < sizeof line - 1) {
        ssize_t n = read(out[0], line + used, 1);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0 || line[used] == '\n') {
            break;
        }
        used++;
    }
    close(out[0]);
    ready = json_parse(line, used, error, sizeof error);
    endpoint = json_get(ready, "endpoint");
    admin = json_get(ready, "admin");
    if (ready == NULL || endpoint == NULL || endpoint->type != JSON_STRING
        || admin == NULL || admin->type != JSON_STRING
        || strncmp(admin->string, "http://", 7) != 0
        || (colon = strrchr(admin->string + 7, ':')) == NULL
        || (size_t)(colon - admin->string - 7) >= sizeof emu->admin_host
        || endpoint->length >= sizeof emu->endpoint) {
        json_free(ready);
        line[used] = '\0';
        return fail(run, "unexpected emulator ready line: \"%s\"", line);
    }
    memcpy(emu->endpoint, endpoint->string, endpoint->length + 1);
    memcpy(emu->admin_host, admin->string + 7,
           (size_t)(colon - admin->string - 7));
    emu->admin_host[colon - admin->string - 7] = '\0';
    emu->admin_port = atoi(colon + 1);
    json_free(ready);
    return 0;
}

static int write_all(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t n = write(fd, data, length);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        data += n;
        length -= (size_t)n;
    }
    return 0;
}

/* The value of header `name` (lower case) in the head that ends at `end`;
 * NULL when absent. */
static const char *header_value(const char *head, const char *end,
                                const char *name)
{
    size_t n = strlen(name);
    const char *line = strstr(head, "\r\n");

    while (line != NULL && line + 2 < end) {
        line += 2;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            line += n + 1;
            while (*line == ' ' || *line == '\t') {
                line++;
            }
            return line;
        }
        line = strstr(line, "\r\n");
    }
    return NULL;
}

/* One admin request. The body goes as it is; a non-2xx answer is a broken
 * scenario, not a client failure. The response body is returned in
 * *response_out (malloc'd) when that is not NULL. */
static int admin(struct run *run, const char *method, const char *path,
                 const char *body, char **response_out)
{
    struct sockaddr_in address;
    char header[1024];
    char *reply = NULL;
    size_t used = 0;
    size_t capacity = 0;
    int length;
    int status = 0;
    int fd;
    const char *payload;
    const char *content_length;

    if (body == NULL) {
        body = "";
    }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return fail(run, "admin %s %s: socket: %s", method, path,
                    strerror(errno));
    }
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)run->emu.admin_port);
    length = snprintf(header, sizeof header,
                      "%s %s HTTP/1.1\r\nHost: %s:%d\r\n"
                      "Connection: close\r\nContent-Length: %lu\r\n\r\n",
                      method, path, run->emu.admin_host, run->emu.admin_port,
                      (unsigned long)strlen(body));
    if (inet_pton(AF_INET, run->emu.admin_host, &address.sin_addr) != 1
        || connect(fd, (struct sockaddr *)&address, sizeof address) != 0
        || length < 0 || (size_t)length >= sizeof header
        || write_all(fd, header, (size_t)length) != 0
        || write_all(fd, body, strlen(body)) != 0) {
        close(fd);
        return fail(run, "admin %s %s: cannot send: %s", method, path,
                    strerror(errno));
    }
    for (;;) {
        ssize_t n;

        if (capacity - used < 4096) {
            char *bigger = realloc(reply, capacity + 16384);

            if (bigger == NULL) {
                free(reply);
                close(fd);
                return fail(run, "admin %s %s: out of memory", method, path);
            }
            reply = bigger;
            capacity += 16384;
        }
        n = read(fd, reply + used, capacity - used - 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        used += (size_t)n;
    }
    close(fd);
    reply[used] = '\0';
    payload = strstr(reply, "\r\n\r\n");
    if (sscanf(reply, "HTTP/1.1 %d", &status) != 1 || payload == NULL) {
        free(reply);
        return fail(run, "admin %s %s: no HTTP answer", method, path);
    }
    payload += 4;
    if (status < 200 || status > 299) {
        fail(run, "admin %s %s failed: %d %s", method, path, status, payload);
        free(reply);
        return -1;
    }
    /* The answer has a Content-Length and Connection: close; a chunked one
     * would need decoding, which the emulator never asks for. */
    content_length = header_value(reply, payload, "content-length");
    if (content_length == NULL) {
        free(reply);
        return fail(run, "admin %s %s: no Content-Length", method, path);
    }
    if (strtoul(content_length, NULL, 10)
        != (unsigned long)(used - (size_t)(payload - reply))) {
        free(reply);
        return fail(run, "admin %s %s: truncated answer", method, path);
    }
    if (response_out != NULL) {
        size_t n = used - (size_t)(payload - reply);

        *response_out = malloc(n + 1);
        if (*response_out == NULL) {
            free(reply);
            return fail(run, "admin %s %s: out of memory", method, path);
        }
        memcpy(*response_out, payload, n + 1);
    }
    free(reply);
    return 0;
}

/* An admin request whose body is a JSON value: an object is sent as JSON, a
 * string as it is (absent: no body). */
static int admin_json(struct run *run, const char *method, const char *path,
                      const struct json *body)
{
    char *text;
    int rc;

    if (body == NULL || body->type == JSON_NULL) {
        return admin(run, method, path, NULL, NULL);
    }
    if (body->type == JSON_STRING) {
        return admin(run, method, path, body->string, NULL);
    }
    if (body->type != JSON_OBJECT) {
        return fail(run, "admin body must be an object or a string");
    }
    text = json_render(body);
    if (text == NULL) {
        return fail(run, "out of memory");
    }
    rc = admin(run, method, path, text, NULL);
    free(text);
    return rc;
}

/* ---- building clients ---- */

/* Removes every AWS_* variable from the process environment. */
static void clear_aws_environment(void)
{
    char name[256];
    size_t i;
    int again = 1;

    /* unsetenv reshapes environ, so start over after each removal. */
    while (again) {
        again = 0;
        for (i = 0; environ[i] != NULL; i++) {
            const char *equals = strchr(environ[i], '=');
            size_t n = equals == NULL ? strlen(environ[i])
                                      : (size_t)(equals - environ[i]);

            if (strncmp(environ[i], "AWS_", 4) == 0 && n < sizeof name) {
                memcpy(name, environ[i], n);
                name[n] = '\0';
                unsetenv(name);
                again = 1;
                break;
            }
        }
    }
}

/* A loopback endpoint where nothing listens. */
static int closed_port_endpoint(struct run *run, char *out, size_t out_len)
{
    struct sockaddr_in address;
    socklen_t size = sizeof address;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0
        || bind(fd, (struct sockaddr *)&address, sizeof address) != 0
        || getsockname(fd, (struct sockaddr *)&address, &size) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        return fail(run, "no free port: %s", strerror(errno));
    }
    close(fd);
    snprintf(out, out_len, "http://127.0.0.1:%u",
             (unsigned)ntohs(address.sin_port));
    return 0;
}

/* What a call or a build gave: a value (owned), or an error as the C API
 * reported it. */
struct outcome {
    struct json *value;
    imds_result rc;
    unsigned status;
    char *message;
};

static void outcome_clear(struct outcome *o)
{
    json_free(o->value);
    free(o->message);
    memset(o, 0, sizeof *o);
}

/* Reads the calling thread's last error right after a failed call. */
static void capture_error(struct outcome *o, imds_result rc)
{
    size_t n = imds_last_error_message(NULL, 0);

    o->rc = rc;
    o->status = imds_last_error_status();
    o->message = malloc(n + 1);
    if (o->message != NULL) {
        imds_last_error_message(o->message, n + 1);
    }
}

/* Applies one setting by its core name. A setter that refuses is the
 * build's outcome; a malformed scenario value fails the scenario. */
static int apply_setting(struct run *run, imds_config *config,
                         const char *name, const struct json *value,
                         imds_result *rc)
{
    double n;

    if (strcmp(name, "token_ttl") == 0) {
        if (want_whole(run, name, value, 4294967295.0, &n) != 0) {
            return -1;
        }
        *rc = imds_config_set_token_ttl_secs(config, (uint32_t)n);
    } else if (strcmp(name, "timeout") == 0
               || strcmp(name, "connect_timeout") == 0) {
        uint64_t ms;

        if (want_type(run, name, value, JSON_NUMBER) != 0) {
            return -1;
        }
        if (value->number < 0 || value->number > 1e12) {
            return fail(run, "%s must be from 0 to 1e12 seconds", name);
        }
        ms = (uint64_t)llround(value->number * 1000.0);
        *rc = name[0] == 't' ? imds_config_set_timeout_ms(config, ms)
                             : imds_config_set_connect_timeout_ms(config, ms);
    } else if (strcmp(name, "max_attempts") == 0) {
        if (want_whole(run, name, value, 4294967295.0, &n) != 0) {
            return -1;
        }
        *rc = imds_config_set_max_attempts(config, (uint32_t)n);
    } else if (strcmp(name, "max_response_size") == 0) {
        if (want_whole(run, name, value, (double)SIZE_MAX, &n) != 0) {
            return -1;
        }
        *rc = imds_config_set_max_response_size(config, (size_t)n);
    } else if (strcmp(name, "endpoint_mode") == 0) {
        if (want_type(run, name, value, JSON_STRING) != 0) {
            return -1;
        }
        *rc = imds_config_set_endpoint_mode(config, value->string,
                                            value->length);
    } else if (strcmp(name, "disabled") == 0
               || strcmp(name, "cache_immutable") == 0
               || strcmp(name, "v1_fallback") == 0
               || strcmp(name, "v1_disabled") == 0) {
        if (want_type(run, name, value, JSON_BOOL) != 0) {
            return -1;
        }
        if (strcmp(name, "disabled") == 0) {
            *rc = imds_config_set_disabled(config, value->boolean);
        } else if (strcmp(name, "cache_immutable") == 0) {
            *rc = imds_config_set_cache_immutable(config, value->boolean);
        } else if (strcmp(name, "v1_fallback") == 0) {
            *rc = imds_config_set_v1_fallback(config, value->boolean);
        } else {
            *rc = imds_config_set_v1_disabled(config, value->boolean);
        }
    } else {
        return fail(run, "unknown setting \"%s\"", name);
    }
    return 0;
}

/* Writes the profile file, sets the environment and builds a client from the
 * scenario's "client" object, each of whose keys `overrides` may replace.
 * The outcome is "built" or the error; the client goes to *client_out when
 * that is not NULL, else it is freed. Returns -1 for a broken scenario. */
static int build(struct run *run, const struct json *overrides,
                 struct outcome *o, imds_client **client_out)
{
    const char *picks[] = {"endpoint_from", "profile", "env", "settings"};
    const struct json *picked[4];
    const char *endpoint_from = "code";
    char endpoint[160] = "";
    char *profile;
    size_t profile_len;
    imds_config *config = NULL;
    imds_client *client = NULL;
    imds_result rc = IMDS_OK;
    FILE *file;
    size_t i;

    for (i = 0; i < 4; i++) {
        picked[i] = json_get(overrides, picks[i]);
        if (picked[i] == NULL) {
            picked[i] = json_get(run->client_spec, picks[i]);
        }
    }
    if (picked[0] != NULL) {
        if (want_type(run, "endpoint_from", picked[0], JSON_STRING) != 0) {
            return -1;
        }
        endpoint_from = picked[0]->string;
    }
    if (picked[1] != NULL
        && want_type(run, "profile", picked[1], JSON_STRING) != 0) {
        return -1;
    }
    if ((picked[2] != NULL
         && want_type(run, "env", picked[2], JSON_OBJECT) != 0)
        || (picked[3] != NULL
            && want_type(run, "settings", picked[3], JSON_OBJECT) != 0)) {
        return -1;
    }
    for (i = 0; picked[2] != NULL && i < picked[2]->count; i++) {
        if (want_type(run, picked[2]->keys[i], picked[2]->items[i],
                      JSON_STRING)
            != 0) {
            return -1;
        }
    }

    /* Room for the profile, the endpoint line this may add, and a
     * [default] header. */
    profile_len = picked[1] == NULL ? 0 : picked[1]->length;
    profile = malloc(profile_len + 256);
    if (profile == NULL) {
        return fail(run, "out of memory");
    }
    if (profile_len > 0) {
        memcpy(profile, picked[1]->string, profile_len);
    }
    profile[profile_len] = '\0';

    clear_aws_environment();
    for (i = 0; picked[2] != NULL && i < picked[2]->count; i++) {
        setenv(picked[2]->keys[i], picked[2]->items[i]->string, 1);
    }
    if (strcmp(endpoint_from, "code") == 0) {
        snprintf(endpoint, sizeof endpoint, "%s", run->emu.endpoint);
    } else if (strcmp(endpoint_from, "env") == 0) {
        setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", run->emu.endpoint, 1);
    } else if (strcmp(endpoint_from, "profile") == 0) {
        const char *section;
        char line[224];
        char *after;
        size_t tail;

        if (strstr(profile, "[default]") == NULL) {
            strcat(profile, "\n[default]\n");
        }
        section = strstr(profile, "[default]\n");
        if (section != NULL) {
            /* Insert the endpoint line right after the first header. */
            after = profile + (section - profile) + strlen("[default]\n");
            tail = strlen(after);
            snprintf(line, sizeof line,
                     "ec2_metadata_service_endpoint = %s\n",
                     run->emu.endpoint);
            memmove(after + strlen(line), after, tail + 1);
            memcpy(after, line, strlen(line));
        }
    } else if (strcmp(endpoint_from, "closed_port") == 0) {
        if (closed_port_endpoint(run, endpoint, sizeof endpoint) != 0) {
            free(profile);
            return -1;
        }
    } else if (strcmp(endpoint_from, "silent") == 0) {
        if (admin(run, "PUT", "/faults", "{\"never_answer\":true}", NULL)
            != 0) {
            free(profile);
            return -1;
        }
        snprintf(endpoint, sizeof endpoint, "%s", run->emu.endpoint);
    } else if (strcmp(endpoint_from, "none") != 0) {
        free(profile);
        return fail(run, "unknown endpoint_from \"%s\"", endpoint_from);
    }
    file = fopen(run->profile_path, "w");
    if (file == NULL || fputs(profile, file) < 0 || fclose(file) != 0) {
        free(profile);
        return fail(run, "cannot write %s: %s", run->profile_path,
                    strerror(errno));
    }
    free(profile);
    setenv("AWS_CONFIG_FILE", run->profile_path, 1);

    rc = imds_config_new(&config);
    if (rc == IMDS_OK && endpoint[0] != '\0') {
        rc = imds_config_set_endpoint(config, endpoint, strlen(endpoint));
    }
    for (i = 0; rc == IMDS_OK && picked[3] != NULL && i < picked[3]->count;
         i++) {
        if (apply_setting(run, config, picked[3]->keys[i],
                          picked[3]->items[i], &rc)
            != 0) {
            imds_config_free(config);
            return -1;
        }
    }
    if (rc == IMDS_OK) {
        rc = imds_client_new(config, &client);
    }
    if (rc != IMDS_OK) {
        capture_error(o, rc);
    }
    imds_config_free(config);
    if (rc == IMDS_OK) {
        o->value = json_string("built", 5);
        if (o->value == NULL) {
            imds_client_free(client);
            return fail(run, "out of memory");
        }
        if (client_out != NULL) {
            *client_out = client;
        } else {
            imds_client_free(client);
        }
    }
    return 0;
}

/* ---- calls, projected to plain values ---- */

/* Bytes as UTF-8 text, each maximal invalid sequence replaced with U+FFFD,
 * as Rust's String::from_utf8_lossy does. */
static struct json *lossy_text(const uint8_t *data, size_t length)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    char *text = malloc(length * 3 + 1);
    size_t used = 0;
    size_t i = 0;
    struct json *value;

    if (text == NULL) {
        return NULL;
    }
    while (i < length) {
        uint8_t c = data[i];
        size_t need;
        size_t j;
        uint8_t low = 0x80;
        uint8_t high = 0xBF;

        if (c < 0x80) {
            text[used++] = (char)c;
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            low = c == 0xE0 ? 0xA0 : 0x80;
            high = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            low = c == 0xF0 ? 0x90 : 0x80;
            high = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            memcpy(text + used, replacement, 3);
            used += 3;
            i++;
            continue;
        }
        for (j = 1; j <= need && i + j < length; j++) {
            uint8_t d = data[i + j];

            if (j == 1 ? (d < low || d > high) : (d < 0x80 || d > 0xBF)) {
                break;
            }
        }
        if (j == need + 1) {
            memcpy(text + used, data + i, j);
            used += j;
        } else {
            memcpy(text + used, replacement, 3);
            used += 3;
        }
        i += j;
    }
    value = json_string(text, used);
    free(text);
    return value;
}

/* A C string from an accessor; NULL (an absent field) is null. */
static struct json *text_or_null(const char *text)
{
    return text == NULL ? json_null() : json_string(text, strlen(text));
}

/* RFC 3339 in UTC, as the core's format_time writes whole seconds. */
static struct json *time_value(int64_t seconds)
{
    time_t when = (time_t)seconds;
    struct tm parts;
    char text[64];

    if (gmtime_r(&when, &parts) == NULL
        || strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts) == 0) {
        return json_string("?", 1);
    }
    return json_string(text, strlen(text));
}

static struct json *string_list(const imds_string_list *list)
{
    struct json *array = json_array();
    size_t i;

    for (i = 0; array != NULL && i < imds_string_list_len(list); i++) {
        if (json_append(array, text_or_null(imds_string_list_get(list, i)))
            != 0) {
            json_free(array);
            array = NULL;
        }
    }
    return array;
}

/* Sets several members at once from NULL-terminated (key, value) pairs;
 * frees `object` and returns NULL when memory runs out. */
static struct json *with_fields(struct json *object, ...)
{
    va_list args;
    const char *key;
    int ok = object != NULL;

    va_start(args, object);
    while ((key = va_arg(args, const char *)) != NULL) {
        struct json *item = va_arg(args, struct json *);

        if (!ok || json_set(object, key, item) != 0) {
            if (ok) {
                ok = 0;
            } else {
                json_free(item);
            }
        }
    }
    va_end(args);
    if (!ok) {
        json_free(object);
        return NULL;
    }
    return object;
}

static struct json *project_document(const imds_identity_document *d)
{
    return with_fields(
        json_object(),
        "account_id", text_or_null(imds_identity_document_account_id(d)),
        "architecture",
        text_or_null(imds_identity_document_architecture(d)),
        "availability_zone",
        text_or_null(imds_identity_document_availability_zone(d)),
        "image_id", text_or_null(imds_identity_document_image_id(d)),
        "instance_id", text_or_null(imds_identity_document_instance_id(d)),
        "instance_type",
        text_or_null(imds_identity_document_instance_type(d)),
        "private_ip", text_or_null(imds_identity_document_private_ip(d)),
        "region", text_or_null(imds_identity_document_region(d)),
        "version", text_or_null(imds_identity_document_version(d)),
        (const char *)NULL);
}

static struct json *project_events(const imds_scheduled_event_list *list)
{
    struct json *array = json_array();
    size_t i;

    for (i = 0; array != NULL && i < imds_scheduled_event_list_len(list);
         i++) {
        const imds_scheduled_event *e = imds_scheduled_event_list_get(list, i);
        struct json *event = with_fields(
            json_object(), "code", text_or_null(imds_scheduled_event_code(e)),
            "event_id", text_or_null(imds_scheduled_event_event_id(e)),
            "state", text_or_null(imds_scheduled_event_state(e)),
            (const char *)NULL);

        if (json_append(array, event) != 0) {
            json_free(array);
            array = NULL;
        }
    }
    return array;
}

static struct json *project_interfaces(const imds_network_interface_list *list)
{
    struct json *array = json_array();
    size_t i;

    for (i = 0; array != NULL && i < imds_network_interface_list_len(list);
         i++) {
        const imds_network_interface *n =
            imds_network_interface_list_get(list, i);
        uint32_t number = 0;
        struct json *device = imds_network_interface_device_number(n, &number)
                                  ? json_number((double)number)
                                  : json_null();
        struct json *item = with_fields(
            json_object(), "mac", text_or_null(imds_network_interface_mac(n)),
            "device_number", device, "interface_id",
            text_or_null(imds_network_interface_interface_id(n)),
            "local_ipv4s",
            string_list(imds_network_interface_local_ipv4s(n)), "subnet_id",
            text_or_null(imds_network_interface_subnet_id(n)), "vpc_id",
            text_or_null(imds_network_interface_vpc_id(n)),
            (const char *)NULL);

        if (json_append(array, item) != 0) {
            json_free(array);
            array = NULL;
        }
    }
    return array;
}

static struct json *project_tags(const imds_string_map *map)
{
    struct json *object = json_object();
    size_t i;

    for (i = 0; object != NULL && i < imds_string_map_len(map); i++) {
        if (json_set(object, imds_string_map_key(map, i),
                     text_or_null(imds_string_map_value(map, i)))
            != 0) {
            json_free(object);
            object = NULL;
        }
    }
    return object;
}

static int known_call(const char *name)
{
    static const char *const names[] = {
        "get_metadata",  "list_metadata",        "get_dynamic",
        "user_data",     "identity_document",    "region",
        "credentials",   "iam_info",             "instance_tags",
        "spot_instance_action", "scheduled_events", "instance_id",
        "availability_zone", "credentials_for_role", "network_interfaces",
        "rebalance_recommendation", "autoscaling_target_state",
        "verified_identity_document"};
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Calls the API by its core name and projects the result as every runner
 * does. Returns -1 only for a broken step (unknown call, wrong arguments);
 * otherwise the outcome holds the value or the error. */
static int call(struct run *run, const char *name, const struct json *args,
                struct outcome *o)
{
    const imds_client *client = run->client;
    const char *path = NULL;
    size_t path_len = 0;
    size_t want_args;
    int projected = 1;
    imds_result rc;

    if (!known_call(name)) {
        return fail(run, "unknown call \"%s\"", name);
    }
    want_args = strcmp(name, "get_metadata") == 0
                        || strcmp(name, "list_metadata") == 0
                        || strcmp(name, "get_dynamic") == 0
                        || strcmp(name, "credentials_for_role") == 0
                    ? 1
                    : 0;
    if (args != NULL && args->type != JSON_ARRAY) {
        return fail(run, "%s: args must be a list", name);
    }
    if ((args == NULL ? 0 : args->count) != want_args) {
        return fail(run, "%s takes %lu argument(s)", name,
                    (unsigned long)want_args);
    }
    if (want_args == 1) {
        if (want_type(run, "argument", args->items[0], JSON_STRING) != 0) {
            return -1;
        }
        path = args->items[0]->string;
        path_len = args->items[0]->length;
    }

    if (strcmp(name, "get_metadata") == 0 || strcmp(name, "get_dynamic") == 0
        || strcmp(name, "region") == 0 || strcmp(name, "instance_id") == 0
        || strcmp(name, "availability_zone") == 0
        || strcmp(name, "autoscaling_target_state") == 0) {
        imds_string *text = NULL;

        if (strcmp(name, "region") == 0) {
            rc = imds_client_region(client, NULL, &text);
        } else if (strcmp(name, "instance_id") == 0) {
            rc = imds_client_instance_id(client, NULL, &text);
        } else if (strcmp(name, "availability_zone") == 0) {
            rc = imds_client_availability_zone(client, NULL, &text);
        } else if (strcmp(name, "autoscaling_target_state") == 0) {
            /* NULL with IMDS_OK: not in an Auto Scaling group. */
            rc = imds_client_autoscaling_target_state(client, NULL, &text);
        } else if (strcmp(name, "get_metadata") == 0) {
            rc = imds_client_get_metadata(client, path, path_len, NULL,
                                          &text);
        } else {
            rc = imds_client_get_dynamic(client, path, path_len, NULL,
                                         &text);
        }
        if (rc == IMDS_OK) {
            o->value = text == NULL ? json_null()
                                    : json_string(imds_string_ptr(text),
                                                  imds_string_len(text));
            imds_string_free(text);
        }
    } else if (strcmp(name, "list_metadata") == 0) {
        imds_string_list *list = NULL;

        rc = imds_client_list_metadata(client, path, path_len, NULL, &list);
        if (rc == IMDS_OK) {
            o->value = string_list(list);
            imds_string_list_free(list);
        }
    } else if (strcmp(name, "user_data") == 0) {
        imds_bytes *data = NULL;

        rc = imds_client_user_data(client, NULL, &data);
        if (rc == IMDS_OK) {
            o->value = data == NULL
                           ? json_null()
                           : lossy_text(imds_bytes_data(data),
                                        imds_bytes_len(data));
            imds_bytes_free(data);
        }
    } else if (strcmp(name, "identity_document") == 0) {
        imds_identity_document *document = NULL;

        rc = imds_client_identity_document(client, NULL, &document);
        if (rc == IMDS_OK) {
            o->value = project_document(document);
            imds_identity_document_free(document);
        }
    } else if (strcmp(name, "verified_identity_document") == 0) {
        imds_identity_document *document = NULL;
        char *certificate = NULL;

        /* The certificate the emulator signs with, as a user has AWS's. */
        if (admin(run, "GET", "/certificate", NULL, &certificate) != 0) {
            return -1;
        }
        rc = imds_client_verified_identity_document(
            client, certificate, strlen(certificate), NULL, &document);
        free(certificate);
        if (rc == IMDS_OK) {
            o->value = project_document(document);
            imds_identity_document_free(document);
        }
    } else if (strcmp(name, "credentials") == 0
               || strcmp(name, "credentials_for_role") == 0) {
        imds_credentials *c = NULL;

        rc = path == NULL
                 ? imds_client_credentials(client, NULL, &c)
                 : imds_client_credentials_for_role(client, path, path_len,
                                                    NULL, &c);
        if (rc == IMDS_OK) {
            o->value = with_fields(
                json_object(), "role", text_or_null(imds_credentials_role(c)),
                "access_key_id",
                text_or_null(imds_credentials_access_key_id(c)),
                "expiration", time_value(imds_credentials_expiration(c)),
                (const char *)NULL);
            imds_credentials_free(c);
        }
    } else if (strcmp(name, "iam_info") == 0) {
        imds_iam_info *info = NULL;

        rc = imds_client_iam_info(client, NULL, &info);
        if (rc == IMDS_OK) {
            o->value = with_fields(
                json_object(), "code", text_or_null(imds_iam_info_code(info)),
                "instance_profile_arn",
                text_or_null(imds_iam_info_instance_profile_arn(info)),
                "instance_profile_id",
                text_or_null(imds_iam_info_instance_profile_id(info)),
                (const char *)NULL);
            imds_iam_info_free(info);
        }
    } else if (strcmp(name, "instance_tags") == 0) {
        imds_string_map *tags = NULL;

        rc = imds_client_instance_tags(client, NULL, &tags);
        if (rc == IMDS_OK) {
            o->value = project_tags(tags);
            imds_string_map_free(tags);
        }
    } else if (strcmp(name, "spot_instance_action") == 0) {
        imds_spot_action *action = NULL;

        rc = imds_client_spot_instance_action(client, NULL, &action);
        if (rc == IMDS_OK) {
            o->value = action == NULL
                           ? json_null()
                           : with_fields(json_object(), "action",
                                         text_or_null(
                                             imds_spot_action_action(action)),
                                         "time",
                                         time_value(
                                             imds_spot_action_time(action)),
                                         (const char *)NULL);
            imds_spot_action_free(action);
        }
    } else if (strcmp(name, "network_interfaces") == 0) {
        imds_network_interface_list *interfaces = NULL;

        rc = imds_client_network_interfaces(client, NULL, &interfaces);
        if (rc == IMDS_OK) {
            o->value = project_interfaces(interfaces);
            imds_network_interface_list_free(interfaces);
        }
    } else if (strcmp(name, "rebalance_recommendation") == 0) {
        imds_rebalance_recommendation *notice = NULL;

        rc = imds_client_rebalance_recommendation(client, NULL, &notice);
        if (rc == IMDS_OK) {
            o->value =
                notice == NULL
                    ? json_null()
                    : with_fields(json_object(), "notice_time",
                                  time_value(
                                      imds_rebalance_recommendation_notice_time(
                                          notice)),
                                  (const char *)NULL);
            imds_rebalance_recommendation_free(notice);
        }
    } else if (strcmp(name, "scheduled_events") == 0) {
        imds_scheduled_event_list *events = NULL;

        rc = imds_client_scheduled_events(client, NULL, &events);
        if (rc == IMDS_OK) {
            o->value = project_events(events);
            imds_scheduled_event_list_free(events);
        }
    } else {
        projected = 0;
        rc = IMDS_OK;
    }
    if (!projected) {
        return fail(run, "unknown call \"%s\"", name);
    }
    if (rc != IMDS_OK) {
        capture_error(o, rc);
    } else if (o->value == NULL) {
        return fail(run, "%s: out of memory", name);
    }
    return 0;
}

/* ---- expectations ---- */

static const int32_t all_codes[] = {1, 2, 3,  4,  5,  6,  7,  8,
                                    9, 10, 11, 12, 13, 14, 15, 99};

static int known_kind(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof all_codes / sizeof all_codes[0]; i++) {
        if (strcmp(imds_result_name(all_codes[i]), name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* `needle` occurs in `text` (both with lengths: text may hold NUL). */
static int has_substring(const char *text, size_t text_len,
                         const char *needle, size_t needle_len)
{
    size_t i;

    for (i = 0; i + needle_len <= text_len; i++) {
        if (memcmp(text + i, needle, needle_len) == 0) {
            return 1;
        }
    }
    return 0;
}

static int check_error(struct run *run, const struct json *expect,
                       const struct outcome *o)
{
    const struct json *kind = json_get(expect, "error");
    const struct json *status = json_get(expect, "status");
    const struct json *text = json_get(expect, "message_contains");
    const char *message = o->message == NULL ? "" : o->message;
    double wanted;

    if (known_keys(run, "expect (error)", expect, "error", "status",
                   "message_contains", (const char *)NULL)
            != 0
        || want_type(run, "error", kind, JSON_STRING) != 0) {
        return -1;
    }
    if (!known_kind(kind->string)) {
        return fail(run, "unknown error kind \"%s\"", kind->string);
    }
    if (o->value != NULL) {
        char *got = show(o->value);

        fail(run, "expected error %s, got %s", kind->string,
             got == NULL ? "?" : got);
        free(got);
        return -1;
    }
    if (strcmp(imds_result_name((int32_t)o->rc), kind->string) != 0) {
        return fail(run, "expected error %s, got %s: %s", kind->string,
                    imds_result_name((int32_t)o->rc), message);
    }
    if (status != NULL) {
        if (want_whole(run, "status", status, 999, &wanted) != 0) {
            return -1;
        }
        if ((double)o->status != wanted) {
            return fail(run, "expected status %.0f, got %u: %s", wanted,
                        o->status, message);
        }
    }
    if (text != NULL) {
        if (want_type(run, "message_contains", text, JSON_STRING) != 0) {
            return -1;
        }
        if (strstr(message, text->string) == NULL) {
            return fail(run, "message lacks \"%s\": %s", text->string,
                        message);
        }
    }
    return 0;
}

/* One expectation other than the error ones; *met says whether it held. */
static int check_one(struct run *run, const char *key,
                     const struct json *wanted, const struct json *value,
                     int *met)
{
    size_t i;
    double n;

    *met = 1;
    if (strcmp(key, "value") == 0) {
        *met = json_equal(value, wanted);
    } else if (strcmp(key, "contains") == 0) {
        *met = 0;
        if (value->type == JSON_ARRAY) {
            for (i = 0; i < value->count; i++) {
                *met = *met || json_equal(value->items[i], wanted);
            }
        } else if (value->type == JSON_STRING
                   && wanted->type == JSON_STRING) {
            *met = has_substring(value->string, value->length,
                                 wanted->string, wanted->length);
        }
    } else if (strcmp(key, "fields") == 0 || strcmp(key, "prefix") == 0) {
        if (want_type(run, key, wanted, JSON_OBJECT) != 0) {
            return -1;
        }
        for (i = 0; i < wanted->count; i++) {
            const struct json *got = json_get(value, wanted->keys[i]);
            const struct json *want = wanted->items[i];

            if (key[0] == 'f') {
                *met = *met && got != NULL && json_equal(got, want);
                continue;
            }
            if (want_type(run, "prefix", want, JSON_STRING) != 0) {
                return -1;
            }
            *met = *met && got != NULL && got->type == JSON_STRING
                   && got->length >= want->length
                   && memcmp(got->string, want->string, want->length) == 0;
        }
    } else if (strcmp(key, "none") == 0) {
        if (want_type(run, "none", wanted, JSON_BOOL) != 0) {
            return -1;
        }
        *met = (value->type == JSON_NULL) == wanted->boolean;
    } else if (strcmp(key, "count") == 0) {
        if (want_whole(run, "count", wanted, 1e9, &n) != 0) {
            return -1;
        }
        *met = value->type == JSON_ARRAY && (double)value->count == n;
    } else if (strcmp(key, "save") == 0 || strcmp(key, "same") == 0
               || strcmp(key, "differs") == 0) {
        if (want_type(run, key, wanted, JSON_OBJECT) != 0) {
            return -1;
        }
        for (i = 0; i < wanted->count; i++) {
            const struct json *got = json_get(value, wanted->keys[i]);
            const struct json *slot = wanted->items[i];
            struct json *copy;

            if (want_type(run, key, slot, JSON_STRING) != 0) {
                return -1;
            }
            if (strcmp(key, "save") == 0) {
                if (got == NULL) {
                    return fail(run, "save: the result has no field \"%s\"",
                                wanted->keys[i]);
                }
                copy = json_copy(got);
                if (json_set(run->saved, slot->string, copy) != 0) {
                    return fail(run, "out of memory");
                }
            } else {
                const struct json *remembered =
                    json_get(run->saved, slot->string);
                int equal;

                if (remembered == NULL) {
                    /* A misspelt name would make "differs" hold. */
                    return fail(run, "%s: nothing was saved as \"%s\"", key,
                                slot->string);
                }
                equal = got != NULL && json_equal(remembered, got);
                *met = *met && equal == (strcmp(key, "same") == 0);
            }
        }
    } else {
        return fail(run, "unknown expectation \"%s\"", key);
    }
    return 0;
}

/* Compares an outcome with a step's "expect" object (absent: success). */
static int check(struct run *run, const struct json *expect,
                 const struct outcome *o)
{
    size_t i;
    int pass;

    if (expect != NULL && expect->type != JSON_OBJECT) {
        return fail(run, "expect must be an object");
    }
    if (json_get(expect, "error") != NULL) {
        return check_error(run, expect, o);
    }
    if (o->value == NULL) {
        return fail(run, "unexpected error %s: %s",
                    imds_result_name((int32_t)o->rc),
                    o->message == NULL ? "" : o->message);
    }
    /* Two passes, so that "same" and "differs" compare with what earlier
     * steps saved, not with what this step saves. */
    for (pass = 0; expect != NULL && pass < 2; pass++) {
        for (i = 0; i < expect->count; i++) {
            int is_save = strcmp(expect->keys[i], "save") == 0;
            int met;

            if (is_save != pass) {
                continue;
            }
            if (check_one(run, expect->keys[i], expect->items[i], o->value,
                          &met)
                != 0) {
                return -1;
            }
            if (!met) {
                char *want = show(expect->items[i]);
                char *got = show(o->value);

                fail(run, "expectation %s: %s not met by %s", expect->keys[i],
                     want == NULL ? "?" : want, got == NULL ? "?" : got);
                free(want);
                free(got);
                return -1;
            }
        }
    }
    return 0;
}

/* ---- a scenario ---- */

static int set_up(struct run *run, const struct json *setup)
{
    static const char *const requests[][2] = {{"config", "/config"},
                                          {"mode", "/mode"},
                                          {"faults", "/faults"},
                                          {"credentials", "/credentials"}};
    const struct json *user_data = json_get(setup, "user_data");
    size_t i;

    if (known_keys(run, "emulator", setup, "config", "mode", "faults",
                   "credentials", "user_data", (const char *)NULL)
        != 0) {
        return -1;
    }
    for (i = 0; i < sizeof requests / sizeof requests[0]; i++) {
        const struct json *body = json_get(setup, requests[i][0]);

        if (body == NULL) {
            continue;
        }
        if (want_type(run, requests[i][0], body, JSON_OBJECT) != 0
            || admin_json(run, "PUT", requests[i][1], body) != 0) {
            return -1;
        }
    }
    if (user_data != NULL) {
        if (user_data->type != JSON_NULL) {
            return fail(run, "emulator user_data must be null");
        }
        return admin(run, "DELETE", "/user-data", NULL, NULL);
    }
    return 0;
}

static int check_counters(struct run *run, const struct json *expected)
{
    char *text = NULL;
    char error[160];
    struct json *counters;
    size_t i;
    size_t j;
    int rc = 0;

    if (want_type(run, "counters", expected, JSON_OBJECT) != 0
        || admin(run, "GET", "/counters", NULL, &text) != 0) {
        return -1;
    }
    counters = json_parse(text, strlen(text), error, sizeof error);
    free(text);
    if (counters == NULL) {
        return fail(run, "counters unreadable: %s", error);
    }
    for (i = 0; rc == 0 && i < expected->count; i++) {
        const char *name = expected->keys[i];
        const struct json *wanted = expected->items[i];
        const struct json *got = json_get(counters, name);

        if (strcmp(name, "token_puts") != 0
            && strcmp(name, "token_rejected") != 0
            && strcmp(name, "requests") != 0 && strcmp(name, "reads") != 0) {
            rc = fail(run, "unknown counter \"%s\"", name);
        } else if (got == NULL) {
            rc = fail(run, "the emulator reports no counter \"%s\"", name);
        } else if (strcmp(name, "reads") == 0) {
            if (want_type(run, "reads", wanted, JSON_OBJECT) != 0) {
                rc = -1;
            }
            for (j = 0; rc == 0 && j < wanted->count; j++) {
                const struct json *count = json_get(got, wanted->keys[j]);
                double want;
                double have = count == NULL ? 0 : count->number;

                if (want_whole(run, "reads", wanted->items[j], 1e9, &want)
                    != 0) {
                    rc = -1;
                } else if ((count != NULL && count->type != JSON_NUMBER)
                           || have != want) {
                    rc = fail(run, "reads[%s]: expected %.0f, got %.0f",
                              wanted->keys[j], want, have);
                }
            }
        } else if (!json_equal(got, wanted)) {
            char *want = show(wanted);
            char *have = show(got);

            rc = fail(run, "counter %s: expected %s, got %s", name,
                      want == NULL ? "?" : want, have == NULL ? "?" : have);
            free(want);
            free(have);
        }
    }
    json_free(counters);
    return rc;
}

static int run_step(struct run *run, const struct json *step)
{
    const struct json *sleep_for = json_get(step, "sleep");
    const struct json *request = json_get(step, "admin");
    const struct json *options = json_get(step, "build");
    const struct json *name = json_get(step, "call");
    const struct json *expect = json_get(step, "expect");
    struct outcome o;
    char *text;
    int rc;

    memset(&o, 0, sizeof o);
    if (step == NULL || step->type != JSON_OBJECT) {
        return fail(run, "a step must be an object");
    }
    if (sleep_for != NULL) {
        struct timespec delay;

        if (known_keys(run, "sleep step", step, "sleep", (const char *)NULL)
                != 0
            || want_type(run, "sleep", sleep_for, JSON_NUMBER) != 0) {
            return -1;
        }
        if (sleep_for->number < 0 || sleep_for->number > 60) {
            return fail(run, "sleep must be from 0 to 60 seconds");
        }
        delay.tv_sec = (time_t)sleep_for->number;
        delay.tv_nsec = (long)((sleep_for->number - (double)delay.tv_sec)
                               * 1e9);
        while (nanosleep(&delay, &delay) != 0 && errno == EINTR) {
        }
        return 0;
    }
    if (request != NULL) {
        const struct json *method = json_get(request, "method");
        const struct json *path = json_get(request, "path");

        if (known_keys(run, "admin step", step, "admin", (const char *)NULL)
                != 0
            || known_keys(run, "admin request", request, "method", "path",
                          "body", (const char *)NULL)
                   != 0
            || want_type(run, "method", method, JSON_STRING) != 0
            || want_type(run, "path", path, JSON_STRING) != 0) {
            return -1;
        }
        return admin_json(run, method->string, path->string,
                          json_get(request, "body"));
    }
    if (options != NULL) {
        if (known_keys(run, "build step", step, "build", "expect",
                       (const char *)NULL)
                != 0
            || known_keys(run, "build", options, "settings", "env",
                          "profile", "endpoint_from", (const char *)NULL)
                   != 0
            || build(run, options, &o, NULL) != 0) {
            outcome_clear(&o);
            return -1;
        }
        rc = check(run, expect, &o);
        outcome_clear(&o);
        return rc;
    }
    if (name != NULL) {
        const struct json *repeat = json_get(step, "repeat");
        double times = 1;
        double i;

        if (known_keys(run, "call step", step, "call", "args", "expect",
                       "repeat", (const char *)NULL)
                != 0
            || want_type(run, "call", name, JSON_STRING) != 0
            || (repeat != NULL
                && want_whole(run, "repeat", repeat, 10000, &times) != 0)) {
            return -1;
        }
        if (times < 1) {
            return fail(run, "repeat must be at least 1");
        }
        for (i = 0; i < times; i++) {
            rc = call(run, name->string, json_get(step, "args"), &o);
            if (rc == 0) {
                rc = check(run, expect, &o);
            }
            outcome_clear(&o);
            if (rc != 0) {
                return -1;
            }
        }
        return 0;
    }
    text = show(step);
    fail(run, "unknown step %s", text == NULL ? "?" : text);
    free(text);
    return -1;
}

static int run_scenario(struct run *run, const char *path)
{
    FILE *file = fopen(path, "rb");
    char *text = NULL;
    long size;
    char error[160];
    struct json *scenario = NULL;
    const struct json *steps;
    struct outcome o;
    size_t i;
    int rc = -1;

    memset(&o, 0, sizeof o);
    if (file == NULL || fseek(file, 0, SEEK_END) != 0
        || (size = ftell(file)) < 0 || fseek(file, 0, SEEK_SET) != 0
        || (text = malloc((size_t)size + 1)) == NULL
        || fread(text, 1, (size_t)size, file) != (size_t)size) {
        fail(run, "cannot read %s: %s", path, strerror(errno));
        goto done;
    }
    scenario = json_parse(text, (size_t)size, error, sizeof error);
    if (scenario == NULL) {
        fail(run, "unreadable scenario: %s", error);
        goto done;
    }
    steps = json_get(scenario, "steps");
    run->client_spec = json_get(scenario, "client");
    if (known_keys(run, "scenario", scenario, "description", "emulator",
                   "client", "steps", "counters", (const char *)NULL)
            != 0
        || known_keys(run, "client", run->client_spec, "settings", "env",
                      "profile", "endpoint_from", (const char *)NULL)
               != 0
        || want_type(run, "steps", steps, JSON_ARRAY) != 0
        || start_emulator(run) != 0
        || set_up(run, json_get(scenario, "emulator")) != 0
        || build(run, NULL, &o, &run->client) != 0) {
        goto done;
    }
    if (o.value == NULL) {
        fail(run, "client did not build: %s: %s",
             imds_result_name((int32_t)o.rc),
             o.message == NULL ? "" : o.message);
        goto done;
    }
    for (i = 0; i < steps->count; i++) {
        if (run_step(run, steps->items[i]) != 0) {
            run->step = (long)i;
            goto done;
        }
    }
    if (json_get(scenario, "counters") != NULL
        && check_counters(run, json_get(scenario, "counters")) != 0) {
        goto done;
    }
    rc = 0;
done:
    outcome_clear(&o);
    imds_client_free(run->client);
    run->client = NULL;
    stop_emulator(&run->emu);
    json_free(scenario);
    free(text);
    if (file != NULL) {
        fclose(file);
    }
    return rc;
}

/* ---- main ---- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether the command line selects scenario `name`: all of them when it
 * names none. Marks the names it used in `used`. */
static int selected(int argc, char **argv, const char *name, int *used)
{
    int i;

    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            used[i] = 1;
            return 1;
        }
    }
    return argc <= 2;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : IMDS_CONFORMANCE_DIR;
    char temp[] = "/tmp/imds-conformance-XXXXXX";
    char **names = NULL;
    size_t count = 0;
    size_t capacity = 0;
    size_t i;
    int passed = 0;
    int failed = 0;
    DIR *listing;
    struct dirent *entry;
    int *used = calloc((size_t)argc + 1, sizeof *used);

    /* An admin connection the emulator closed must be an error, not a
     * signal that ends the runner. */
    signal(SIGPIPE, SIG_IGN);
    if (used == NULL) {
        fprintf(stderr, "conformance: out of memory\n");
        return 2;
    }
    listing = opendir(dir);
    if (listing == NULL) {
        fprintf(stderr, "conformance: cannot read %s: %s\n", dir,
                strerror(errno));
        return 2;
    }
    while ((entry = readdir(listing)) != NULL) {
        size_t n = strlen(entry->d_name);

        if (n <= 5 || strcmp(entry->d_name + n - 5, ".json") != 0) {
            continue;
        }
        if (count == capacity) {
            char **bigger;

            capacity = capacity == 0 ? 64 : capacity * 2;
            bigger = realloc(names, capacity * sizeof *names);
            if (bigger == NULL) {
                fprintf(stderr, "conformance: out of memory\n");
                return 2;
            }
            names = bigger;
        }
        names[count] = malloc(n + 1);
        if (names[count] == NULL) {
            fprintf(stderr, "conformance: out of memory\n");
            return 2;
        }
        memcpy(names[count], entry->d_name, n + 1);
        count++;
    }
    closedir(listing);
    if (count < MIN_SCENARIOS) {
        fprintf(stderr, "conformance: only %lu scenarios in %s\n",
                (unsigned long)count, dir);
        failed++;
    }
    qsort(names, count, sizeof *names, by_name);
    if (mkdtemp(temp) == NULL) {
        fprintf(stderr, "conformance: mkdtemp: %s\n", strerror(errno));
        return 2;
    }

    for (i = 0; i < count; i++) {
        struct run run;
        char path[4096];
        size_t n = strlen(names[i]) - 5;

        names[i][n] = '\0';
        if (!selected(argc, argv, names[i], used)) {
            continue;
        }
        memset(&run, 0, sizeof run);
        run.name = names[i];
        run.step = -1;
        run.saved = json_object();
        snprintf(path, sizeof path, "%s/%s.json", dir, names[i]);
        snprintf(run.profile_path, sizeof run.profile_path, "%s/%s.config",
                 temp, names[i]);
        if (run.saved != NULL && run_scenario(&run, path) == 0) {
            printf("ok %s\n", names[i]);
            passed++;
        } else if (run.step >= 0) {
            printf("FAIL %s: step %ld: %s\n", names[i], run.step,
                   run.reason);
            failed++;
        } else {
            printf("FAIL %s: %s\n", names[i],
                   run.reason[0] == '\0' ? "out of memory" : run.reason);
            failed++;
        }
        fflush(stdout);
        json_free(run.saved);
        remove(run.profile_path);
    }
    for (i = 2; i < (size_t)argc; i++) {
        if (!used[i]) {
            printf("FAIL %s: no such scenario in %s\n", argv[i], dir);
            failed++;
        }
    }
    for (i = 0; i < count; i++) {
        free(names[i]);
    }
    free(names);
    free(used);
    rmdir(temp);
    printf("conformance: %d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

/*
 * runner.c: the benchmark runner for this project's C binding (imds.h over
 * the release libimds.a).
 *
 *   imds-bench-c imds WORKLOAD ENDPOINT CONCURRENCY AMOUNT
 *
 * It prints one JSON line; the protocol is in bench/README.md. Concurrency
 * is POSIX threads sharing one imds_client, which the library allows (see
 * "Threads" in bindings-c/README.md) and which is how a C service shares one.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imds.h"

/* Mutable on EC2, so no client may answer it from a cache. */
static const char READ_PATH[] = "local-ipv4";

enum { ERROR_TEXT_MAX = 512 };

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/*
 * One call of the workload: the metadata read, or the credentials as a
 * provider reads them. Returns true on success; on failure, when `error` is
 * not NULL, writes "kind: message" there, read on this thread right after
 * the call as the library requires.
 */
static bool call_once(const imds_client *client, bool creds, char *error,
                      size_t error_len)
{
    imds_result rc;

    if (creds) {
        imds_credentials *credentials = NULL;

        rc = imds_client_credentials(client, NULL, &credentials);
        /* Freed unread: the secrets never leave the library here. */
        imds_credentials_free(credentials);
    } else {
        imds_string *value = NULL;

        rc = imds_client_get_metadata(client, READ_PATH, sizeof READ_PATH - 1,
                                      NULL, &value);
        imds_string_free(value);
    }
    if (rc == IMDS_OK) {
        return true;
    }
    if (error != NULL) {
        int used = snprintf(error, error_len, "%s: ",
                            imds_result_name((int)rc));

        if (used > 0 && (size_t)used < error_len) {
            imds_last_error_message(error + used, error_len - (size_t)used);
        }
    }
    return false;
}

/* What one reader observed; owned by its thread until joined. */
typedef struct {
    const imds_client *client;
    bool creds;
    uint64_t warm_until;
    uint64_t end;
    uint64_t *latencies_ns;
    size_t count;
    size_t capacity;
    uint64_t errors;
    uint64_t warm_ops;
    bool out_of_memory;
    bool has_error;
    char first_error[ERROR_TEXT_MAX];
} reader;

static bool record(reader *r, uint64_t latency)
{
    if (r->count == r->capacity) {
        size_t capacity = r->capacity ? r->capacity * 2 : 4096;
        uint64_t *grown =
            realloc(r->latencies_ns, capacity * sizeof *r->latencies_ns);

        if (grown == NULL) {
            return false;
        }
        r->latencies_ns = grown;
        r->capacity = capacity;
    }
    r->latencies_ns[r->count++] = latency;
    return true;
}

static void *run_reader(void *arg)
{
    reader *r = arg;

    while (now_ns() < r->warm_until) {
        call_once(r->client, r->creds, NULL, 0);
        r->warm_ops++;
    }
    for (;;) {
        uint64_t started = now_ns();

        if (started >= r->end) {
            break;
        }
        if (!call_once(r->client, r->creds,
                       r->has_error ? NULL : r->first_error,
                       sizeof r->first_error)) {
            r->errors++;
            r->has_error = true;
            continue;
        }
        if (!record(r, now_ns() - started)) {
            r->out_of_memory = true;
            break;
        }
    }
    return NULL;
}

/* Peak RSS, measured here: wait4 in the harness would count its own. */
static long hwm_kb(void)
{
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;

    if (status == NULL) {
        return 0;
    }
    while (fgets(line, sizeof line, status) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(status);
    return kb;
}

/* A JSON string literal: error texts may hold quotes or control bytes. */
static void print_json_string(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;

    putchar('"');
    for (; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            printf("\\%c", *p);
        } else if (*p < 0x20) {
            printf("\\u%04x", (unsigned)*p);
        } else {
            putchar(*p);
        }
    }
    putchar('"');
}

static int hammer(const imds_client *client, bool creds, long concurrency,
                  long duration_ms)
{
    uint64_t duration = (uint64_t)duration_ms * UINT64_C(1000000);
    uint64_t warm_until;
    reader *readers = calloc((size_t)concurrency, sizeof *readers);
    pthread_t *threads = calloc((size_t)concurrency, sizeof *threads);
    uint64_t ops = 0;
    uint64_t errors = 0;
    uint64_t warm_ops = 0;
    const char *first_error = NULL;
    bool first = true;
    int status = 0;
    long started = 0;
    long i;

    if (readers == NULL || threads == NULL) {
        fprintf(stderr, "imds-bench-c: out of memory\n");
        free(readers);
        free(threads);
        return 1;
    }
    /* One untimed call first, so lazy initialisation (the runtime, the
     * connection pool, the token) does not eat into the window. */
    call_once(client, creds, NULL, 0);
    warm_until = now_ns() + duration / 4;
    for (i = 0; i < concurrency; i++) {
        readers[i].client = client;
        readers[i].creds = creds;
        readers[i].warm_until = warm_until;
        readers[i].end = warm_until + duration;
        if (pthread_create(&threads[i], NULL, run_reader, &readers[i]) != 0) {
            fprintf(stderr, "imds-bench-c: cannot start reader %ld\n", i);
            status = 1;
            break;
        }
        started++;
    }
    for (i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        if (readers[i].out_of_memory) {
            fprintf(stderr, "imds-bench-c: out of memory for latencies\n");
            status = 1;
        }
        ops += readers[i].count;
        errors += readers[i].errors;
        warm_ops += readers[i].warm_ops;
        if (first_error == NULL && readers[i].has_error) {
            first_error = readers[i].first_error;
        }
    }
    if (status == 0) {
        printf("{\"hwm_kb\":%ld,\"ops\":%" PRIu64 ",\"errors\":%" PRIu64
               ",\"warm_ops\":%" PRIu64 ",\"elapsed_s\":%.6f,"
               "\"first_error\":",
               hwm_kb(), ops, errors, warm_ops, (double)duration_ms / 1000.0);
        if (first_error != NULL) {
            print_json_string(first_error);
        } else {
            fputs("null", stdout);
        }
        fputs(",\"lat_ns\":[", stdout);
        for (i = 0; i < started; i++) {
            size_t j;

            for (j = 0; j < readers[i].count; j++) {
                printf(first ? "%" PRIu64 : ",%" PRIu64,
                       readers[i].latencies_ns[j]);
                first = false;
            }
        }
        puts("]}");
    }
    for (i = 0; i < concurrency; i++) {
        free(readers[i].latencies_ns);
    }
    free(readers);
    free(threads);
    return status;
}

static int cold(const imds_client *client, uint64_t process_start)
{
    char error[ERROR_TEXT_MAX];
    bool ok = call_once(client, false, error, sizeof error);
    uint64_t first_value_ns = now_ns() - process_start;

    printf("{\"hwm_kb\":%ld,\"first_value_ns\":%" PRIu64
           ",\"ok\":%s,\"error\":",
           hwm_kb(), first_value_ns, ok ? "true" : "false");
    if (ok) {
        fputs("null", stdout);
    } else {
        print_json_string(error);
    }
    puts("}");
    return 0;
}

static int offline(const imds_client *client, long calls)
{
    uint64_t *calls_ns = calloc((size_t)calls + 1, sizeof *calls_ns);
    char(*outcomes)[ERROR_TEXT_MAX] =
        calloc((size_t)calls + 1, sizeof *outcomes);
    long i;

    if (calls_ns == NULL || outcomes == NULL) {
        fprintf(stderr, "imds-bench-c: out of memory\n");
        free(calls_ns);
        free(outcomes);
        return 1;
    }
    for (i = 0; i < calls; i++) {
        uint64_t started = now_ns();

        if (call_once(client, false, outcomes[i], sizeof outcomes[i])) {
            strcpy(outcomes[i], "ok");
        }
        calls_ns[i] = now_ns() - started;
    }
    printf("{\"hwm_kb\":%ld,\"calls_ns\":[", hwm_kb());
    for (i = 0; i < calls; i++) {
        printf(i ? ",%" PRIu64 : "%" PRIu64, calls_ns[i]);
    }
    fputs("],\"outcomes\":[", stdout);
    for (i = 0; i < calls; i++) {
        if (i) {
            putchar(',');
        }
        print_json_string(outcomes[i]);
    }
    puts("]}");
    free(calls_ns);
    free(outcomes);
    return 0;
}

/* A whole non-negative decimal number, or -1. */
static long parse_count(const char *text)
{
    char *end = NULL;
    long value = strtol(text, &end, 10);

    return (end == text || *end != '\0' || value < 0) ? -1 : value;
}

/* The client as a user builds it: library defaults, only the endpoint. */
static imds_client *open_client(const char *endpoint)
{
    imds_config *config = NULL;
    imds_client *client = NULL;
    size_t endpoint_len = strlen(endpoint);
    imds_result rc;

    /* The harness passes the endpoint without a trailing "/"; trimmed here
     * too so every runner builds the same URLs. */
    while (endpoint_len > 0 && endpoint[endpoint_len - 1] == '/') {
        endpoint_len--;
    }
    rc = imds_config_new(&config);
    if (rc == IMDS_OK) {
        rc = imds_config_set_endpoint(config, endpoint, endpoint_len);
    }
    if (rc == IMDS_OK) {
        rc = imds_client_new(config, &client);
    }
    imds_config_free(config);
    if (rc != IMDS_OK) {
        char message[ERROR_TEXT_MAX];

        imds_last_error_message(message, sizeof message);
        fprintf(stderr, "imds-bench-c: %s: %s\n", imds_result_name((int)rc),
                message);
        return NULL;
    }
    return client;
}

int main(int argc, char **argv)
{
    uint64_t process_start = now_ns();
    const char *workload;
    long concurrency;
    long amount;
    imds_client *client;
    int status;

    if (argc != 6 || strcmp(argv[1], "imds") != 0) {
        fprintf(stderr, "usage: imds-bench-c imds WORKLOAD ENDPOINT "
                        "CONCURRENCY AMOUNT\n");
        return 2;
    }
    workload = argv[2];
    concurrency = parse_count(argv[4]);
    amount = parse_count(argv[5]);
    if (concurrency < 1 || amount < 0) {
        fprintf(stderr, "imds-bench-c: bad CONCURRENCY or AMOUNT\n");
        return 2;
    }
    client = open_client(argv[3]);
    if (client == NULL) {
        return 2;
    }
    if (strcmp(workload, "read") == 0 || strcmp(workload, "creds") == 0) {
        status = hammer(client, strcmp(workload, "creds") == 0, concurrency,
                        amount);
    } else if (strcmp(workload, "cold") == 0) {
        status = cold(client, process_start);
    } else if (strcmp(workload, "offline") == 0) {
        status = offline(client, amount);
    } else {
        fprintf(stderr, "imds-bench-c: unknown workload \"%s\"\n", workload);
        status = 2;
    }
    imds_client_free(client);
    return status;
}

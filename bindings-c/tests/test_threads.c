/*
 * test_threads.c: one client shared by many threads, leaving no descriptor
 * or thread open; a cancel handle triggered from another thread; per-call
 * deadlines; the last error kept per thread; a client used across fork().
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define THREADS 8
#define CALLS 40
/* How often to look again while closed connections and joined threads wind
 * down. Only a leak exhausts the bound, which keeps it from hanging the
 * test; the check is on the counts. It outlasts the ten seconds for which a
 * tokio runtime keeps an idle thread. */
#define SETTLE_POLLS 2000

static struct emulator emu;
static atomic_int audit_events;

static void sleep_ms(long ms);

/* What the process holds open: entries of /proc/self/fd and
 * /proc/self/task. */
struct handles {
    long fds;
    long threads;
};

/* Entries of a directory, or -1 when it cannot be read. The open directory
 * is a descriptor of its own, in every figure alike. */
static long count_entries(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *entry;
    long count = 0;

    if (dir == NULL) {
        return -1;
    }
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0
            && strcmp(entry->d_name, "..") != 0) {
            count++;
        }
    }
    closedir(dir);
    return count;
}

static struct handles handles_now(void)
{
    struct handles now;

    now.fds = count_entries("/proc/self/fd");
    now.threads = count_entries("/proc/self/task");
    return now;
}

static int handles_within(struct handles now, struct handles baseline)
{
    return now.fds >= 0 && now.threads >= 0 && now.fds <= baseline.fds
           && now.threads <= baseline.threads;
}

/* The figure once the process is back within `baseline`, or the last one
 * seen. Closing is asynchronous: the core's worker threads shut a freed
 * client's connections, and a joined thread leaves /proc/self/task a moment
 * after pthread_join returns. */
static struct handles settled(struct handles baseline)
{
    long polls;

    for (polls = 0; polls < SETTLE_POLLS; polls++) {
        struct handles now = handles_now();

        if (handles_within(now, baseline)) {
            return now;
        }
        sleep_ms(10);
    }
    return handles_now();
}

/* The count before a load. The core's shared runtime (its epoll and waker
 * descriptors, its worker threads) is started by the first call in the
 * process and lives as long as the process by design; a call the core
 * refuses before any request starts it without opening a connection, so the
 * baseline holds the runtime and nothing that closes later. */
static struct handles baseline_after_a_warm_up_client(void)
{
    imds_client *warm_up = emulator_client(&emu);
    imds_string *value = NULL;
    struct handles baseline;

    CHECK_RC(imds_client_get_metadata(warm_up, S("../user-data"), NULL,
                                      &value),
             IMDS_ERR_INVALID_INPUT);
    CHECK(value == NULL);
    imds_client_free(warm_up);
    baseline = handles_now();
    CHECK(baseline.fds > 0 && baseline.threads > 0);
    return baseline;
}

static void count_event(const imds_audit_event *event, void *user_data)
{
    atomic_int *counter = user_data;

    (void)event;
    atomic_fetch_add(counter, 1);
}

struct worker {
    imds_client *client;
    int index;
    int failures;
};

static void *read_many(void *arg)
{
    struct worker *worker = arg;
    static const char *const paths[] = {"instance-id", "ami-id",
                                        "instance-type", "local-ipv4",
                                        "placement/availability-zone"};
    int i;

    for (i = 0; i < CALLS; i++) {
        const char *path = paths[(worker->index + i) % 5];
        imds_string *value = NULL;

        if (imds_client_get_metadata(worker->client, path, strlen(path), NULL,
                                     &value)
                != IMDS_OK
            || imds_string_len(value) == 0) {
            worker->failures++;
        }
        imds_string_free(value);
        if (i % 10 == 0) {
            imds_credentials *credentials = NULL;
            if (imds_client_credentials(worker->client, NULL, &credentials)
                != IMDS_OK) {
                worker->failures++;
            }
            imds_credentials_free(credentials);
        }
    }
    return NULL;
}

static void test_threads_share_one_client_and_token_and_leave_nothing_open(
    void)
{
    struct handles before = baseline_after_a_warm_up_client();
    struct handles after;
    imds_config *config = emulator_config(&emu);
    imds_client *client = NULL;
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    int i;
    int failures = 0;

    CHECK_OK(imds_config_set_cache_immutable(config, false));
    CHECK_OK(imds_config_set_audit_callback(config, count_event,
                                            &audit_events));
    CHECK_OK(imds_client_new(config, &client));
    imds_config_free(config);
    ADMIN(&emu, "POST", "/counters/reset", NULL);

    for (i = 0; i < THREADS; i++) {
        workers[i].client = client;
        workers[i].index = i;
        workers[i].failures = 0;
        CHECK(pthread_create(&threads[i], NULL, read_many, &workers[i]) == 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        failures += workers[i].failures;
    }
    CHECK(failures == 0);
    /* Every thread shared one token, fetched once. */
    CHECK(emulator_counter(&emu, "token_puts") == 1);
    CHECK(atomic_load(&audit_events) >= THREADS * CALLS);
    imds_client_free(client);

    after = settled(before);
    if (!handles_within(after, before)) {
        fprintf(stderr,
                "left open: %ld descriptors and %ld threads before the load, "
                "%ld and %ld after freeing the client\n",
                before.fds, before.threads, after.fds, after.threads);
    }
    CHECK(handles_within(after, before));
}

struct cancelled_call {
    imds_client *client;
    imds_cancel *cancel;
    uint64_t deadline_ms;
    imds_result rc;
    int64_t elapsed_ms;
    int wrote_output;
    int deadline_message; /* the error detail names the call's deadline */
};

static void *call_and_wait(void *arg)
{
    struct cancelled_call *call = arg;
    imds_call_options options = {NULL, 0};
    imds_string *value = NULL;
    int64_t start = harness_now_ms();

    options.cancel = call->cancel;
    options.deadline_ms = call->deadline_ms;
    call->rc = imds_client_get_metadata(call->client, S("instance-id"),
                                        &options, &value);
    call->elapsed_ms = harness_now_ms() - start;
    call->wrote_output = value != NULL;
    {
        /* The detail of the last error is kept per thread: read it here. */
        char message[256] = "";
        imds_last_error_message(message, sizeof message);
        call->deadline_message =
            strstr(message, "the call's deadline") != NULL;
    }
    imds_string_free(value);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec pause;

    pause.tv_sec = ms / 1000;
    pause.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&pause, NULL);
}

/* Returns once `count` requests are held open by the never_answer fault
 * (counted since the last counter reset): the calls that sent them are then
 * surely in flight, so what ends them is what the test does next. The
 * number of polls is bounded only so that a broken emulator fails the check
 * instead of hanging the suite. */
static void wait_until_held(long count)
{
    long polls;

    for (polls = 0; polls < 6000; polls++) {
        if (emulator_counter(&emu, "never_answer") >= count) {
            return;
        }
        sleep_ms(10);
    }
    CHECK(emulator_counter(&emu, "never_answer") >= count);
}

static void test_cancel_from_another_thread(void)
{
    imds_config *config = emulator_config(&emu);
    imds_client *client = NULL;
    struct cancelled_call calls[3];
    pthread_t threads[3];
    imds_cancel *cancel = NULL;
    int i;

    /* Long timeouts: only the cancel handle can end these calls early. */
    CHECK_OK(imds_config_set_timeout_ms(config, 20000));
    CHECK_OK(imds_config_set_max_attempts(config, 1));
    CHECK_OK(imds_client_new(config, &client));
    imds_config_free(config);
    CHECK_OK(imds_cancel_new(&cancel));
    ADMIN(&emu, "PUT", "/faults",
          "{\"never_answer\":true,\"target\":\"metadata\"}");
    ADMIN(&emu, "POST", "/counters/reset", NULL);

    for (i = 0; i < 3; i++) {
        calls[i].client = client;
        calls[i].cancel = cancel;
        calls[i].deadline_ms = 0;
        calls[i].rc = IMDS_OK;
        calls[i].wrote_output = 0;
        CHECK(pthread_create(&threads[i], NULL, call_and_wait, &calls[i])
              == 0);
    }
    wait_until_held(3);
    CHECK_OK(imds_cancel_cancel(cancel));
    for (i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        /* Held for good, with a 20 s attempt timeout: only the cancellation
         * can have ended it, and the code says it did. */
        CHECK(calls[i].rc == IMDS_ERR_CANCELLED);
        CHECK(!calls[i].wrote_output);
    }
    imds_cancel_free(cancel);

    /* A deadline ends a held call too, on its own thread. */
    calls[0].cancel = NULL;
    calls[0].deadline_ms = 200;
    CHECK(pthread_create(&threads[0], NULL, call_and_wait, &calls[0]) == 0);
    pthread_join(threads[0], NULL);
    CHECK(calls[0].rc == IMDS_ERR_TIMEOUT);
    /* Not early; and the call's deadline, not the attempt timeout, ended
     * it, as the message says. */
    CHECK(calls[0].elapsed_ms >= 150);
    CHECK(calls[0].deadline_message);

    ADMIN(&emu, "DELETE", "/faults", NULL);
    imds_client_free(client);
}

struct own_error {
    imds_client *client;
    const char *path;
    imds_result seen;
    uint16_t status;
};

static void *fail_or_succeed(void *arg)
{
    struct own_error *own = arg;
    imds_string *value = NULL;
    int i;

    for (i = 0; i < 20; i++) {
        imds_client_get_metadata(own->client, own->path, strlen(own->path),
                                 NULL, &value);
        imds_string_free(value);
        value = NULL;
        sched_yield();
    }
    own->seen = imds_last_error_code();
    own->status = imds_last_error_status();
    return NULL;
}

static void test_last_error_is_per_thread(void)
{
    imds_client *client = emulator_client(&emu);
    struct own_error failing = {NULL, "missing-item", IMDS_OK, 0};
    struct own_error working = {NULL, "instance-id", IMDS_OK, 0};
    pthread_t a;
    pthread_t b;

    failing.client = client;
    working.client = client;
    CHECK(pthread_create(&a, NULL, fail_or_succeed, &failing) == 0);
    CHECK(pthread_create(&b, NULL, fail_or_succeed, &working) == 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    CHECK(failing.seen == IMDS_ERR_NOT_FOUND && failing.status == 404);
    CHECK(working.seen == IMDS_OK && working.status == 0);
    imds_client_free(client);
}

/* A client used before fork() keeps working in the child. The child ends
 * with _exit and reports through a pipe, not its exit status (which Valgrind
 * replaces when it counts what the child inherited from the parent's
 * runtime: left behind on purpose, as its threads do not exist there). */
static void test_fork(void)
{
    imds_client *client = emulator_client(&emu);
    imds_string *value = NULL;
    int report[2];
    char verdict = 'n';
    pid_t child;
    int status = -1;

    CHECK_OK(imds_client_instance_id(client, NULL, &value));
    imds_string_free(value);
    CHECK(pipe(report) == 0);
    child = fork();
    if (child == 0) {
        imds_string *in_child = NULL;
        imds_result rc = imds_client_get_metadata(client, S("ami-id"), NULL,
                                                  &in_child);
        char ok = rc == IMDS_OK && imds_string_len(in_child) > 0 ? 'y' : 'n';

        if (rc != IMDS_OK) {
            fprintf(stderr, "in the child: %s: %s\n",
                    imds_result_name((int)rc), harness_last_error());
        }
        if (write(report[1], &ok, 1) != 1) {
            _exit(1);
        }
        _exit(0);
    }
    close(report[1]);
    CHECK(child > 0);
    CHECK(read(report[0], &verdict, 1) == 1);
    close(report[0]);
    CHECK(verdict == 'y');
    CHECK(waitpid(child, &status, 0) == child);
    /* The parent's client is untouched by the child. */
    CHECK_OK(imds_client_instance_id(client, NULL, &value));
    imds_string_free(value);
    imds_client_free(client);
}

int main(void)
{
    emulator_start(&emu);
    test_fork();
    test_threads_share_one_client_and_token_and_leave_nothing_open();
    test_cancel_from_another_thread();
    test_last_error_is_per_thread();
    emulator_stop(&emu);
    return harness_finish("test_threads");
}

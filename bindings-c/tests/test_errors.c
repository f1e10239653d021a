/*
 * test_errors.c: every result code, produced for real against the emulator,
 * with its HTTP status and a message in the thread's last error.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static struct emulator emu;

/* Fetches instance-id with `client` and checks the code and status. */
static void expect(imds_client *client, const char *path, imds_result code,
                   unsigned status, const char *line)
{
    imds_string *value = NULL;
    imds_result rc = imds_client_get_metadata(client, path, strlen(path),
                                              NULL, &value);
    char message[512];

    if (rc != code || imds_last_error_status() != status) {
        fprintf(stderr, "  at %s: got %s status %u, want %s status %u\n",
                line, imds_result_name((int)rc),
                (unsigned)imds_last_error_status(),
                imds_result_name((int)code), status);
    }
    CHECK(rc == code);
    CHECK(imds_last_error_code() == code);
    CHECK(imds_last_error_status() == status);
    CHECK(imds_last_error_message(message, sizeof message) > 0);
    CHECK(value == NULL);
}

#define EXPECT(client, path, code, status)                                   \
    expect((client), (path), (code), (status), #code)

/* A client with two attempts and short timeouts. */
static imds_client *quick_client(const char *endpoint)
{
    imds_config *config = emulator_config(&emu);
    imds_client *client = NULL;

    if (endpoint != NULL) {
        CHECK_OK(imds_config_set_endpoint(config, endpoint,
                                          strlen(endpoint)));
    }
    /* Generous enough for Valgrind's pace; no memory of an unreachable
     * endpoint, so that one case cannot leak into the next. */
    CHECK_OK(imds_config_set_timeout_ms(config, 1000));
    CHECK_OK(imds_config_set_max_attempts(config, 2));
    CHECK_OK(imds_config_set_unreachable_memory_ms(config, 0));
    CHECK_OK(imds_client_new(config, &client));
    imds_config_free(config);
    return client;
}

/* A loopback port where nothing listens. */
static int closed_port(void)
{
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port;

    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&address, sizeof address);
    getsockname(fd, (struct sockaddr *)&address, &length);
    port = ntohs(address.sin_port);
    close(fd);
    return port;
}

#ifndef IMDS_TEST_FIXTURES
#define IMDS_TEST_FIXTURES "tests/fixtures"
#endif

/* Reads a file of tests/fixtures into `buf` as a C string. */
static int read_fixture(const char *name, char *buf, size_t buf_len)
{
    char path[512];
    FILE *file;
    size_t n;

    snprintf(path, sizeof path, "%s/%s", IMDS_TEST_FIXTURES, name);
    file = fopen(path, "r");
    if (file == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    n = fread(buf, 1, buf_len - 1, file);
    buf[n] = '\0';
    fclose(file);
    return 0;
}

struct reentry {
    imds_client *client;
    imds_result nested;
};

/* Calling the client from its own audit callback is a documented misuse;
 * the library reports it as internal instead of deadlocking. */
static void call_back_in(const imds_audit_event *event, void *user_data)
{
    struct reentry *reentry = user_data;
    imds_string *value = NULL;

    (void)event;
    if (reentry->client != NULL && reentry->nested == IMDS_OK) {
        reentry->nested = imds_client_get_metadata(
            reentry->client, S("instance-id"), NULL, &value);
        imds_string_free(value);
    }
}

int main(void)
{
    imds_client *client;
    imds_config *config;
    imds_iam_info *info = NULL;
    imds_credentials *credentials = NULL;
    imds_identity_document *doc = NULL;
    imds_cancel *cancel = NULL;
    imds_call_options options = {NULL, 0};
    imds_string *value = NULL;
    struct reentry reentry = {NULL, IMDS_OK};
    char endpoint[64];
    char certificate[8192];

    emulator_start(&emu);

    /* 1 invalid input */
    client = quick_client(NULL);
    EXPECT(client, "a//b", IMDS_ERR_INVALID_INPUT, 0);
    imds_client_free(client);

    /* 2 disabled */
    config = emulator_config(&emu);
    CHECK_OK(imds_config_set_disabled(config, true));
    CHECK_OK(imds_client_new(config, &client));
    imds_config_free(config);
    EXPECT(client, "instance-id", IMDS_ERR_DISABLED, 0);
    imds_client_free(client);

    /* 3 unreachable */
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", closed_port());
    client = quick_client(endpoint);
    EXPECT(client, "instance-id", IMDS_ERR_UNREACHABLE, 0);
    imds_client_free(client);

    /* 4 timeout: IMDS holds the request (the token is already there) */
    client = quick_client(NULL);
    EXPECT(client, "no-such-item", IMDS_ERR_NOT_FOUND, 404);
    ADMIN(&emu, "PUT", "/faults",
          "{\"never_answer\":true,\"target\":\"metadata\"}");
    EXPECT(client, "instance-id", IMDS_ERR_TIMEOUT, 0);
    ADMIN(&emu, "DELETE", "/faults", NULL);

    /* 5 bad request */
    ADMIN(&emu, "PUT", "/faults",
          "{\"error_status\":400,\"error_count\":1,\"target\":\"metadata\"}");
    EXPECT(client, "instance-id", IMDS_ERR_BAD_REQUEST, 400);

    /* 6 unauthorized, still, after a fresh token */
    ADMIN(&emu, "PUT", "/faults",
          "{\"error_status\":401,\"error_count\":5,\"target\":\"metadata\"}");
    EXPECT(client, "instance-id", IMDS_ERR_UNAUTHORIZED, 401);
    ADMIN(&emu, "DELETE", "/faults", NULL);

    /* 7 forbidden: IMDS turned off for the instance */
    ADMIN(&emu, "PUT", "/mode", "{\"http_endpoint\":\"disabled\"}");
    CHECK_OK(imds_client_clear_caches(client));
    EXPECT(client, "instance-id", IMDS_ERR_FORBIDDEN, 403);
    ADMIN(&emu, "PUT", "/mode", "{\"http_endpoint\":\"enabled\"}");

    /* 8 not found */
    EXPECT(client, "no/such/path", IMDS_ERR_NOT_FOUND, 404);

    /* 9 throttled on every attempt */
    ADMIN(&emu, "PUT", "/faults",
          "{\"error_status\":429,\"error_count\":10,\"target\":\"metadata\"}");
    EXPECT(client, "instance-id", IMDS_ERR_THROTTLED, 429);

    /* 10 server error on every attempt */
    ADMIN(&emu, "PUT", "/faults",
          "{\"error_status\":503,\"error_count\":10,\"target\":\"metadata\"}");
    EXPECT(client, "instance-id", IMDS_ERR_SERVER_ERROR, 503);
    ADMIN(&emu, "DELETE", "/faults", NULL);

    /* 11 invalid response: a document that is not JSON */
    ADMIN(&emu, "PUT", "/metadata/iam/info", "this is not JSON");
    CHECK_RC(imds_client_iam_info(client, NULL, &info),
             IMDS_ERR_INVALID_RESPONSE);
    CHECK(info == NULL);
    ADMIN(&emu, "DELETE", "/metadata/iam/info", NULL);
    imds_client_free(client);

    /* 12 response too large */
    config = emulator_config(&emu);
    CHECK_OK(imds_config_set_max_response_size(config, 4));
    CHECK_OK(imds_client_new(config, &client));
    imds_config_free(config);
    EXPECT(client, "instance-id", IMDS_ERR_RESPONSE_TOO_LARGE, 0);
    imds_client_free(client);

    /* 13 cancelled */
    client = quick_client(NULL);
    CHECK_OK(imds_cancel_new(&cancel));
    CHECK_OK(imds_cancel_cancel(cancel));
    options.cancel = cancel;
    CHECK_RC(imds_client_region(client, &options, &value),
             IMDS_ERR_CANCELLED);
    CHECK(imds_last_error_code() == IMDS_ERR_CANCELLED);
    imds_cancel_free(cancel);

    /* 14 signature invalid: checked against a certificate that signed
     * nothing */
    CHECK(read_fixture("unrelated-rsa-cert.pem", certificate,
                       sizeof certificate)
          == 0);
    CHECK_RC(imds_client_verified_identity_document(
                 client, certificate, strlen(certificate), NULL, &doc),
             IMDS_ERR_SIGNATURE_INVALID);
    CHECK(doc == NULL);
    CHECK_RC(imds_client_verified_identity_document_pkcs7(
                 client, certificate, strlen(certificate), NULL, &doc),
             IMDS_ERR_SIGNATURE_INVALID);
    CHECK(doc == NULL);

    /* 15 credentials error: IMDS answers with an error document */
    ADMIN(&emu, "PUT", "/credentials", "{\"mode\":\"error\"}");
    CHECK_RC(imds_client_credentials(client, NULL, &credentials),
             IMDS_ERR_CREDENTIALS_ERROR);
    CHECK(strstr(harness_last_error(), "AssumeRoleUnauthorizedAccess")
          != NULL);
    CHECK(credentials == NULL);
    ADMIN(&emu, "PUT", "/credentials", "{\"mode\":\"success\"}");
    imds_client_free(client);

    /* 99 internal: a call made from inside the audit callback */
    config = emulator_config(&emu);
    CHECK_OK(imds_config_set_audit_callback(config, call_back_in, &reentry));
    CHECK_OK(imds_client_new(config, &client));
    imds_config_free(config);
    reentry.client = client;
    CHECK_OK(imds_client_instance_id(client, NULL, &value));
    imds_string_free(value);
    CHECK(reentry.nested == IMDS_ERR_INTERNAL);
    imds_client_free(client);

    emulator_stop(&emu);
    return harness_finish("test_errors");
}

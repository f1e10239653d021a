/*
 * controller.c: what a node controller does at start-up and then forever:
 * learn where it runs, get role credentials and its user-data, watch for a
 * spot interruption so it can drain in time, and check that the identity
 * document it was given is signed by the certificate it trusts.
 *
 * The endpoint and every other setting come from the usual AWS variables
 * and ~/.aws/config, so the same binary runs on EC2 and, with
 * AWS_EC2_METADATA_SERVICE_ENDPOINT set, against the emulator.
 *
 *   controller [--poll-seconds N] [--max-polls N] [--cert FILE]
 *
 * --cert defaults to $IMDS_EMULATOR_CERT. The output is the lines every
 * language's demo prints (instance-id:, region:, credentials:, user-data:,
 * spot:, signature:). Exits 0 once a spot notice arrives (or after
 * --max-polls quiet polls) and the signature is checked, 1 on an error.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imds.h"

/* Prints what failed, with the library's detail, and returns 1. */
static int fail(const char *what, imds_result rc)
{
    char message[512];

    imds_last_error_message(message, sizeof message);
    fprintf(stderr, "controller: %s: %s (%s", what, message,
            imds_result_name((int)rc));
    if (imds_last_error_status() != 0) {
        fprintf(stderr, ", HTTP %u", (unsigned)imds_last_error_status());
    }
    fprintf(stderr, ")\n");
    return 1;
}

static void format_time(int64_t seconds, char *buf, size_t len)
{
    time_t t = (time_t)seconds;
    struct tm utc;

    gmtime_r(&t, &utc);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

static int describe_instance(imds_client *client)
{
    imds_identity_document *doc = NULL;
    imds_string *region = NULL;
    imds_result rc;

    rc = imds_client_identity_document(client, NULL, &doc);
    if (rc != IMDS_OK) {
        return fail("identity document", rc);
    }
    rc = imds_client_region(client, NULL, &region);
    if (rc != IMDS_OK) {
        imds_identity_document_free(doc);
        return fail("region", rc);
    }
    printf("instance-id: %s\nregion: %s\n",
           imds_identity_document_instance_id(doc), imds_string_ptr(region));
    imds_string_free(region);
    imds_identity_document_free(doc);
    return 0;
}

static int show_credentials(imds_client *client)
{
    imds_credentials *credentials = NULL;
    imds_result rc;
    char expires[32];

    rc = imds_client_credentials(client, NULL, &credentials);
    if (rc == IMDS_ERR_NOT_FOUND) {
        printf("credentials: none (no IAM role attached)\n");
        return 0;
    }
    if (rc != IMDS_OK) {
        return fail("credentials", rc);
    }
    format_time(imds_credentials_expiration(credentials), expires,
                sizeof expires);
    /* The secret key and session token go to the AWS SDK, never to a log. */
    printf("credentials: role=%s access_key_id=%s secret=<redacted> "
           "expires=%s\n",
           imds_credentials_role(credentials),
           imds_credentials_access_key_id(credentials), expires);
    imds_credentials_free(credentials);
    return 0;
}

static int show_user_data(imds_client *client)
{
    imds_bytes *user_data = NULL;
    imds_result rc;

    rc = imds_client_user_data(client, NULL, &user_data);
    if (rc != IMDS_OK) {
        return fail("user-data", rc);
    }
    /* User-data often holds secrets: only its size is shown. NULL means
     * the instance has none. */
    printf("user-data: %lu bytes\n",
           (unsigned long)(user_data ? imds_bytes_len(user_data) : 0));
    imds_bytes_free(user_data);
    return 0;
}

/* Reads the whole file at `path` into a NUL-terminated buffer the caller
 * frees; NULL when it cannot. */
static char *read_file(const char *path, size_t *len_out)
{
    FILE *file = fopen(path, "rb");
    char *data = NULL;
    size_t len = 0;
    size_t cap = 0;
    size_t got;

    if (file == NULL) {
        return NULL;
    }
    do {
        if (cap - len < 4096) {
            char *grown = realloc(data, cap + 8192);
            if (grown == NULL) {
                free(data);
                fclose(file);
                return NULL;
            }
            data = grown;
            cap += 8192;
        }
        got = fread(data + len, 1, cap - len - 1, file);
        len += got;
    } while (got > 0);
    fclose(file);
    data[len] = '\0';
    *len_out = len;
    return data;
}

static int check_signature(imds_client *client, const char *cert_path)
{
    imds_identity_document *doc = NULL;
    imds_result rc;
    size_t pem_len = 0;
    char *pem;

    if (cert_path == NULL || cert_path[0] == '\0') {
        printf("signature: not checked (no certificate given)\n");
        return 0;
    }
    pem = read_file(cert_path, &pem_len);
    if (pem == NULL) {
        fprintf(stderr, "controller: cannot read the certificate %s\n",
                cert_path);
        return 1;
    }
    rc = imds_client_verified_identity_document(client, pem, pem_len, NULL,
                                                &doc);
    free(pem);
    if (rc != IMDS_OK) {
        return fail("identity document signature", rc);
    }
    imds_identity_document_free(doc);
    printf("signature: verified\n");
    return 0;
}

static int watch_spot(imds_client *client, long poll_seconds, long max_polls)
{
    long poll;

    for (poll = 1; poll <= max_polls; poll++) {
        imds_spot_action *action = NULL;
        /* One poll never blocks longer than the poll interval. */
        imds_call_options options = {NULL, 0};
        imds_result rc;
        char when[32];
        struct timespec pause;

        options.deadline_ms = (uint64_t)poll_seconds * 1000;
        rc = imds_client_spot_instance_action(client, &options, &action);
        if (rc != IMDS_OK) {
            return fail("spot notice", rc);
        }
        if (action != NULL) {
            format_time(imds_spot_action_time(action), when, sizeof when);
            printf("spot: %s at %s\n", imds_spot_action_action(action), when);
            imds_spot_action_free(action);
            return 0;
        }
        fflush(stdout);
        pause.tv_sec = poll_seconds;
        pause.tv_nsec = 0;
        nanosleep(&pause, NULL);
    }
    printf("spot: no notice after %ld polls\n", max_polls);
    return 0;
}

int main(int argc, char **argv)
{
    imds_config *config = NULL;
    imds_client *client = NULL;
    imds_result rc;
    long poll_seconds = 5;
    long max_polls = 12;
    const char *cert_path = getenv("IMDS_EMULATOR_CERT");
    int status;
    int i;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--poll-seconds") == 0) {
            poll_seconds = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--max-polls") == 0) {
            max_polls = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--cert") == 0) {
            cert_path = argv[i + 1];
        }
    }
    if (poll_seconds < 1 || max_polls < 1) {
        fprintf(stderr, "usage: controller [--poll-seconds N] "
                        "[--max-polls N] [--cert FILE]\n");
        return 2;
    }
    if (strcmp(imds_version(), IMDS_VERSION_STRING) != 0) {
        fprintf(stderr, "controller: built with imds.h %s, linked with %s\n",
                IMDS_VERSION_STRING, imds_version());
        return 1;
    }

    rc = imds_config_new(&config);
    if (rc == IMDS_OK) {
        rc = imds_client_new(config, &client);
    }
    imds_config_free(config);
    if (rc != IMDS_OK) {
        return fail("configuration", rc);
    }

    status = describe_instance(client);
    if (status == 0) {
        status = show_credentials(client);
    }
    if (status == 0) {
        status = show_user_data(client);
    }
    if (status == 0) {
        status = watch_spot(client, poll_seconds, max_polls);
    }
    if (status == 0) {
        status = check_signature(client, cert_path);
    }
    imds_client_free(client);
    return status;
}

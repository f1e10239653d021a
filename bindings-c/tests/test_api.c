/*
 * test_api.c: every function of imds.h against the emulator, once at least.
 *
 * The error kinds are in test_errors.c, threads and cancellation in
 * test_threads.c.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static struct emulator emu;

/* A pointer value no call may write: outputs are untouched on failure. */
#define UNTOUCHED ((void *)0x5a5a)

static int streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static void test_version(void)
{
    char expected[32];

    snprintf(expected, sizeof expected, "%d.%d.%d", IMDS_VERSION_MAJOR,
             IMDS_VERSION_MINOR, IMDS_VERSION_PATCH);
    CHECK(streq(IMDS_VERSION_STRING, expected));
    CHECK(streq(imds_version(), IMDS_VERSION_STRING));
    CHECK(IMDS_VERSION_NUMBER
          == IMDS_VERSION_MAJOR * 1000000 + IMDS_VERSION_MINOR * 1000
                 + IMDS_VERSION_PATCH);
    /* The header this test was built with is the one the crate declares. */
    CHECK(IMDS_VERSION_MAJOR == 0 && IMDS_VERSION_MINOR == 1
          && IMDS_VERSION_PATCH == 0);
}

static void test_result_codes(void)
{
    static const struct {
        int code;
        const char *name;
    } codes[] = {
        {IMDS_OK, "ok"},
        {IMDS_ERR_INVALID_INPUT, "invalid_input"},
        {IMDS_ERR_DISABLED, "disabled"},
        {IMDS_ERR_UNREACHABLE, "unreachable"},
        {IMDS_ERR_TIMEOUT, "timeout"},
        {IMDS_ERR_BAD_REQUEST, "bad_request"},
        {IMDS_ERR_UNAUTHORIZED, "unauthorized"},
        {IMDS_ERR_FORBIDDEN, "forbidden"},
        {IMDS_ERR_NOT_FOUND, "not_found"},
        {IMDS_ERR_THROTTLED, "throttled"},
        {IMDS_ERR_SERVER_ERROR, "server_error"},
        {IMDS_ERR_INVALID_RESPONSE, "invalid_response"},
        {IMDS_ERR_RESPONSE_TOO_LARGE, "response_too_large"},
        {IMDS_ERR_CANCELLED, "cancelled"},
        {IMDS_ERR_SIGNATURE_INVALID, "signature_invalid"},
        {IMDS_ERR_CREDENTIALS_ERROR, "credentials_error"},
        {IMDS_ERR_INTERNAL, "internal"},
    };
    size_t i;

    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *message = imds_result_message(codes[i].code);
        CHECK(streq(imds_result_name(codes[i].code), codes[i].name));
        CHECK(message != NULL && strlen(message) > 5);
        CHECK(!streq(message, "unknown result code"));
    }
    /* The published numbers. */
    CHECK(IMDS_ERR_INVALID_INPUT == 1 && IMDS_ERR_CREDENTIALS_ERROR == 15);
    CHECK(IMDS_ERR_INTERNAL == 99);
    CHECK(streq(imds_result_message(IMDS_ERR_CANCELLED),
                "the call was cancelled"));
    CHECK(streq(imds_result_name(16), "unknown"));
    CHECK(streq(imds_result_name(-1), "unknown"));
    CHECK(streq(imds_result_message(1000), "unknown result code"));
}

static void test_last_error(void)
{
    imds_client *client = emulator_client(&emu);
    imds_string *value = UNTOUCHED;
    char small[8];
    char big[512];
    size_t full;

    CHECK_RC(imds_client_get_metadata(client, S("no-such-item"), NULL,
                                      &value),
             IMDS_ERR_NOT_FOUND);
    CHECK(value == UNTOUCHED);
    CHECK(imds_last_error_code() == IMDS_ERR_NOT_FOUND);
    CHECK(imds_last_error_status() == 404);
    full = imds_last_error_message(NULL, 0);
    CHECK(full > 10);
    CHECK(imds_last_error_message(small, sizeof small) == full);
    CHECK(strlen(small) == sizeof small - 1);
    CHECK(imds_last_error_message(big, sizeof big) == full);
    CHECK(strlen(big) == full && strstr(big, "404") != NULL);

    /* A success clears the detail. */
    CHECK_OK(imds_client_get_metadata(client, S("instance-id"), NULL,
                                      &value));
    imds_string_free(value);
    CHECK(imds_last_error_code() == IMDS_OK);
    CHECK(imds_last_error_status() == 0);
    CHECK(imds_last_error_message(big, sizeof big) == 0 && big[0] == '\0');
    imds_client_free(client);
}

struct audit_log {
    int events;
    int tokens;
    int failures;
    int saw_path;
    int bad_event;
};

static void on_audit(const imds_audit_event *event, void *user_data)
{
    struct audit_log *log = user_data;

    log->events++;
    if (event->operation == NULL || event->path == NULL
        || strlen(event->operation) != event->operation_len
        || strlen(event->path) != event->path_len) {
        log->bad_event = 1;
        return;
    }
    if (streq(event->operation, "token")) {
        log->tokens++;
    }
    if (event->outcome != IMDS_OK) {
        log->failures++;
        if (event->status != 404) {
            log->bad_event = 1;
        }
    }
    if (streq(event->path, "instance-type")) {
        log->saw_path = 1;
        if (event->attempts < 1 || event->status != 200) {
            log->bad_event = 1;
        }
    }
}

static void test_config(void)
{
    imds_config *config = NULL;
    imds_client *client = UNTOUCHED;
    imds_string *value = NULL;
    struct audit_log log = {0, 0, 0, 0, 0};

    imds_config_free(NULL);
    CHECK_RC(imds_config_new(NULL), IMDS_ERR_INVALID_INPUT);

    /* Every setter, with values the core accepts. */
    config = emulator_config(&emu);
    CHECK_OK(imds_config_set_endpoint_mode(config, S("IPv4")));
    CHECK_OK(imds_config_set_disabled(config, false));
    CHECK_OK(imds_config_set_v1_disabled(config, true));
    CHECK_OK(imds_config_set_v1_fallback(config, false));
    CHECK_OK(imds_config_set_token_ttl_secs(config, 60));
    CHECK_OK(imds_config_set_timeout_ms(config, 1500));
    CHECK_OK(imds_config_set_connect_timeout_ms(config, 500));
    CHECK_OK(imds_config_set_max_attempts(config, 2));
    CHECK_OK(imds_config_set_deadline_ms(config, 10000));
    CHECK_OK(imds_config_set_backoff_ms(config, 10, 50));
    CHECK_OK(imds_config_set_unreachable_memory_ms(config, 0));
    CHECK_OK(imds_config_set_max_response_size(config, 65536));
    CHECK_OK(imds_config_set_cache_immutable(config, false));
    CHECK_OK(imds_config_set_profile(config, S("default")));
    CHECK_OK(imds_config_set_audit_callback(config, on_audit, &log));
    CHECK_OK(imds_client_new(config, &client));
    /* A config builds any number of clients and may be freed first. */
    imds_config_free(config);
    CHECK_OK(imds_client_get_metadata(client, S("instance-type"), NULL,
                                      &value));
    CHECK(streq(imds_string_ptr(value), "m5.large"));
    imds_string_free(value);
    value = UNTOUCHED;
    CHECK_RC(imds_client_get_metadata(client, S("nope"), NULL, &value),
             IMDS_ERR_NOT_FOUND);
    CHECK(value == UNTOUCHED);
    imds_client_free(client);
    CHECK(log.tokens == 1);
    CHECK(log.saw_path);
    CHECK(log.failures == 1);
    CHECK(log.events == 3);
    CHECK(!log.bad_event);

    /* Removing the callback: events stop. */
    config = emulator_config(&emu);
    CHECK_OK(imds_config_set_audit_callback(config, on_audit, &log));
    CHECK_OK(imds_config_set_audit_callback(config, NULL, NULL));
    CHECK_OK(imds_client_new(config, &client));
    CHECK_OK(imds_client_instance_id(client, NULL, &value));
    imds_string_free(value);
    imds_client_free(client);
    imds_config_free(config);
    CHECK(log.events == 3);

    /* The endpoint from the (private) environment, not from code. */
    CHECK_OK(imds_config_new(&config));
    CHECK_OK(imds_config_set_environment_var(
        config, S("AWS_EC2_METADATA_SERVICE_ENDPOINT"), emu.endpoint,
        strlen(emu.endpoint)));
    CHECK_OK(imds_config_set_config_file(config, S("/nonexistent")));
    CHECK_OK(imds_client_new(config, &client));
    CHECK_OK(imds_client_instance_id(client, NULL, &value));
    CHECK(value != NULL && strncmp(imds_string_ptr(value), "i-", 2) == 0);
    imds_string_free(value);
    imds_client_free(client);
    /* AWS_EC2_METADATA_DISABLED from that environment wins over nothing. */
    CHECK_OK(imds_config_set_environment_var(
        config, S("AWS_EC2_METADATA_DISABLED"), S("true")));
    CHECK_OK(imds_client_new(config, &client));
    CHECK_RC(imds_client_instance_id(client, NULL, &value),
             IMDS_ERR_DISABLED);
    imds_client_free(client);
    imds_config_free(config);

    /* Bad values fail when the client is built, naming the setting. */
    client = UNTOUCHED;
    config = emulator_config(&emu);
    CHECK_OK(imds_config_set_token_ttl_secs(config, 0));
    CHECK_RC(imds_client_new(config, &client), IMDS_ERR_INVALID_INPUT);
    CHECK(client == UNTOUCHED);
    imds_config_free(config);
    config = emulator_config(&emu);
    CHECK_OK(imds_config_set_token_ttl_secs(config, 21601));
    CHECK_RC(imds_client_new(config, &client), IMDS_ERR_INVALID_INPUT);
    imds_config_free(config);
    config = emulator_config(&emu);
    CHECK_OK(imds_config_set_endpoint_mode(config, S("IPv5")));
    CHECK_RC(imds_client_new(config, &client), IMDS_ERR_INVALID_INPUT);
    imds_config_free(config);
    config = emulator_config(&emu);
    CHECK_OK(imds_config_set_endpoint(config, S("ftp://example")));
    CHECK_RC(imds_client_new(config, &client), IMDS_ERR_INVALID_INPUT);
    CHECK(strstr(harness_last_error(), "endpoint") != NULL);
    imds_config_free(config);
    config = emulator_config(&emu);
    CHECK_OK(imds_config_set_max_attempts(config, 0));
    CHECK_RC(imds_client_new(config, &client), IMDS_ERR_INVALID_INPUT);
    imds_config_free(config);
    config = emulator_config(&emu);
    CHECK_OK(imds_config_set_backoff_ms(config, 100, 10));
    CHECK_RC(imds_client_new(config, &client), IMDS_ERR_INVALID_INPUT);
    imds_config_free(config);
    config = emulator_config(&emu);
    CHECK_OK(imds_config_set_max_response_size(config, 0));
    CHECK_RC(imds_client_new(config, &client), IMDS_ERR_INVALID_INPUT);
    imds_config_free(config);
    CHECK(client == UNTOUCHED);

    /* NULL, invalid UTF-8 and embedded NUL in setters. */
    config = emulator_config(&emu);
    CHECK_RC(imds_config_set_endpoint(NULL, S("http://x")),
             IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_config_set_endpoint(config, NULL, 3),
             IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_config_set_profile(config, "\xff\xfe", 2),
             IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_config_set_profile(config, "a\0b", 3),
             IMDS_ERR_INVALID_INPUT);
    CHECK(strstr(harness_last_error(), "NUL") != NULL);
    CHECK_RC(imds_config_set_environment_var(config, NULL, 0, S("x")),
             IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_config_set_disabled(NULL, true), IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_config_set_backoff_ms(NULL, 1, 2),
             IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_config_clear_environment(NULL), IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_config_set_audit_callback(NULL, on_audit, NULL),
             IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_client_new(NULL, &client), IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_client_new(config, NULL), IMDS_ERR_INVALID_INPUT);
    imds_config_free(config);
}

static void test_text_calls(imds_client *client)
{
    imds_string *value = NULL;
    imds_bytes *bytes = NULL;
    imds_string_list *list = NULL;
    size_t i;
    int saw_directory = 0;

    CHECK_OK(imds_client_get_metadata(client, S("/instance-id"), NULL,
                                      &value));
    CHECK(value != NULL && strncmp(imds_string_ptr(value), "i-", 2) == 0);
    CHECK(imds_string_len(value) == strlen(imds_string_ptr(value)));
    imds_string_free(value);

    CHECK_OK(imds_client_get_metadata_bytes(client, S("ami-id"), NULL,
                                            &bytes));
    CHECK(imds_bytes_len(bytes) == strlen("ami-0abcdef1234567890"));
    CHECK(memcmp(imds_bytes_data(bytes), "ami-", 4) == 0);
    imds_bytes_free(bytes);

    CHECK_OK(imds_client_list_metadata(client, S(""), NULL, &list));
    CHECK(imds_string_list_len(list) > 10);
    for (i = 0; i < imds_string_list_len(list); i++) {
        const char *entry = imds_string_list_get(list, i);
        CHECK(entry != NULL && entry[0] != '\0');
        if (streq(entry, "placement/")) {
            saw_directory = 1;
        }
    }
    CHECK(saw_directory);
    CHECK(imds_string_list_get(list, imds_string_list_len(list)) == NULL);
    imds_string_list_free(list);

    CHECK_OK(imds_client_get_dynamic(client, S("instance-identity/document"),
                                     NULL, &value));
    CHECK(strstr(imds_string_ptr(value), "\"region\"") != NULL);
    imds_string_free(value);

    CHECK_OK(imds_client_region(client, NULL, &value));
    CHECK(streq(imds_string_ptr(value), "us-east-1"));
    imds_string_free(value);
    CHECK_OK(imds_client_availability_zone(client, NULL, &value));
    CHECK(streq(imds_string_ptr(value), "us-east-1a"));
    imds_string_free(value);
    CHECK_OK(imds_client_instance_id(client, NULL, &value));
    CHECK(strncmp(imds_string_ptr(value), "i-", 2) == 0);
    imds_string_free(value);

    /* NULL-safe accessors and frees. */
    CHECK(imds_string_ptr(NULL) == NULL && imds_string_len(NULL) == 0);
    CHECK(imds_bytes_data(NULL) == NULL && imds_bytes_len(NULL) == 0);
    CHECK(imds_string_list_len(NULL) == 0);
    CHECK(imds_string_list_get(NULL, 0) == NULL);
    imds_string_free(NULL);
    imds_bytes_free(NULL);
    imds_string_list_free(NULL);
}

static void test_user_data(imds_client *client)
{
    static const char data[] = "#!/bin/sh\necho \"secret=1\"\n";
    imds_bytes *bytes = UNTOUCHED;

    ADMIN(&emu, "PUT", "/user-data", data);
    CHECK_OK(imds_client_user_data(client, NULL, &bytes));
    CHECK(bytes != NULL && imds_bytes_len(bytes) == strlen(data));
    CHECK(bytes != NULL
          && memcmp(imds_bytes_data(bytes), data, strlen(data)) == 0);
    imds_bytes_free(bytes);

    ADMIN(&emu, "DELETE", "/user-data", NULL);
    bytes = UNTOUCHED;
    CHECK_OK(imds_client_user_data(client, NULL, &bytes));
    CHECK(bytes == NULL);
}

static void check_document(const imds_identity_document *doc)
{
    int64_t seconds = 0;

    CHECK(doc != NULL);
    CHECK(streq(imds_identity_document_account_id(doc), "123456789012"));
    CHECK(streq(imds_identity_document_region(doc), "us-east-1"));
    CHECK(streq(imds_identity_document_availability_zone(doc),
                "us-east-1a"));
    CHECK(streq(imds_identity_document_instance_type(doc), "m5.large"));
    CHECK(strncmp(imds_identity_document_instance_id(doc), "i-", 2) == 0);
    CHECK(strncmp(imds_identity_document_image_id(doc), "ami-", 4) == 0);
    CHECK(streq(imds_identity_document_architecture(doc), "x86_64"));
    CHECK(imds_identity_document_kernel_id(doc) == NULL);
    CHECK(imds_identity_document_ramdisk_id(doc) == NULL);
    CHECK(imds_identity_document_pending_time(doc) != NULL);
    CHECK(imds_identity_document_private_ip(doc) != NULL);
    CHECK(streq(imds_identity_document_version(doc), "2017-09-30"));
    CHECK(imds_identity_document_billing_products(doc) == NULL);
    CHECK(imds_identity_document_devpay_product_codes(doc) == NULL);
    CHECK(imds_identity_document_marketplace_product_codes(doc) == NULL);
    (void)seconds;
}

static void test_identity(imds_client *client)
{
    imds_identity_document *doc = NULL;
    imds_bytes *bytes = NULL;
    char certificate[8192];
    int status;

    CHECK_OK(imds_client_identity_document(client, NULL, &doc));
    check_document(doc);
    imds_identity_document_free(doc);

    CHECK_OK(imds_client_identity_document_bytes(client, NULL, &bytes));
    CHECK(imds_bytes_len(bytes) > 100
          && imds_bytes_data(bytes)[0] == '{');
    imds_bytes_free(bytes);

    status = emulator_admin(&emu, "GET", "/certificate", NULL, certificate,
                            sizeof certificate);
    CHECK(status == 200);
    CHECK(strstr(certificate, "BEGIN CERTIFICATE") != NULL);
    doc = NULL;
    CHECK_OK(imds_client_verified_identity_document(
        client, certificate, strlen(certificate), NULL, &doc));
    check_document(doc);
    imds_identity_document_free(doc);
    doc = NULL;
    CHECK_OK(imds_client_verified_identity_document_pkcs7(
        client, certificate, strlen(certificate), NULL, &doc));
    check_document(doc);
    imds_identity_document_free(doc);

    CHECK(imds_identity_document_region(NULL) == NULL);
    CHECK(imds_identity_document_account_id(NULL) == NULL);
    CHECK(imds_identity_document_architecture(NULL) == NULL);
    CHECK(imds_identity_document_billing_products(NULL) == NULL);
    imds_identity_document_free(NULL);
}

static void test_iam(imds_client *client)
{
    imds_iam_info *info = NULL;
    imds_credentials *credentials = NULL;
    imds_credentials *again = NULL;
    imds_string *role = NULL;
    int64_t updated = 0;
    int64_t now = (int64_t)time(NULL);

    CHECK_OK(imds_client_role_name(client, NULL, &role));
    CHECK(role != NULL && imds_string_len(role) > 0);

    CHECK_OK(imds_client_iam_info(client, NULL, &info));
    CHECK(streq(imds_iam_info_code(info), "Success"));
    CHECK(strstr(imds_iam_info_instance_profile_arn(info),
                 ":instance-profile/")
          != NULL);
    CHECK(imds_iam_info_instance_profile_id(info) != NULL);
    CHECK(imds_iam_info_last_updated(info) != NULL);
    imds_iam_info_free(info);
    CHECK(imds_iam_info_code(NULL) == NULL);
    CHECK(imds_iam_info_last_updated(NULL) == NULL);
    imds_iam_info_free(NULL);

    CHECK_OK(imds_client_credentials(client, NULL, &credentials));
    CHECK(streq(imds_credentials_role(credentials), imds_string_ptr(role)));
    CHECK(strncmp(imds_credentials_access_key_id(credentials), "ASIA", 4)
          == 0);
    CHECK(strlen(imds_credentials_secret_access_key(credentials)) > 10);
    CHECK(strlen(imds_credentials_session_token(credentials)) > 10);
    CHECK(imds_credentials_expiration(credentials) > now);
    CHECK(imds_credentials_last_updated(credentials, &updated));
    CHECK(updated > 0 && updated <= now + 60);
    CHECK(imds_credentials_last_updated(credentials, NULL));

    CHECK_OK(imds_client_credentials_for_role(
        client, imds_string_ptr(role), imds_string_len(role), NULL, &again));
    CHECK(streq(imds_credentials_access_key_id(again),
                imds_credentials_access_key_id(credentials)));
    imds_credentials_free(again);
    imds_credentials_free(credentials);
    imds_string_free(role);

    CHECK(imds_credentials_role(NULL) == NULL);
    CHECK(imds_credentials_secret_access_key(NULL) == NULL);
    CHECK(imds_credentials_expiration(NULL) == 0);
    CHECK(!imds_credentials_last_updated(NULL, &updated));
    imds_credentials_free(NULL);

    again = UNTOUCHED;
    CHECK_RC(imds_client_credentials_for_role(client, S("a/b"), NULL,
                                              &again),
             IMDS_ERR_INVALID_INPUT);
    CHECK(again == UNTOUCHED);
}

static void test_tags(imds_client *client)
{
    imds_string_map *tags = UNTOUCHED;

    ADMIN(&emu, "PUT", "/tags", "{\"enabled\":false}");
    CHECK_RC(imds_client_instance_tags(client, NULL, &tags),
             IMDS_ERR_NOT_FOUND);
    CHECK(strstr(harness_last_error(), "instance-metadata-tags") != NULL);
    CHECK(tags == UNTOUCHED);

    ADMIN(&emu, "PUT", "/tags",
          "{\"enabled\":true,\"tags\":{\"Name\":\"web-1\",\"Env\":\"prod\"}}");
    CHECK_OK(imds_client_instance_tags(client, NULL, &tags));
    CHECK(imds_string_map_len(tags) == 2);
    CHECK(streq(imds_string_map_key(tags, 0), "Env"));
    CHECK(streq(imds_string_map_value(tags, 0), "prod"));
    CHECK(streq(imds_string_map_key(tags, 1), "Name"));
    CHECK(streq(imds_string_map_value(tags, 1), "web-1"));
    CHECK(imds_string_map_key(tags, 2) == NULL);
    CHECK(imds_string_map_value(tags, 2) == NULL);
    CHECK(streq(imds_string_map_get(tags, S("Name")), "web-1"));
    CHECK(imds_string_map_get(tags, S("Missing")) == NULL);
    CHECK(imds_string_map_get(tags, NULL, 0) == NULL);
    imds_string_map_free(tags);
    CHECK(imds_string_map_len(NULL) == 0);
    CHECK(imds_string_map_get(NULL, S("Name")) == NULL);
    imds_string_map_free(NULL);
}

static void test_network(imds_client *client)
{
    imds_network_interface_list *list = NULL;
    const imds_network_interface *primary;
    uint32_t number = 99;

    CHECK_OK(imds_client_network_interfaces(client, NULL, &list));
    CHECK(imds_network_interface_list_len(list) >= 1);
    primary = imds_network_interface_list_get(list, 0);
    CHECK(primary != NULL);
    CHECK(imds_network_interface_list_get(
              list, imds_network_interface_list_len(list))
          == NULL);
    CHECK(imds_network_interface_mac(primary) != NULL);
    CHECK(imds_network_interface_device_number(primary, &number));
    CHECK(number == 0);
    CHECK(imds_network_interface_device_number(primary, NULL));
    CHECK(strncmp(imds_network_interface_interface_id(primary), "eni-", 4)
          == 0);
    CHECK(strncmp(imds_network_interface_subnet_id(primary), "subnet-", 7)
          == 0);
    CHECK(imds_network_interface_subnet_ipv4_cidr_block(primary) != NULL);
    CHECK(strncmp(imds_network_interface_vpc_id(primary), "vpc-", 4) == 0);
    CHECK(streq(imds_network_interface_owner_id(primary), "123456789012"));
    CHECK(imds_string_list_len(imds_network_interface_local_ipv4s(primary))
          >= 1);
    CHECK(imds_network_interface_public_ipv4s(primary) != NULL);
    CHECK(imds_network_interface_ipv6s(primary) != NULL);
    CHECK(imds_string_list_len(
              imds_network_interface_vpc_ipv4_cidr_blocks(primary))
          >= 1);
    CHECK(imds_string_list_len(
              imds_network_interface_security_group_ids(primary))
          >= 1);
    imds_network_interface_list_free(list);

    CHECK(imds_network_interface_list_len(NULL) == 0);
    CHECK(imds_network_interface_list_get(NULL, 0) == NULL);
    CHECK(imds_network_interface_mac(NULL) == NULL);
    CHECK(imds_network_interface_vpc_id(NULL) == NULL);
    CHECK(imds_network_interface_local_ipv4s(NULL) == NULL);
    CHECK(!imds_network_interface_device_number(NULL, &number));
    imds_network_interface_list_free(NULL);
}

static void test_notices(imds_client *client)
{
    imds_spot_action *spot = UNTOUCHED;
    imds_rebalance_recommendation *rebalance = UNTOUCHED;
    imds_scheduled_event_list *events = NULL;
    const imds_scheduled_event *event;
    imds_string *state = UNTOUCHED;
    int64_t now = (int64_t)time(NULL);
    int64_t after = 0;

    ADMIN(&emu, "DELETE", "/events", NULL);
    CHECK_OK(imds_client_spot_instance_action(client, NULL, &spot));
    CHECK(spot == NULL);
    CHECK_OK(imds_client_rebalance_recommendation(client, NULL, &rebalance));
    CHECK(rebalance == NULL);
    CHECK_OK(imds_client_scheduled_events(client, NULL, &events));
    CHECK(imds_scheduled_event_list_len(events) == 0);
    imds_scheduled_event_list_free(events);
    CHECK_OK(imds_client_autoscaling_target_state(client, NULL, &state));
    CHECK(state == NULL);

    ADMIN(&emu, "POST", "/events/spot",
          "{\"action\":\"terminate\",\"in_seconds\":0}");
    ADMIN(&emu, "POST", "/events/rebalance", "{\"in_seconds\":0}");
    ADMIN(&emu, "POST", "/events/maintenance",
          "{\"code\":\"system-reboot\",\"description\":\"scheduled reboot\","
          "\"in_seconds\":0}");
    ADMIN(&emu, "PUT", "/autoscaling", "{\"state\":\"InService\"}");

    CHECK_OK(imds_client_spot_instance_action(client, NULL, &spot));
    CHECK(streq(imds_spot_action_action(spot), "terminate"));
    CHECK(imds_spot_action_time(spot) >= now - 5);
    CHECK(imds_spot_action_time(spot) <= now + 300);
    imds_spot_action_free(spot);

    CHECK_OK(imds_client_rebalance_recommendation(client, NULL, &rebalance));
    CHECK(rebalance != NULL);
    CHECK(imds_rebalance_recommendation_notice_time(rebalance) >= now - 5);
    imds_rebalance_recommendation_free(rebalance);

    CHECK_OK(imds_client_scheduled_events(client, NULL, &events));
    CHECK(imds_scheduled_event_list_len(events) == 1);
    event = imds_scheduled_event_list_get(events, 0);
    CHECK(streq(imds_scheduled_event_code(event), "system-reboot"));
    CHECK(streq(imds_scheduled_event_description(event),
                "scheduled reboot"));
    CHECK(strncmp(imds_scheduled_event_event_id(event), "instance-event-",
                  15)
          == 0);
    CHECK(streq(imds_scheduled_event_state(event), "active"));
    CHECK(imds_scheduled_event_not_before(event) > now);
    CHECK(imds_scheduled_event_not_after(event, &after));
    CHECK(after > imds_scheduled_event_not_before(event));
    CHECK(imds_scheduled_event_not_after(event, NULL));
    CHECK(imds_scheduled_event_list_get(events, 1) == NULL);
    imds_scheduled_event_list_free(events);

    CHECK_OK(imds_client_autoscaling_target_state(client, NULL, &state));
    CHECK(streq(imds_string_ptr(state), "InService"));
    imds_string_free(state);

    ADMIN(&emu, "DELETE", "/events", NULL);
    ADMIN(&emu, "PUT", "/autoscaling", "{\"state\":null}");

    CHECK(imds_spot_action_action(NULL) == NULL);
    CHECK(imds_spot_action_time(NULL) == 0);
    CHECK(imds_rebalance_recommendation_notice_time(NULL) == 0);
    CHECK(imds_scheduled_event_list_len(NULL) == 0);
    CHECK(imds_scheduled_event_list_get(NULL, 0) == NULL);
    CHECK(imds_scheduled_event_code(NULL) == NULL);
    CHECK(imds_scheduled_event_not_before(NULL) == 0);
    CHECK(!imds_scheduled_event_not_after(NULL, &after));
    imds_spot_action_free(NULL);
    imds_rebalance_recommendation_free(NULL);
    imds_scheduled_event_list_free(NULL);
}

static void test_invalid_arguments(imds_client *client)
{
    imds_string *value = UNTOUCHED;
    imds_identity_document *doc = UNTOUCHED;

    CHECK_RC(imds_client_get_metadata(NULL, S("instance-id"), NULL, &value),
             IMDS_ERR_INVALID_INPUT);
    CHECK(strstr(harness_last_error(), "client") != NULL);
    CHECK_RC(imds_client_get_metadata(client, NULL, 0, NULL, &value),
             IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_client_get_metadata(client, S("instance-id"), NULL, NULL),
             IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_client_get_metadata(client, "inst\xc3(", 6, NULL, &value),
             IMDS_ERR_INVALID_INPUT);
    CHECK(strstr(harness_last_error(), "UTF-8") != NULL);
    CHECK_RC(imds_client_get_metadata(client, "instance-id\0x", 13, NULL,
                                      &value),
             IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_client_get_metadata(client, S("../etc/passwd"), NULL,
                                      &value),
             IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_client_get_dynamic(client, S("a b"), NULL, &value),
             IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_client_region(NULL, NULL, &value), IMDS_ERR_INVALID_INPUT);
    CHECK_RC(imds_client_verified_identity_document(client, NULL, 5, NULL,
                                                    &doc),
             IMDS_ERR_INVALID_INPUT);
    CHECK(value == UNTOUCHED && doc == UNTOUCHED);
    CHECK_RC(imds_client_clear_caches(NULL), IMDS_ERR_INVALID_INPUT);
    CHECK_OK(imds_client_clear_caches(client));
    imds_client_free(NULL);
}

static void test_cancel_and_deadline(imds_client *client)
{
    imds_cancel *cancel = NULL;
    imds_call_options options = {NULL, 0};
    imds_string *value = UNTOUCHED;

    CHECK_RC(imds_cancel_new(NULL), IMDS_ERR_INVALID_INPUT);
    CHECK_OK(imds_cancel_new(&cancel));
    CHECK(!imds_cancel_is_cancelled(cancel));
    options.cancel = cancel;
    CHECK_OK(imds_client_get_metadata(client, S("instance-id"), &options,
                                      &value));
    imds_string_free(value);
    value = UNTOUCHED;
    CHECK_OK(imds_cancel_cancel(cancel));
    CHECK_OK(imds_cancel_cancel(cancel));
    CHECK(imds_cancel_is_cancelled(cancel));
    CHECK_RC(imds_client_get_metadata(client, S("instance-id"), &options,
                                      &value),
             IMDS_ERR_CANCELLED);
    CHECK(value == UNTOUCHED);
    imds_cancel_free(cancel);
    imds_cancel_free(NULL);
    CHECK(!imds_cancel_is_cancelled(NULL));
    CHECK_RC(imds_cancel_cancel(NULL), IMDS_ERR_INVALID_INPUT);

    /* A deadline shorter than the emulator's latency. */
    ADMIN(&emu, "PUT", "/faults", "{\"latency_ms\":1500}");
    options.cancel = NULL;
    options.deadline_ms = 100;
    CHECK_OK(imds_client_clear_caches(client));
    CHECK_RC(imds_client_get_metadata(client, S("instance-id"), &options,
                                      &value),
             IMDS_ERR_TIMEOUT);
    CHECK(strstr(harness_last_error(), "deadline") != NULL);
    CHECK(value == UNTOUCHED);
    ADMIN(&emu, "DELETE", "/faults", NULL);
}

int main(void)
{
    imds_client *client;

    emulator_start(&emu);
    test_version();
    test_result_codes();
    test_last_error();
    test_config();
    client = emulator_client(&emu);
    test_text_calls(client);
    test_user_data(client);
    test_identity(client);
    test_iam(client);
    test_tags(client);
    test_network(client);
    test_notices(client);
    test_invalid_arguments(client);
    test_cancel_and_deadline(client);
    imds_client_free(client);
    emulator_stop(&emu);
    return harness_finish("test_api");
}

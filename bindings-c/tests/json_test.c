/*
 * json_test.c: checks of the conformance runner's JSON reader (json.c), so
 * that a scenario is never misread: what RFC 8259 accepts parses to the
 * right values, what it refuses is refused with a reason, and values compare
 * and render as plain data.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static int passed;
static int failed;

static void check(int ok, int line, const char *what)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    fprintf(stderr, "FAIL json_test.c:%d: %s\n", line, what);
}

#define CHECK(cond) check((cond) ? 1 : 0, __LINE__, #cond)

static struct json *parse(const char *text)
{
    char error[160];

    return json_parse(text, strlen(text), error, sizeof error);
}

/* The text renders back exactly as `expected`. */
static int renders_as(const char *text, const char *expected)
{
    struct json *value = parse(text);
    char *rendered = json_render(value);
    int same = rendered != NULL && strcmp(rendered, expected) == 0;

    if (!same) {
        fprintf(stderr, "  %s rendered as %s, not %s\n", text,
                rendered == NULL ? "(nothing)" : rendered, expected);
    }
    free(rendered);
    json_free(value);
    return same;
}

/* The text is refused, with a reason that contains `reason`. */
static int refused(const char *text, const char *reason)
{
    char error[160] = "";
    struct json *value = json_parse(text, strlen(text), error, sizeof error);
    int ok = value == NULL && strstr(error, reason) != NULL;

    if (!ok) {
        fprintf(stderr, "  %s: got \"%s\", wanted a refusal naming \"%s\"\n",
                text, error, reason);
    }
    json_free(value);
    return ok;
}

static int equal_texts(const char *a, const char *b)
{
    struct json *x = parse(a);
    struct json *y = parse(b);
    int equal = x != NULL && y != NULL && json_equal(x, y);

    json_free(x);
    json_free(y);
    return equal;
}

static void scalars_parse_to_their_values(void)
{
    struct json *v = parse(" [true, false, null, -0.5e2, 0, 12, \"x\"] ");

    CHECK(v != NULL && v->type == JSON_ARRAY && v->count == 7);
    if (v == NULL || v->count != 7) {
        json_free(v);
        return;
    }
    CHECK(v->items[0]->type == JSON_BOOL && v->items[0]->boolean == 1);
    CHECK(v->items[1]->type == JSON_BOOL && v->items[1]->boolean == 0);
    CHECK(v->items[2]->type == JSON_NULL);
    CHECK(v->items[3]->type == JSON_NUMBER && v->items[3]->number == -50);
    CHECK(v->items[5]->number == 12);
    CHECK(v->items[6]->type == JSON_STRING && v->items[6]->length == 1);
    json_free(v);
}

static void escapes_decode_to_utf8(void)
{
    static const char text[] =
        "\"a\\n\\t\\\"\\\\\\/\\u00e9\\u20ac\\ud83d\\ude00\"";
    static const char decoded[] =
        "a\n\t\"\\/\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
    struct json *v = parse(text);

    CHECK(v != NULL && v->type == JSON_STRING);
    CHECK(v != NULL && strcmp(v->string, decoded) == 0);
    json_free(v);
}

static void objects_keep_members_in_order(void)
{
    struct json *v = parse("{\"b\": 1, \"a\": {\"c\": [2]}}");
    const struct json *inner = json_get(v, "a");

    CHECK(v != NULL && v->count == 2 && strcmp(v->keys[0], "b") == 0);
    CHECK(inner != NULL && json_get(inner, "c") != NULL);
    CHECK(json_get(v, "missing") == NULL);
    CHECK(json_get(json_get(v, "b"), "b") == NULL);
    json_free(v);
}

static void malformed_text_is_refused_with_a_reason(void)
{
    CHECK(refused("", "end of input"));
    CHECK(refused("[1, 2", "expected ','"));
    CHECK(refused("[1,]", "unexpected character"));
    CHECK(refused("{\"a\" 1}", "expected ':'"));
    CHECK(refused("{\"a\": 1, \"a\": 2}", "duplicate member"));
    CHECK(refused("{1: 2}", "member name"));
    CHECK(refused("01", "trailing"));
    CHECK(refused("1.", "bad number"));
    CHECK(refused("-", "bad number"));
    CHECK(refused("1e", "bad number"));
    CHECK(refused("tru", "unexpected character"));
    CHECK(refused("\"abc", "unterminated"));
    CHECK(refused("\"a\nb\"", "control character"));
    CHECK(refused("\"\\x\"", "bad escape"));
    CHECK(refused("\"\\u12\"", "escape"));
    CHECK(refused("\"\\ud800\"", "lone surrogate"));
    CHECK(refused("\"\\udc00\"", "lone surrogate"));
    CHECK(refused("\"\\u0000\"", "NUL"));
    CHECK(refused("{} {}", "trailing"));
}

static void deep_nesting_is_refused_not_a_crash(void)
{
    char text[2 * 1000 + 1];

    memset(text, '[', 1000);
    memset(text + 1000, ']', 1000);
    text[2000] = '\0';
    CHECK(refused(text, "nested too deeply"));
    CHECK(renders_as("[[[[[[[[[[1]]]]]]]]]]", "[[[[[[[[[[1]]]]]]]]]]"));
}

static void values_compare_as_plain_data(void)
{
    CHECK(equal_texts("{\"a\": 1, \"b\": [true, null]}",
                      "{\"b\": [true, null], \"a\": 1.0}"));
    CHECK(!equal_texts("{\"a\": 1}", "{\"a\": 1, \"b\": 2}"));
    CHECK(!equal_texts("{\"a\": 1, \"c\": 2}", "{\"a\": 1, \"b\": 2}"));
    CHECK(!equal_texts("[1, 2]", "[2, 1]"));
    CHECK(!equal_texts("\"1\"", "1"));
    CHECK(!equal_texts("null", "false"));
    CHECK(equal_texts("\"\\u00e9\"", "\"\xC3\xA9\""));
}

static void values_render_as_compact_json(void)
{
    CHECK(renders_as("{ \"n\" : 4 , \"f\": 0.25, \"s\": \"a\\\"\\u0001\" }",
                     "{\"n\":4,\"f\":0.25,\"s\":\"a\\\"\\u0001\"}"));
    CHECK(renders_as("[ ]", "[]"));
    CHECK(renders_as("{}", "{}"));
    CHECK(renders_as("-3e2", "-300"));
}

static void built_values_copy_and_replace(void)
{
    struct json *object = json_object();
    struct json *list = json_array();
    struct json *copy;

    CHECK(json_set(object, "k", json_string("one", 3)) == 0);
    CHECK(json_set(object, "k", json_bool(1)) == 0);
    CHECK(object != NULL && object->count == 1);
    CHECK(json_append(list, json_null()) == 0);
    CHECK(json_set(object, "list", list) == 0);
    CHECK(json_set(object, "n", json_number(7)) == 0);
    CHECK(json_append(object, json_null()) == -1); /* not an array */
    copy = json_copy(object);
    CHECK(copy != NULL && json_equal(copy, object));
    json_free(copy);
    json_free(object);
}

static void built_numbers_equal_parsed_ones(void)
{
    char error[128];
    struct json *parsed = json_parse("[0, 2.5]", 8, error, sizeof error);
    struct json *built = json_array();
    char *text;

    CHECK(json_append(built, json_number(0)) == 0);
    CHECK(json_append(built, json_number(2.5)) == 0);
    CHECK(parsed != NULL && json_equal(parsed, built));
    text = json_render(built);
    CHECK(text != NULL && strcmp(text, "[0,2.5]") == 0);
    free(text);
    json_free(parsed);
    json_free(built);
}

int main(void)
{
    scalars_parse_to_their_values();
    escapes_decode_to_utf8();
    objects_keep_members_in_order();
    malformed_text_is_refused_with_a_reason();
    deep_nesting_is_refused_not_a_crash();
    values_compare_as_plain_data();
    values_render_as_compact_json();
    built_values_copy_and_replace();
    built_numbers_equal_parsed_ones();
    printf("json_test: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

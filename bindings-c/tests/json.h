/*
 * json.h: a small JSON reader and writer for the conformance runner, in C99.
 *
 * It parses RFC 8259 text into a tree of values, compares values as plain
 * data (objects by key, regardless of order), and renders them back as
 * compact JSON. Strings are UTF-8 and may not contain NUL, since every
 * string here ends up as a C string (an environment variable, a path, a
 * setting).
 */
#ifndef IMDS_TEST_JSON_H
#define IMDS_TEST_JSON_H

#include <stddef.h>

enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
};

/* One value. Arrays keep their items in `items`; objects keep members in
 * `items` with their names in `keys`, in document order. */
struct json {
    enum json_type type;
    int boolean;
    double number;
    char *string;
    size_t length;
    size_t count;
    size_t capacity;
    struct json **items;
    char **keys;
};

/* Parses `text` (exactly `length` bytes, one value and nothing else but
 * white space). Returns NULL on bad input or exhausted memory, with a reason
 * naming the byte offset in `error`. */
struct json *json_parse(const char *text, size_t length, char *error,
                        size_t error_len);

/* Frees a value and everything in it; NULL is accepted. */
void json_free(struct json *value);

/* Constructors; NULL when memory is exhausted. json_string copies `length`
 * bytes of `text`. */
struct json *json_null(void);
struct json *json_bool(int value);
struct json *json_number(double value);
struct json *json_string(const char *text, size_t length);
struct json *json_array(void);
struct json *json_object(void);
struct json *json_copy(const struct json *value);

/* Appends `item` to an array, or sets member `key` of an object (replacing
 * one of that name). Takes ownership of `item` in every case; returns 0, or
 * -1 when memory is exhausted or `item` is NULL. */
int json_append(struct json *array, struct json *item);
int json_set(struct json *object, const char *key, struct json *item);

/* Member `key` of an object; NULL when absent or when `object` is not an
 * object. */
const struct json *json_get(const struct json *object, const char *key);

/* 1 when the two values are equal as plain data, else 0. */
int json_equal(const struct json *a, const struct json *b);

/* Compact JSON text of a value, allocated with malloc (the caller frees
 * it); NULL when memory is exhausted. */
char *json_render(const struct json *value);

/* The name of a type, for messages: "null", "string", ... */
const char *json_type_name(enum json_type type);

#endif

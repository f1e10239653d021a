/*
 * json.c: the JSON reader and writer described in json.h.
 */
#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deep enough for any scenario; bounded so that hostile input cannot
 * exhaust the stack. */
#define JSON_MAX_DEPTH 64

struct parser {
    const char *text;
    size_t length;
    size_t at;
    int depth;
    char *error;
    size_t error_len;
    int failed;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void parse_error(struct parser *p, const char *format, ...);

static void parse_error(struct parser *p, const char *format, ...)
{
    va_list args;
    char reason[160];

    if (p->failed) {
        return;
    }
    p->failed = 1;
    va_start(args, format);
    vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    if (p->error != NULL && p->error_len > 0) {
        snprintf(p->error, p->error_len, "%s at byte %lu", reason,
                 (unsigned long)p->at);
    }
}

static struct json *new_value(enum json_type type)
{
    struct json *value = calloc(1, sizeof *value);

    if (value != NULL) {
        value->type = type;
    }
    return value;
}

struct json *json_null(void)
{
    return new_value(JSON_NULL);
}

struct json *json_bool(int value)
{
    struct json *v = new_value(JSON_BOOL);

    if (v != NULL) {
        v->boolean = value != 0;
    }
    return v;
}

struct json *json_number(double value)
{
    struct json *v = new_value(JSON_NUMBER);

    if (v != NULL) {
        v->number = value;
    }
    return v;
}

struct json *json_string(const char *text, size_t length)
{
    struct json *v = new_value(JSON_STRING);

    if (v == NULL) {
        return NULL;
    }
    v->string = malloc(length + 1);
    if (v->string == NULL) {
        free(v);
        return NULL;
    }
    if (length > 0) {
        memcpy(v->string, text, length);
    }
    v->string[length] = '\0';
    v->length = length;
    return v;
}

struct json *json_array(void)
{
    return new_value(JSON_ARRAY);
}

struct json *json_object(void)
{
    return new_value(JSON_OBJECT);
}

void json_free(struct json *value)
{
    size_t i;

    if (value == NULL) {
        return;
    }
    for (i = 0; i < value->count; i++) {
        json_free(value->items[i]);
        if (value->keys != NULL) {
            free(value->keys[i]);
        }
    }
    free(value->items);
    free(value->keys);
    free(value->string);
    free(value);
}

/* Makes room for one more item (and key, for an object). */
static int grow(struct json *container)
{
    size_t capacity;
    struct json **items;
    char **keys;

    if (container->count < container->capacity) {
        return 0;
    }
    capacity = container->capacity == 0 ? 4 : container->capacity * 2;
    items = realloc(container->items, capacity * sizeof *items);
    if (items == NULL) {
        return -1;
    }
    container->items = items;
    if (container->type == JSON_OBJECT) {
        keys = realloc(container->keys, capacity * sizeof *keys);
        if (keys == NULL) {
            return -1;
        }
        container->keys = keys;
    }
    container->capacity = capacity;
    return 0;
}

int json_append(struct json *array, struct json *item)
{
    if (item == NULL || array == NULL || array->type != JSON_ARRAY
        || grow(array) != 0) {
        json_free(item);
        return -1;
    }
    array->items[array->count++] = item;
    return 0;
}

int json_set(struct json *object, const char *key, struct json *item)
{
    size_t i;
    char *name;

    if (item == NULL || object == NULL || object->type != JSON_OBJECT) {
        json_free(item);
        return -1;
    }
    for (i = 0; i < object->count; i++) {
        if (strcmp(object->keys[i], key) == 0) {
            json_free(object->items[i]);
            object->items[i] = item;
            return 0;
        }
    }
    name = malloc(strlen(key) + 1);
    if (name == NULL || grow(object) != 0) {
        free(name);
        json_free(item);
        return -1;
    }
    strcpy(name, key);
    object->keys[object->count] = name;
    object->items[object->count++] = item;
    return 0;
}

const struct json *json_get(const struct json *object, const char *key)
{
    size_t i;

    if (object == NULL || object->type != JSON_OBJECT) {
        return NULL;
    }
    for (i = 0; i < object->count; i++) {
        if (strcmp(object->keys[i], key) == 0) {
            return object->items[i];
        }
    }
    return NULL;
}

struct json *json_copy(const struct json *value)
{
    struct json *copy;
    size_t i;

    if (value == NULL) {
        return NULL;
    }
    switch (value->type) {
    case JSON_STRING:
        return json_string(value->string, value->length);
    case JSON_ARRAY:
    case JSON_OBJECT:
        copy = new_value(value->type);
        for (i = 0; copy != NULL && i < value->count; i++) {
            struct json *item = json_copy(value->items[i]);
            int rc = value->type == JSON_ARRAY
                         ? json_append(copy, item)
                         : json_set(copy, value->keys[i], item);
            if (rc != 0) {
                json_free(copy);
                copy = NULL;
            }
        }
        return copy;
    default:
        copy = new_value(value->type);
        if (copy != NULL) {
            copy->boolean = value->boolean;
            copy->number = value->number;
        }
        return copy;
    }
}

int json_equal(const struct json *a, const struct json *b)
{
    size_t i;

    if (a == NULL || b == NULL) {
        return a == b;
    }
    if (a->type != b->type) {
        return 0;
    }
    switch (a->type) {
    case JSON_NULL:
        return 1;
    case JSON_BOOL:
        return a->boolean == b->boolean;
    case JSON_NUMBER:
        return a->number == b->number;
    case JSON_STRING:
        return a->length == b->length
               && memcmp(a->string, b->string, a->length) == 0;
    case JSON_ARRAY:
        if (a->count != b->count) {
            return 0;
        }
        for (i = 0; i < a->count; i++) {
            if (!json_equal(a->items[i], b->items[i])) {
                return 0;
            }
        }
        return 1;
    case JSON_OBJECT:
        /* Keys are unique, so equal counts and every member of `a` found in
         * `b` means the same members. */
        if (a->count != b->count) {
            return 0;
        }
        for (i = 0; i < a->count; i++) {
            if (!json_equal(a->items[i], json_get(b, a->keys[i]))) {
                return 0;
            }
        }
        return 1;
    }
    return 0;
}

const char *json_type_name(enum json_type type)
{
    switch (type) {
    case JSON_NULL:
        return "null";
    case JSON_BOOL:
        return "boolean";
    case JSON_NUMBER:
        return "number";
    case JSON_STRING:
        return "string";
    case JSON_ARRAY:
        return "array";
    case JSON_OBJECT:
        return "object";
    }
    return "?";
}

/* ---- parsing ---- */

static void skip_space(struct parser *p)
{
    while (p->at < p->length
           && (p->text[p->at] == ' ' || p->text[p->at] == '\t'
               || p->text[p->at] == '\n' || p->text[p->at] == '\r')) {
        p->at++;
    }
}

static int literal(struct parser *p, const char *word)
{
    size_t n = strlen(word);

    if (p->length - p->at < n || memcmp(p->text + p->at, word, n) != 0) {
        parse_error(p, "unexpected character");
        return -1;
    }
    p->at += n;
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static struct json *parse_number(struct parser *p)
{
    size_t start = p->at;
    char buffer[64];
    struct json *value;

    if (p->at < p->length && p->text[p->at] == '-') {
        p->at++;
    }
    if (p->at < p->length && p->text[p->at] == '0') {
        p->at++;
    } else if (p->at < p->length && is_digit(p->text[p->at])) {
        while (p->at < p->length && is_digit(p->text[p->at])) {
            p->at++;
        }
    } else {
        parse_error(p, "bad number");
        return NULL;
    }
    if (p->at < p->length && p->text[p->at] == '.') {
        p->at++;
        if (p->at >= p->length || !is_digit(p->text[p->at])) {
            parse_error(p, "bad number");
            return NULL;
        }
        while (p->at < p->length && is_digit(p->text[p->at])) {
            p->at++;
        }
    }
    if (p->at < p->length
        && (p->text[p->at] == 'e' || p->text[p->at] == 'E')) {
        p->at++;
        if (p->at < p->length
            && (p->text[p->at] == '+' || p->text[p->at] == '-')) {
            p->at++;
        }
        if (p->at >= p->length || !is_digit(p->text[p->at])) {
            parse_error(p, "bad number");
            return NULL;
        }
        while (p->at < p->length && is_digit(p->text[p->at])) {
            p->at++;
        }
    }
    if (p->at - start >= sizeof buffer) {
        parse_error(p, "number too long");
        return NULL;
    }
    memcpy(buffer, p->text + start, p->at - start);
    buffer[p->at - start] = '\0';
    value = new_value(JSON_NUMBER);
    if (value == NULL) {
        parse_error(p, "out of memory");
        return NULL;
    }
    /* strtod follows the C locale, whose decimal point JSON's is. */
    value->number = strtod(buffer, NULL);
    return value;
}

static int hex4(struct parser *p, unsigned long *out)
{
    unsigned long code = 0;
    int i;

    if (p->length - p->at < 4) {
        parse_error(p, "short \\u escape");
        return -1;
    }
    for (i = 0; i < 4; i++) {
        char c = p->text[p->at++];
        code <<= 4;
        if (is_digit(c)) {
            code |= (unsigned long)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            code |= (unsigned long)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            code |= (unsigned long)(c - 'A' + 10);
        } else {
            parse_error(p, "bad \\u escape");
            return -1;
        }
    }
    *out = code;
    return 0;
}

/* Appends the UTF-8 form of `code` to out (room for 4 bytes assumed). */
static size_t put_utf8(unsigned long code, char *out)
{
    if (code < 0x80) {
        out[0] = (char)code;
        return 1;
    }
    if (code < 0x800) {
        out[0] = (char)(0xC0 | (code >> 6));
        out[1] = (char)(0x80 | (code & 0x3F));
        return 2;
    }
    if (code < 0x10000) {
        out[0] = (char)(0xE0 | (code >> 12));
        out[1] = (char)(0x80 | ((code >> 6) & 0x3F));
        out[2] = (char)(0x80 | (code & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (code >> 18));
    out[1] = (char)(0x80 | ((code >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((code >> 6) & 0x3F));
    out[3] = (char)(0x80 | (code & 0x3F));
    return 4;
}

/* Reads a string whose opening quote is at p->at; the result is malloc'd.
 * Escapes never make the text longer, so the raw span bounds its size. */
static char *parse_string_text(struct parser *p, size_t *length_out)
{
    size_t end = p->at + 1;
    size_t used = 0;
    char *out;

    while (end < p->length && p->text[end] != '"') {
        end += p->text[end] == '\\' ? 2 : 1;
    }
    if (end >= p->length) {
        parse_error(p, "unterminated string");
        return NULL;
    }
    out = malloc(end - p->at + 1);
    if (out == NULL) {
        parse_error(p, "out of memory");
        return NULL;
    }
    p->at++;
    while (p->text[p->at] != '"') {
        unsigned char c = (unsigned char)p->text[p->at];
        unsigned long code;
        unsigned long low;

        if (c < 0x20) {
            parse_error(p, "control character in string");
            free(out);
            return NULL;
        }
        if (c != '\\') {
            out[used++] = (char)c;
            p->at++;
            continue;
        }
        p->at++;
        switch (p->text[p->at++]) {
        case '"':
            out[used++] = '"';
            break;
        case '\\':
            out[used++] = '\\';
            break;
        case '/':
            out[used++] = '/';
            break;
        case 'b':
            out[used++] = '\b';
            break;
        case 'f':
            out[used++] = '\f';
            break;
        case 'n':
            out[used++] = '\n';
            break;
        case 'r':
            out[used++] = '\r';
            break;
        case 't':
            out[used++] = '\t';
            break;
        case 'u':
            if (hex4(p, &code) != 0) {
                free(out);
                return NULL;
            }
            if (code >= 0xD800 && code <= 0xDBFF) {
                if (p->length - p->at < 2 || p->text[p->at] != '\\'
                    || p->text[p->at + 1] != 'u') {
                    parse_error(p, "lone surrogate");
                    free(out);
                    return NULL;
                }
                p->at += 2;
                if (hex4(p, &low) != 0 || low < 0xDC00 || low > 0xDFFF) {
                    parse_error(p, "lone surrogate");
                    free(out);
                    return NULL;
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            } else if (code >= 0xDC00 && code <= 0xDFFF) {
                parse_error(p, "lone surrogate");
                free(out);
                return NULL;
            }
            if (code == 0) {
                parse_error(p, "NUL in a string is not supported");
                free(out);
                return NULL;
            }
            used += put_utf8(code, out + used);
            break;
        default:
            parse_error(p, "bad escape");
            free(out);
            return NULL;
        }
    }
    p->at++;
    out[used] = '\0';
    *length_out = used;
    return out;
}

static struct json *parse_value(struct parser *p);

static struct json *parse_container(struct parser *p, enum json_type type)
{
    char close = type == JSON_ARRAY ? ']' : '}';
    struct json *container = new_value(type);

    if (container == NULL) {
        parse_error(p, "out of memory");
        return NULL;
    }
    if (++p->depth > JSON_MAX_DEPTH) {
        parse_error(p, "nested too deeply");
        json_free(container);
        return NULL;
    }
    p->at++;
    skip_space(p);
    if (p->at < p->length && p->text[p->at] == close) {
        p->at++;
        p->depth--;
        return container;
    }
    for (;;) {
        char *key = NULL;
        size_t key_length;
        struct json *item;
        int rc;

        skip_space(p);
        if (type == JSON_OBJECT) {
            if (p->at >= p->length || p->text[p->at] != '"') {
                parse_error(p, "expected a member name");
                break;
            }
            key = parse_string_text(p, &key_length);
            if (key == NULL) {
                break;
            }
            if (json_get(container, key) != NULL) {
                parse_error(p, "duplicate member \"%s\"", key);
                free(key);
                break;
            }
            skip_space(p);
            if (p->at >= p->length || p->text[p->at] != ':') {
                parse_error(p, "expected ':'");
                free(key);
                break;
            }
            p->at++;
        }
        item = parse_value(p);
        if (item == NULL) {
            free(key);
            break;
        }
        rc = type == JSON_OBJECT ? json_set(container, key, item)
                                 : json_append(container, item);
        free(key);
        if (rc != 0) {
            parse_error(p, "out of memory");
            break;
        }
        skip_space(p);
        if (p->at < p->length && p->text[p->at] == ',') {
            p->at++;
            continue;
        }
        if (p->at < p->length && p->text[p->at] == close) {
            p->at++;
            p->depth--;
            return container;
        }
        parse_error(p, "expected ',' or '%c'", close);
        break;
    }
    json_free(container);
    return NULL;
}

static struct json *parse_value(struct parser *p)
{
    struct json *value;
    char *text;
    size_t length;

    skip_space(p);
    if (p->at >= p->length) {
        parse_error(p, "unexpected end of input");
        return NULL;
    }
    switch (p->text[p->at]) {
    case '{':
        return parse_container(p, JSON_OBJECT);
    case '[':
        return parse_container(p, JSON_ARRAY);
    case '"':
        text = parse_string_text(p, &length);
        if (text == NULL) {
            return NULL;
        }
        value = new_value(JSON_STRING);
        if (value == NULL) {
            free(text);
            parse_error(p, "out of memory");
            return NULL;
        }
        value->string = text;
        value->length = length;
        return value;
    case 't':
        return literal(p, "true") == 0 ? json_bool(1) : NULL;
    case 'f':
        return literal(p, "false") == 0 ? json_bool(0) : NULL;
    case 'n':
        return literal(p, "null") == 0 ? json_null() : NULL;
    default:
        if (p->text[p->at] != '-' && !is_digit(p->text[p->at])) {
            parse_error(p, "unexpected character");
            return NULL;
        }
        return parse_number(p);
    }
}

struct json *json_parse(const char *text, size_t length, char *error,
                        size_t error_len)
{
    struct parser p;
    struct json *value;

    memset(&p, 0, sizeof p);
    p.text = text;
    p.length = length;
    p.error = error;
    p.error_len = error_len;
    value = parse_value(&p);
    if (value != NULL) {
        skip_space(&p);
        if (p.at != p.length) {
            parse_error(&p, "trailing characters");
        }
    } else if (!p.failed) {
        parse_error(&p, "out of memory");
    }
    if (p.failed) {
        json_free(value);
        return NULL;
    }
    return value;
}

/* ---- rendering ---- */

struct buffer {
    char *data;
    size_t used;
    size_t capacity;
    int failed;
};

static void put(struct buffer *b, const char *text, size_t length)
{
    if (b->failed) {
        return;
    }
    if (b->used + length + 1 > b->capacity) {
        size_t capacity = b->capacity == 0 ? 64 : b->capacity;
        char *data;

        while (b->used + length + 1 > capacity) {
            capacity *= 2;
        }
        data = realloc(b->data, capacity);
        if (data == NULL) {
            b->failed = 1;
            return;
        }
        b->data = data;
        b->capacity = capacity;
    }
    memcpy(b->data + b->used, text, length);
    b->used += length;
    b->data[b->used] = '\0';
}

static void put_text(struct buffer *b, const char *text)
{
    put(b, text, strlen(text));
}

static void put_quoted(struct buffer *b, const char *text, size_t length)
{
    size_t i;
    char escape[8];

    put(b, "\"", 1);
    for (i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];

        switch (c) {
        case '"':
            put_text(b, "\\\"");
            break;
        case '\\':
            put_text(b, "\\\\");
            break;
        case '\n':
            put_text(b, "\\n");
            break;
        case '\r':
            put_text(b, "\\r");
            break;
        case '\t':
            put_text(b, "\\t");
            break;
        default:
            if (c < 0x20) {
                snprintf(escape, sizeof escape, "\\u%04x", (unsigned)c);
                put_text(b, escape);
            } else {
                put(b, text + i, 1);
            }
        }
    }
    put(b, "\"", 1);
}

static void render(struct buffer *b, const struct json *value)
{
    char number[40];
    size_t i;

    switch (value->type) {
    case JSON_NULL:
        put_text(b, "null");
        break;
    case JSON_BOOL:
        put_text(b, value->boolean ? "true" : "false");
        break;
    case JSON_NUMBER:
        /* Whole numbers as integers, so that a count reads as it was
         * written; anything else exactly enough to parse back the same. */
        if (value->number == floor(value->number)
            && fabs(value->number) < 9007199254740992.0) {
            snprintf(number, sizeof number, "%.0f", value->number);
        } else {
            snprintf(number, sizeof number, "%.17g", value->number);
        }
        put_text(b, number);
        break;
    case JSON_STRING:
        put_quoted(b, value->string, value->length);
        break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        put_text(b, value->type == JSON_ARRAY ? "[" : "{");
        for (i = 0; i < value->count; i++) {
            if (i > 0) {
                put_text(b, ",");
            }
            if (value->type == JSON_OBJECT) {
                put_quoted(b, value->keys[i], strlen(value->keys[i]));
                put_text(b, ":");
            }
            render(b, value->items[i]);
        }
        put_text(b, value->type == JSON_ARRAY ? "]" : "}");
        break;
    }
}

char *json_render(const struct json *value)
{
    struct buffer b;

    memset(&b, 0, sizeof b);
    if (value == NULL) {
        put_text(&b, "(none)");
    } else {
        render(&b, value);
    }
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

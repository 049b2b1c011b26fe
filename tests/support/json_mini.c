/* SPDX-License-Identifier: MIT */
/*
 * json_mini.c - recursive-descent JSON reader (see json_mini.h).
 *
 * One pass over the text; nodes are calloc'd and linked as first-child / next-sibling.
 * Nesting is bounded (VKM_JSON_MAX_DEPTH) so hostile input cannot blow the stack.
 */
#include "json_mini.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VKM_JSON_MAX_DEPTH 64

typedef struct parser {
    const char *p;
    const char *end;
    const char *start;
    char *err;
    size_t errlen;
    bool failed;
} parser;

static vkm_json *parse_value(parser *ps, int depth);

static void
fail(parser *ps, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = true;
    if (ps->err && ps->errlen) {
        int n = snprintf(ps->err, ps->errlen, "json: offset %zu: ", (size_t)(ps->p - ps->start));
        if (n >= 0 && (size_t)n < ps->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
}

static void
skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static bool
accept_word(parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return false;
    ps->p += n;
    return true;
}

static vkm_json *
new_node(parser *ps, vkm_json_type type)
{
    vkm_json *n = calloc(1, sizeof(*n));
    if (!n)
        fail(ps, "out of memory");
    else
        n->type = type;
    return n;
}

static int
hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool
read_hex4(parser *ps, uint32_t *out)
{
    uint32_t v = 0;
    if (ps->end - ps->p < 4) {
        fail(ps, "truncated \\u escape");
        return false;
    }
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(ps->p[i]);
        if (d < 0) {
            fail(ps, "bad \\u escape");
            return false;
        }
        v = v * 16 + (uint32_t)d;
    }
    ps->p += 4;
    *out = v;
    return true;
}

static size_t
put_utf8(char *dst, uint32_t cp)
{
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ps->p is just past the opening quote. The unescaped text is never longer than the
 * escaped text, so one buffer of the raw length suffices. */
static char *
parse_string_raw(parser *ps)
{
    const char *q = ps->p;
    while (q < ps->end && *q != '"') {
        if (*q == '\\')
            q++;
        q++;
    }
    if (q >= ps->end) {
        fail(ps, "unterminated string");
        return NULL;
    }
    char *out = malloc((size_t)(q - ps->p) + 1);
    if (!out) {
        fail(ps, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p++;
        if (c < 0x20) {
            fail(ps, "control character in string");
            free(out);
            return NULL;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            continue;
        }
        char e = *ps->p++;
        switch (e) {
        case '"':
            out[n++] = '"';
            break;
        case '\\':
            out[n++] = '\\';
            break;
        case '/':
            out[n++] = '/';
            break;
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'u': {
            uint32_t cp;
            if (!read_hex4(ps, &cp)) {
                free(out);
                return NULL;
            }
            if (cp >= 0xD800 && cp < 0xDC00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
                ps->p[1] == 'u') {
                uint32_t lo;
                ps->p += 2;
                if (!read_hex4(ps, &lo)) {
                    free(out);
                    return NULL;
                }
                if (lo >= 0xDC00 && lo < 0xE000)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else
                    cp = 0xFFFD;
            } else if (cp >= 0xD800 && cp < 0xE000) {
                cp = 0xFFFD;
            }
            /* "\uXXXX" is 6 bytes of input and at most 3 of output; a pair is 12 -> 4 */
            n += put_utf8(out + n, cp);
            break;
        }
        default:
            fail(ps, "bad escape '\\%c'", e);
            free(out);
            return NULL;
        }
    }
    ps->p++; /* closing quote */
    out[n] = '\0';
    return out;
}

static vkm_json *
parse_number(parser *ps)
{
    const char *s = ps->p;
    bool integer = true, negative = false;
    if (ps->p < ps->end && *ps->p == '-') {
        negative = true;
        ps->p++;
    }
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
        fail(ps, "bad number");
        return NULL;
    }
    if (*ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9') {
        fail(ps, "leading zero in number");
        return NULL;
    }
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
        ps->p++;
    if (ps->p < ps->end && *ps->p == '.') {
        integer = false;
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
            fail(ps, "bad fraction");
            return NULL;
        }
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        integer = false;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
            fail(ps, "bad exponent");
            return NULL;
        }
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    char buf[64];
    size_t len = (size_t)(ps->p - s);
    if (len >= sizeof(buf)) {
        fail(ps, "number too long");
        return NULL;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    vkm_json *n = new_node(ps, VKM_JSON_NUMBER);
    if (!n)
        return NULL;
    n->number = strtod(buf, NULL);
    if (integer && !negative) {
        errno = 0;
        unsigned long long v = strtoull(buf, NULL, 10);
        if (errno == 0) {
            n->is_u64 = true;
            n->u64 = (uint64_t)v;
        }
    }
    return n;
}

static void
append_child(vkm_json *parent, vkm_json **tail, vkm_json *child)
{
    if (*tail)
        (*tail)->next = child;
    else
        parent->child = child;
    *tail = child;
    parent->count++;
}

static vkm_json *
parse_container(parser *ps, int depth, bool object)
{
    vkm_json *node = new_node(ps, object ? VKM_JSON_OBJECT : VKM_JSON_ARRAY);
    vkm_json *tail = NULL;
    if (!node)
        return NULL;
    ps->p++; /* '{' or '[' */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
        ps->p++;
        return node;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"') {
                fail(ps, "expected member name");
                break;
            }
            ps->p++;
            key = parse_string_raw(ps);
            if (!key)
                break;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                fail(ps, "expected ':'");
                break;
            }
            ps->p++;
        }
        vkm_json *child = parse_value(ps, depth + 1);
        if (!child) {
            free(key);
            break;
        }
        child->key = key;
        append_child(node, &tail, child);
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
            ps->p++;
            return node;
        }
        fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
        break;
    }
    vkm_json_free(node);
    return NULL;
}

static vkm_json *
parse_value(parser *ps, int depth)
{
    if (depth > VKM_JSON_MAX_DEPTH) {
        fail(ps, "nesting deeper than %d", VKM_JSON_MAX_DEPTH);
        return NULL;
    }
    skip_ws(ps);
    if (ps->p >= ps->end) {
        fail(ps, "unexpected end of input");
        return NULL;
    }
    vkm_json *n;
    switch (*ps->p) {
    case '{':
        return parse_container(ps, depth, true);
    case '[':
        return parse_container(ps, depth, false);
    case '"': {
        ps->p++;
        char *s = parse_string_raw(ps);
        if (!s)
            return NULL;
        n = new_node(ps, VKM_JSON_STRING);
        if (!n) {
            free(s);
            return NULL;
        }
        n->string = s;
        return n;
    }
    case 't':
    case 'f':
        if (accept_word(ps, "true") || accept_word(ps, "false")) {
            n = new_node(ps, VKM_JSON_BOOL);
            if (n)
                n->boolean = ps->p[-1] == 'e' && ps->p[-2] == 'u'; /* "true" */
            return n;
        }
        break;
    case 'n':
        if (accept_word(ps, "null"))
            return new_node(ps, VKM_JSON_NULL);
        break;
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return parse_number(ps);
        break;
    }
    fail(ps, "unexpected character '%c'", *ps->p);
    return NULL;
}

vkm_json *
vkm_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    parser ps = {text, text + len, text, err, errlen, false};
    if (err && errlen)
        err[0] = '\0';
    vkm_json *root = parse_value(&ps, 0);
    if (!root)
        return NULL;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        fail(&ps, "trailing characters after the document");
        vkm_json_free(root);
        return NULL;
    }
    return root;
}

vkm_json *
vkm_json_parse_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "json: cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
        if (len == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    bool read_error = ferror(f) != 0;
    fclose(f);
    if (!buf || read_error) {
        if (err && errlen)
            snprintf(err, errlen, "json: cannot read %s", path);
        free(buf);
        return NULL;
    }
    vkm_json *root = vkm_json_parse(buf, len, err, errlen);
    free(buf);
    return root;
}

void
vkm_json_free(vkm_json *root)
{
    /* Iterative over siblings, recursive over depth (bounded by the parser). */
    while (root) {
        vkm_json *next = root->next;
        vkm_json_free(root->child);
        free(root->key);
        free(root->string);
        free(root);
        root = next;
    }
}

const vkm_json *
vkm_json_get(const vkm_json *obj, const char *key)
{
    if (!obj || obj->type != VKM_JSON_OBJECT)
        return NULL;
    for (const vkm_json *c = obj->child; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

const vkm_json *
vkm_json_at(const vkm_json *node, size_t i)
{
    if (!node || (node->type != VKM_JSON_ARRAY && node->type != VKM_JSON_OBJECT))
        return NULL;
    const vkm_json *c = node->child;
    while (c && i--)
        c = c->next;
    return c;
}

bool
vkm_json_get_u64(const vkm_json *node, uint64_t *out)
{
    if (!node || node->type != VKM_JSON_NUMBER || !node->is_u64)
        return false;
    *out = node->u64;
    return true;
}

bool
vkm_json_get_string(const vkm_json *node, const char **out)
{
    if (!node || node->type != VKM_JSON_STRING)
        return false;
    *out = node->string;
    return true;
}

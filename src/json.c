/* SPDX-License-Identifier: MIT */
/*
 * json.c - streaming JSON text writer (see json.h).
 */
#include "json.h"

#include <stdio.h>
#include <string.h>

#include "debug.h"

#define INDENT "  "
/* Bytes in front of a finished text: its block size, the text kept 16-aligned. */
#define TEXT_HEADER 16u

void
vkm_json_init(vkm_json_writer *w, const vkm_host_alloc *ha, uint32_t base)
{
    memset(w, 0, sizeof(*w));
    w->ha = ha;
    w->base = base;
    w->first[0] = true;
}

void
vkm_json_discard(vkm_json_writer *w)
{
    if (w->buf != NULL)
        vkm_host_alloc_free(w->ha, w->buf, w->cap);
    w->buf = NULL;
    w->len = w->cap = 0;
}

/* Room for `n` more bytes and the final NUL. */
static bool
reserve(vkm_json_writer *w, size_t n)
{
    if (w->failed)
        return false;
    if (w->len + n + 1 <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + n + 1)
        cap *= 2;
    char *p = vkm_host_alloc_realloc(w->ha, w->buf, w->cap, cap, 1);
    if (p == NULL) {
        /* the old buffer is still ours: give it back now, the document is lost anyway */
        vkm_json_discard(w);
        w->failed = true;
        return false;
    }
    w->buf = p;
    w->cap = cap;
    return true;
}

static void
put(vkm_json_writer *w, const char *s, size_t n)
{
    if (!reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void
put_c(vkm_json_writer *w, char c)
{
    put(w, &c, 1);
}

static void
newline(vkm_json_writer *w)
{
    put_c(w, '\n');
    for (uint32_t i = 0; i < w->base + w->depth; i++)
        put(w, INDENT, sizeof(INDENT) - 1);
}

/* Separator and line break before a value or key at the current depth. */
static void
begin_item(vkm_json_writer *w, bool is_key)
{
    vkm_assert(!w->in_string);
    if (w->after_key && !is_key) {
        w->after_key = false;
        return; /* the value of a member follows its key on the same line */
    }
    vkm_assert(!w->after_key);
    if (w->depth == 0) {
        vkm_assert(w->first[0]); /* one top-level value */
        w->first[0] = false;
        return;
    }
    const bool first = w->first[w->depth];
    w->first[w->depth] = false;
    if (!first)
        put(w, w->single[w->depth] ? ", " : ",", w->single[w->depth] ? 2 : 1);
    if (!w->single[w->depth])
        newline(w);
}

static void
open_container(vkm_json_writer *w, char c, bool single_line)
{
    begin_item(w, false);
    put_c(w, c);
    vkm_assert(w->depth + 1 < VKM_JSON_MAX_DEPTH);
    if (w->depth + 1 >= VKM_JSON_MAX_DEPTH) {
        w->failed = true; /* a programming error: refuse rather than overflow */
        return;
    }
    w->depth++;
    w->first[w->depth] = true;
    w->single[w->depth] = single_line || (w->depth > 1 && w->single[w->depth - 1]);
}

static void
close_container(vkm_json_writer *w, char c)
{
    vkm_assert(w->depth > 0 && !w->after_key && !w->in_string);
    if (w->depth == 0)
        return;
    const bool empty = w->first[w->depth];
    const bool single = w->single[w->depth];
    w->depth--;
    if (!empty && !single)
        newline(w);
    put_c(w, c);
}

void
vkm_json_begin_object(vkm_json_writer *w, bool single_line)
{
    open_container(w, '{', single_line);
}

void
vkm_json_end_object(vkm_json_writer *w)
{
    close_container(w, '}');
}

void
vkm_json_begin_array(vkm_json_writer *w, bool single_line)
{
    open_container(w, '[', single_line);
}

void
vkm_json_end_array(vkm_json_writer *w)
{
    close_container(w, ']');
}

/* ------------------------------------------------------------------------------------ */
/* Strings                                                                               */

void
vkm_json_append(vkm_json_writer *w, const char *str)
{
    vkm_assert(w->in_string);
    if (str == NULL)
        return;
    const unsigned char *s = (const unsigned char *)str;
    const size_t n = strlen(str);
    size_t i = 0;
    while (i < n && !w->failed) {
        const unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            const char esc[2] = {'\\', (char)c};
            put(w, esc, 2);
            i++;
        } else if (c < 0x20) {
            static const char short_esc[] = {
                ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
            char esc[8];
            if (c < sizeof(short_esc) && short_esc[c] != 0) {
                esc[0] = '\\';
                esc[1] = short_esc[c];
                put(w, esc, 2);
            } else {
                snprintf(esc, sizeof(esc), "\\u%04x", c);
                put(w, esc, 6);
            }
            i++;
        } else {
            /* As VMA: the caller's bytes as they are, so a name in UTF-8, ISO-8859-2 or
             * any other encoding reads back in that encoding. Runs of plain bytes go
             * out at once. */
            size_t j = i + 1;
            while (j < n && s[j] >= 0x20 && s[j] != '"' && s[j] != '\\')
                j++;
            put(w, str + i, j - i);
            i = j;
        }
    }
}

void
vkm_json_append_u64(vkm_json_writer *w, uint64_t v)
{
    vkm_assert(w->in_string);
    char num[24];
    const int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
    put(w, num, (size_t)n);
}

void
vkm_json_begin_string(vkm_json_writer *w)
{
    begin_item(w, false);
    put_c(w, '"');
    w->in_string = true;
}

void
vkm_json_end_string(vkm_json_writer *w)
{
    vkm_assert(w->in_string);
    put_c(w, '"');
    w->in_string = false;
}

void
vkm_json_string(vkm_json_writer *w, const char *s)
{
    vkm_json_begin_string(w);
    vkm_json_append(w, s);
    vkm_json_end_string(w);
}

void
vkm_json_key(vkm_json_writer *w, const char *key)
{
    vkm_assert(w->depth > 0);
    begin_item(w, true);
    put_c(w, '"');
    w->in_string = true;
    vkm_json_append(w, key);
    w->in_string = false;
    put(w, "\": ", 3);
    w->after_key = true;
}

void
vkm_json_u64(vkm_json_writer *w, uint64_t v)
{
    begin_item(w, false);
    char num[24];
    const int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
    put(w, num, (size_t)n);
}

void
vkm_json_bool(vkm_json_writer *w, bool v)
{
    begin_item(w, false);
    if (v)
        put(w, "true", 4);
    else
        put(w, "false", 5);
}

void
vkm_json_raw(vkm_json_writer *w, const char *text, size_t len)
{
    begin_item(w, false);
    put(w, text, len);
}

char *
vkm_json_finish(vkm_json_writer *w)
{
    vkm_assert(w->depth == 0 && !w->in_string);
    if (w->failed || !reserve(w, 0)) {
        vkm_json_discard(w);
        return NULL;
    }
    w->buf[w->len] = '\0';
    /* exact size, with the size in front (vkm_json_free_text) */
    const size_t bytes = TEXT_HEADER + w->len + 1;
    char *block = vkm_host_alloc_alloc(w->ha, bytes, 16);
    if (block == NULL) {
        vkm_json_discard(w);
        return NULL;
    }
    memcpy(block, &bytes, sizeof(bytes));
    memcpy(block + TEXT_HEADER, w->buf, w->len + 1);
    vkm_json_discard(w);
    return block + TEXT_HEADER;
}

void
vkm_json_free_text(const vkm_host_alloc *ha, char *text)
{
    if (text == NULL)
        return;
    char *block = text - TEXT_HEADER;
    size_t bytes;
    memcpy(&bytes, block, sizeof(bytes));
    vkm_host_alloc_free(ha, block, bytes);
}

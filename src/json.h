/* SPDX-License-Identifier: MIT */
/*
 * json.h - a streaming JSON text writer (layer L1).
 *
 * Builds one document in a growing buffer from a vkm_host_alloc: containers are opened
 * and closed explicitly, members are a key followed by one value, and the writer puts the
 * commas, colons, line breaks and indentation in. A container opened "single line" keeps
 * its members on one line (VMA's dumps print each suballocation that way).
 *
 * Strings are escaped for JSON whatever the caller passes: quotes and backslashes are
 * escaped and every control character below U+0020 becomes its short escape or \u00XX.
 * Every other byte is copied as it is, as VMA documents for the names in its dumps: a
 * program whose names are UTF-8 gets UTF-8 JSON, one whose names are ISO-8859-2 gets JSON
 * in ISO-8859-2, and nothing is rewritten or dropped.
 *
 * Running out of host memory is sticky: later calls do nothing and vkm_json_finish
 * returns NULL. Callers: stats_json.c. Threads: a writer belongs to one thread.
 * It does not know Vulkan.
 */
#ifndef VKM_JSON_H
#define VKM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host_alloc.h"

#define VKM_JSON_MAX_DEPTH 32

typedef struct vkm_json_writer {
    const vkm_host_alloc *ha;
    char *buf;
    size_t len, cap;
    bool failed;                     /* a growth failed: the document is lost */
    bool in_string;                  /* between begin_string and end_string */
    bool after_key;                  /* a key was written; its value comes next */
    uint32_t depth;                  /* open containers */
    uint32_t base;                   /* indentation of the outermost container (fragments) */
    bool first[VKM_JSON_MAX_DEPTH];  /* no member written yet at this depth */
    bool single[VKM_JSON_MAX_DEPTH]; /* container opened single line */
} vkm_json_writer;

/* A writer whose top-level containers are indented as if `base` levels deep (a fragment
 * spliced into another document with vkm_json_raw). */
void vkm_json_init(vkm_json_writer *w, const vkm_host_alloc *ha, uint32_t base);
/* Frees the buffer of a writer that is not finished. */
void vkm_json_discard(vkm_json_writer *w);
/* The NUL-terminated text, freed with vkm_json_free_text, or NULL after a host memory
 * failure. The writer is empty afterwards. */
char *vkm_json_finish(vkm_json_writer *w);
/* Frees what vkm_json_finish returned, whatever the caller wrote into it: the block's
 * size is kept in front of the text, not taken from strlen (a caller may tokenise the
 * string it was given, and a sized free of the wrong size corrupts the heap). */
void vkm_json_free_text(const vkm_host_alloc *ha, char *text);

void vkm_json_begin_object(vkm_json_writer *w, bool single_line);
void vkm_json_end_object(vkm_json_writer *w);
void vkm_json_begin_array(vkm_json_writer *w, bool single_line);
void vkm_json_end_array(vkm_json_writer *w);

/* A member name of the enclosing object (any bytes, escaped as strings are). */
void vkm_json_key(vkm_json_writer *w, const char *key);
/* Values. A NULL string writes "". */
void vkm_json_string(vkm_json_writer *w, const char *s);
void vkm_json_u64(vkm_json_writer *w, uint64_t v);
void vkm_json_bool(vkm_json_writer *w, bool v);
/* A string value built in pieces: begin, any number of appends, end. */
void vkm_json_begin_string(vkm_json_writer *w);
void vkm_json_append(vkm_json_writer *w, const char *s);
void vkm_json_append_u64(vkm_json_writer *w, uint64_t v);
void vkm_json_end_string(vkm_json_writer *w);
/* One value given as finished JSON text of `len` bytes (another writer's fragment). */
void vkm_json_raw(vkm_json_writer *w, const char *text, size_t len);

#endif /* VKM_JSON_H */

/* SPDX-License-Identifier: MIT */
/*
 * json_mini.h - a small JSON reader for test support (GPU layout files, stats dumps).
 *
 * Parses a whole document into a tree of vkm_json nodes owned by the root; the tree is
 * immutable afterwards, so any thread may read it. Strings are unescaped UTF-8
 * (\uXXXX is encoded, surrogate pairs joined). Numbers keep their double value and, when
 * the text is a non-negative integer that fits, its exact uint64_t value (heap sizes,
 * handles). Not a validator for every corner of RFC 8259, but it rejects malformed
 * input with a message naming the byte offset instead of guessing.
 */
#ifndef VKM_JSON_MINI_H
#define VKM_JSON_MINI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vkm_json_type {
    VKM_JSON_NULL,
    VKM_JSON_BOOL,
    VKM_JSON_NUMBER,
    VKM_JSON_STRING,
    VKM_JSON_ARRAY,
    VKM_JSON_OBJECT,
} vkm_json_type;

typedef struct vkm_json vkm_json;
struct vkm_json {
    vkm_json_type type;
    char *key;       /* member name when the parent is an object, else NULL */
    bool boolean;    /* VKM_JSON_BOOL */
    bool is_u64;     /* VKM_JSON_NUMBER written as an integer in [0, UINT64_MAX] */
    double number;   /* VKM_JSON_NUMBER */
    uint64_t u64;    /* VKM_JSON_NUMBER when is_u64 */
    char *string;    /* VKM_JSON_STRING, NUL-terminated */
    size_t count;    /* children of an ARRAY or OBJECT */
    vkm_json *child; /* first child */
    vkm_json *next;  /* next sibling */
};

/* Parses len bytes of text. Returns the root or NULL; on NULL, err (if not NULL) holds a
 * message of at most errlen bytes. */
vkm_json *vkm_json_parse(const char *text, size_t len, char *err, size_t errlen);
/* Reads and parses a file; NULL with a message in err when unreadable or malformed. */
vkm_json *vkm_json_parse_file(const char *path, char *err, size_t errlen);
void vkm_json_free(vkm_json *root);

/* Member of an object by name (first match), or NULL (also when obj is not an object). */
const vkm_json *vkm_json_get(const vkm_json *obj, const char *key);
/* i-th element of an array or object, or NULL. */
const vkm_json *vkm_json_at(const vkm_json *node, size_t i);
/* Typed accessors: return false (leaving *out unchanged) when node is NULL or mistyped. */
bool vkm_json_get_u64(const vkm_json *node, uint64_t *out);
bool vkm_json_get_string(const vkm_json *node, const char **out);

#endif /* VKM_JSON_MINI_H */

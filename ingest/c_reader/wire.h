/*
 * The protobuf wire format as the OTLP reader needs it: fields of a message,
 * and the Python text, hex and base64 values made from their bytes.
 *
 * Every reader here and in values.c and traces.c returns 0 (or an object) on
 * success and -1 (or NULL) when it stops: with a Python exception set when
 * memory ran out, or without one, which means "declined": the caller then
 * leaves the body to the protobuf library.
 */
#ifndef STEREOS_OTLP_WIRE_H
#define STEREOS_OTLP_WIRE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "fixed-width protobuf fields are read as little-endian integers"
#endif

#define INT16_LIMIT 32767

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} Buf;

typedef struct {
    uint32_t field;
    int wire;
    uint64_t number; /* WT_VARINT, WT_I64, WT_I32 */
    Buf bytes;       /* WT_LEN */
} Field;


/* An enum as protobuf reads it, an int32 (the varint's low 32 bits), in `out`;
 * whether it fits the int16 the log stores. */
int otlp_fits_int16(uint64_t varint, int32_t *out);

/* The next field of a message: 1 at its end, 0 with `f` filled, -1 declined
 * (malformed, a group, or a wire type that does not exist). */
int otlp_next_field(Buf *b, Field *f);

/* Strict UTF-8 text; invalid UTF-8 declines (NULL, no exception). */
PyObject *otlp_text(Buf b);
int otlp_valid_text(Buf b);

/* A text field's value, or None when absent or empty (`x or None`). */
PyObject *otlp_text_or_none(Buf b, int present);

/* Lowercase hex and standard padded base64 of bytes. */
PyObject *otlp_hex(Buf b);
PyObject *otlp_base64(Buf b);

#endif

/* The protobuf wire format: see wire.h. */
#include "wire.h"

#include <string.h>

int
otlp_fits_int16(uint64_t varint, int32_t *out)
{
    int32_t value = (int32_t)(uint32_t)varint;
    *out = value;
    return value >= -INT16_LIMIT - 1 && value <= INT16_LIMIT;
}

static int
read_varint(Buf *b, uint64_t *out)
{
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (b->p >= b->end) {
            return -1;
        }
        uint8_t byte = *b->p++;
        if (shift == 63 && byte > 1) {
            return -1;
        }
        value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = value;
            return 0;
        }
    }
    return -1;
}

int
otlp_next_field(Buf *b, Field *f)
{
    uint64_t tag;
    if (b->p >= b->end) {
        return 1;
    }
    if (read_varint(b, &tag) < 0 || tag > UINT32_MAX) {
        return -1;
    }
    f->field = (uint32_t)(tag >> 3);
    f->wire = (int)(tag & 7);
    if (f->field == 0) {
        return -1;
    }
    switch (f->wire) {
    case WT_VARINT:
        return read_varint(b, &f->number);
    case WT_I64:
        if (b->end - b->p < 8) {
            return -1;
        }
        memcpy(&f->number, b->p, 8); /* little-endian: checked at the top */
        b->p += 8;
        return 0;
    case WT_I32: {
        uint32_t small;
        if (b->end - b->p < 4) {
            return -1;
        }
        memcpy(&small, b->p, 4);
        f->number = small;
        b->p += 4;
        return 0;
    }
    case WT_LEN: {
        uint64_t size;
        if (read_varint(b, &size) < 0 || size > (uint64_t)(b->end - b->p)) {
            return -1;
        }
        f->bytes.p = b->p;
        f->bytes.end = b->p + size;
        b->p += size;
        return 0;
    }
    default:
        return -1; /* groups, and wire types that do not exist */
    }
}

PyObject *
otlp_text(Buf b)
{
    PyObject *s = PyUnicode_DecodeUTF8((const char *)b.p, b.end - b.p, NULL);
    if (s == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        PyErr_Clear(); /* declined: protobuf decides what invalid UTF-8 means */
    }
    return s;
}

int
otlp_valid_text(Buf b)
{
    PyObject *s = otlp_text(b);
    if (s == NULL) {
        return -1;
    }
    Py_DECREF(s);
    return 0;
}

PyObject *
otlp_hex(Buf b)
{
    static const char digits[] = "0123456789abcdef";
    Py_ssize_t n = b.end - b.p;
    PyObject *s = PyUnicode_New(n * 2, 127);
    if (s == NULL) {
        return NULL;
    }
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(s);
    for (Py_ssize_t i = 0; i < n; i++) {
        out[2 * i] = (Py_UCS1)digits[b.p[i] >> 4];
        out[2 * i + 1] = (Py_UCS1)digits[b.p[i] & 15];
    }
    return s;
}

PyObject *
otlp_base64(Buf b)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    Py_ssize_t n = b.end - b.p;
    PyObject *s = PyUnicode_New(((n + 2) / 3) * 4, 127);
    if (s == NULL) {
        return NULL;
    }
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(s);
    Py_ssize_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v =
            ((uint32_t)b.p[i] << 16) | ((uint32_t)b.p[i + 1] << 8) | b.p[i + 2];
        *out++ = (Py_UCS1)alphabet[(v >> 18) & 63];
        *out++ = (Py_UCS1)alphabet[(v >> 12) & 63];
        *out++ = (Py_UCS1)alphabet[(v >> 6) & 63];
        *out++ = (Py_UCS1)alphabet[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)b.p[i] << 16;
        if (i + 1 < n) {
            v |= (uint32_t)b.p[i + 1] << 8;
        }
        *out++ = (Py_UCS1)alphabet[(v >> 18) & 63];
        *out++ = (Py_UCS1)alphabet[(v >> 12) & 63];
        *out++ = (Py_UCS1)(i + 1 < n ? alphabet[(v >> 6) & 63] : '=');
        *out++ = '=';
    }
    return s;
}

PyObject *
otlp_text_or_none(Buf b, int present)
{
    if (!present || b.p == b.end) {
        return Py_NewRef(Py_None);
    }
    return otlp_text(b);
}

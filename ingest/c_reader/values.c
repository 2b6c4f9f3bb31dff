/* OTLP AnyValues and attribute lists: see values.h. */
#include "values.h"

#include <string.h>

/* AnyValues nested deeper than this are left to the protobuf library. */
#define MAX_DEPTH 16

static PyObject *any_value(Buf b, int depth);

/* KeyValue: its key (new reference) and its value (None when absent). */
static int
key_value(Buf b, int depth, PyObject **key, PyObject **value)
{
    Field f;
    int r;
    Buf value_bytes = {NULL, NULL};
    int has_value = 0;
    Buf key_bytes = {NULL, NULL};
    while ((r = otlp_next_field(&b, &f)) == 0) {
        if (f.field == 1 && f.wire == WT_LEN) {
            key_bytes = f.bytes;
        }
        else if (f.field == 2 && f.wire == WT_LEN && !has_value) {
            value_bytes = f.bytes;
            has_value = 1;
        }
        else {
            return -1;
        }
    }
    if (r < 0) {
        return -1;
    }
    *key = key_bytes.p ? otlp_text(key_bytes) : PyUnicode_FromStringAndSize("", 0);
    if (*key == NULL) {
        return -1;
    }
    if (has_value) {
        *value = any_value(value_bytes, depth);
    }
    else {
        *value = Py_NewRef(Py_None);
    }
    if (*value == NULL) {
        Py_CLEAR(*key);
        return -1;
    }
    return 0;
}

/* ArrayValue as a list, KeyValueList as a dict (nested, not spread). */
static PyObject *
array_value(Buf b, int depth)
{
    Field f;
    int r;
    PyObject *list = PyList_New(0);
    if (list == NULL) {
        return NULL;
    }
    while ((r = otlp_next_field(&b, &f)) == 0) {
        if (f.field != 1 || f.wire != WT_LEN) {
            goto fail;
        }
        PyObject *item = any_value(f.bytes, depth + 1);
        if (item == NULL || PyList_Append(list, item) < 0) {
            Py_XDECREF(item);
            goto fail;
        }
        Py_DECREF(item);
    }
    if (r == 1) {
        return list;
    }
fail:
    Py_DECREF(list);
    return NULL;
}

static PyObject *
kvlist_value(Buf b, int depth)
{
    Field f;
    int r;
    PyObject *dict = PyDict_New();
    if (dict == NULL) {
        return NULL;
    }
    while ((r = otlp_next_field(&b, &f)) == 0) {
        PyObject *key, *value;
        if (f.field != 1 || f.wire != WT_LEN) {
            goto fail;
        }
        if (key_value(f.bytes, depth + 1, &key, &value) < 0) {
            goto fail;
        }
        int failed = PyDict_SetItem(dict, key, value);
        Py_DECREF(key);
        Py_DECREF(value);
        if (failed) {
            goto fail;
        }
    }
    if (r == 1) {
        return dict;
    }
fail:
    Py_DECREF(dict);
    return NULL;
}

static PyObject *
any_value(Buf b, int depth)
{
    Field f;
    int r;
    if (depth > MAX_DEPTH) {
        return NULL;
    }
    r = otlp_next_field(&b, &f);
    if (r == 1) {
        return Py_NewRef(Py_None); /* no member set */
    }
    if (r < 0) {
        return NULL;
    }
    Buf rest = b;
    Field extra;
    if (otlp_next_field(&rest, &extra) != 1) {
        return NULL; /* a second member, or trailing garbage */
    }
    switch (f.field) {
    case 1:
        return f.wire == WT_LEN ? otlp_text(f.bytes) : NULL;
    case 2:
        return f.wire == WT_VARINT ? PyBool_FromLong(f.number != 0) : NULL;
    case 3:
        return f.wire == WT_VARINT ? PyLong_FromLongLong((int64_t)f.number) : NULL;
    case 4: {
        double d;
        if (f.wire != WT_I64) {
            return NULL;
        }
        memcpy(&d, &f.number, 8);
        return PyFloat_FromDouble(d);
    }
    case 5:
        return f.wire == WT_LEN ? array_value(f.bytes, depth) : NULL;
    case 6:
        return f.wire == WT_LEN ? kvlist_value(f.bytes, depth) : NULL;
    case 7:
        return f.wire == WT_LEN ? otlp_base64(f.bytes) : NULL;
    default:
        return NULL;
    }
}

/* ingest.attributes.put: a dict value spreads into dotted keys. */
static int
put(PyObject *out, PyObject *key, PyObject *value)
{
    if (!PyDict_CheckExact(value)) {
        return PyDict_SetItem(out, key, value);
    }
    Py_ssize_t pos = 0;
    PyObject *sub, *item;
    while (PyDict_Next(value, &pos, &sub, &item)) {
        PyObject *dotted = PyUnicode_FromFormat("%U.%U", key, sub);
        if (dotted == NULL) {
            return -1;
        }
        int failed = put(out, dotted, item);
        Py_DECREF(dotted);
        if (failed) {
            return -1;
        }
    }
    return 0;
}

/* One KeyValue of a repeated attributes field, added to `out`. */
int
otlp_add_attribute(PyObject *out, Buf kv)
{
    PyObject *key, *value;
    if (key_value(kv, 0, &key, &value) < 0) {
        return -1;
    }
    int failed = put(out, key, value);
    Py_DECREF(key);
    Py_DECREF(value);
    return failed;
}

PyObject *
otlp_resource_attributes(Buf b)
{
    Field f;
    int r;
    PyObject *out = PyDict_New();
    if (out == NULL) {
        return NULL;
    }
    while ((r = otlp_next_field(&b, &f)) == 0) {
        if (f.field == 1 && f.wire == WT_LEN) {
            if (otlp_add_attribute(out, f.bytes) < 0) {
                goto fail;
            }
        }
        else if (!(f.field == 2 && f.wire == WT_VARINT)) {
            goto fail;
        }
    }
    if (r == 1) {
        return out;
    }
fail:
    Py_DECREF(out);
    return NULL;
}

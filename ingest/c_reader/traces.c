/*
 * A fast reader for OTLP ExportTraceServiceRequest bodies: the wire format read
 * straight into the records that ingest.otlp_protobuf builds, without a message
 * object per attribute.
 *
 * It reads only what it knows exactly and declines everything else: the
 * caller then decodes the body with the protobuf library, which decides what
 * is valid and what is rejected. So `read_traces` returns either the records
 * that path would build, in the same order and with the same values, or None.
 * It declines on: any field or wire type not in the opentelemetry-proto
 * schema below (newer fields, groups, unknown numbers), a singular message
 * field or AnyValue member seen twice (protobuf would merge them), malformed
 * varints, lengths past the end, invalid UTF-8 in any string field, AnyValues
 * nested deeper than 16 levels, and any span the Python path would reject or
 * treat specially (ids of the wrong length, enums outside int16, times past
 * int64).
 *
 * Field numbers are from opentelemetry-proto: collector/trace/v1,
 * trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto.
 */
#include "values.h"
#include "wire.h"

#include <string.h>

static PyObject *
origin(PyObject *origin_type, PyObject *resource, Buf scope, int has_scope)
{
    Field f;
    int r;
    Buf name = {NULL, NULL}, version = {NULL, NULL};
    int has_name = 0, has_version = 0;
    PyObject *args[4] = {resource, NULL, NULL, NULL};
    PyObject *result = NULL;
    PyObject *attributes = PyDict_New();
    if (attributes == NULL) {
        return NULL;
    }
    while (has_scope && (r = otlp_next_field(&scope, &f)) == 0) {
        if (f.field == 1 && f.wire == WT_LEN) {
            name = f.bytes;
            has_name = 1;
        }
        else if (f.field == 2 && f.wire == WT_LEN) {
            version = f.bytes;
            has_version = 1;
        }
        else if (f.field == 3 && f.wire == WT_LEN) {
            if (otlp_add_attribute(attributes, f.bytes) < 0) {
                goto done;
            }
        }
        else if (!(f.field == 4 && f.wire == WT_VARINT)) {
            goto done;
        }
    }
    if (has_scope && r < 0) {
        goto done;
    }
    args[1] = otlp_text_or_none(name, has_name);
    args[2] = args[1] ? otlp_text_or_none(version, has_version) : NULL;
    args[3] = attributes;
    if (args[2] != NULL) {
        result = PyObject_Vectorcall(origin_type, args, 4, NULL);
    }
    Py_XDECREF(args[1]);
    Py_XDECREF(args[2]);
done:
    Py_DECREF(attributes);
    return result;
}

/* {first: a, second: b, "attributes": attributes}, in that order, as the
 * protobuf path builds events and links. Takes the references to `a` and `b`
 * (NULL when making them failed or declined). */
static PyObject *
item_dict(const char *first, PyObject *a, const char *second, PyObject *b,
          PyObject *attributes)
{
    if (a == NULL || b == NULL) {
        Py_XDECREF(a);
        Py_XDECREF(b);
        return NULL;
    }
    return Py_BuildValue("{s:N,s:N,s:O}", first, a, second, b, "attributes",
                         attributes);
}

/* Span.Event as {"name", "time_unix_nano", "attributes"}. */
static PyObject *
span_event(Buf b)
{
    Field f;
    int r;
    uint64_t time = 0;
    Buf name = {NULL, NULL};
    PyObject *dict = NULL;
    PyObject *attributes = PyDict_New();
    if (attributes == NULL) {
        return NULL;
    }
    while ((r = otlp_next_field(&b, &f)) == 0) {
        if (f.field == 1 && f.wire == WT_I64) {
            time = f.number;
        }
        else if (f.field == 2 && f.wire == WT_LEN) {
            name = f.bytes;
        }
        else if (f.field == 3 && f.wire == WT_LEN) {
            if (otlp_add_attribute(attributes, f.bytes) < 0) {
                goto done;
            }
        }
        else if (!(f.field == 4 && f.wire == WT_VARINT)) {
            goto done;
        }
    }
    if (r < 0) {
        goto done;
    }
    dict = item_dict(
        "name", name.p ? otlp_text(name) : PyUnicode_FromStringAndSize("", 0),
        "time_unix_nano", PyLong_FromUnsignedLongLong(time), attributes);
done:
    Py_DECREF(attributes);
    return dict;
}

/* Span.Link as {"trace_id", "span_id", "attributes"}, ids hex of any length. */
static PyObject *
span_link(Buf b)
{
    Field f;
    int r;
    Buf trace = {NULL, NULL}, span = {NULL, NULL};
    PyObject *dict = NULL;
    PyObject *attributes = PyDict_New();
    if (attributes == NULL) {
        return NULL;
    }
    while ((r = otlp_next_field(&b, &f)) == 0) {
        if (f.field == 1 && f.wire == WT_LEN) {
            trace = f.bytes;
        }
        else if (f.field == 2 && f.wire == WT_LEN) {
            span = f.bytes;
        }
        else if (f.field == 3 && f.wire == WT_LEN) {
            if (otlp_valid_text(f.bytes) < 0) {
                goto done;
            }
        }
        else if (f.field == 4 && f.wire == WT_LEN) {
            if (otlp_add_attribute(attributes, f.bytes) < 0) {
                goto done;
            }
        }
        else if (!((f.field == 5 && f.wire == WT_VARINT) ||
                   (f.field == 6 && f.wire == WT_I32))) {
            goto done;
        }
    }
    if (r < 0) {
        goto done;
    }
    dict = item_dict("trace_id", otlp_hex(trace), "span_id", otlp_hex(span),
                     attributes);
done:
    Py_DECREF(attributes);
    return dict;
}

/* Status: its code (an enum within int16) and its message. */
static int
status(Buf b, int32_t *code, Buf *message, int *has_message)
{
    Field f;
    int r;
    while ((r = otlp_next_field(&b, &f)) == 0) {
        if (f.field == 2 && f.wire == WT_LEN) {
            *message = f.bytes;
            *has_message = 1;
        }
        else if (f.field == 3 && f.wire == WT_VARINT) {
            if (!otlp_fits_int16(f.number, code)) {
                return -1;
            }
        }
        else {
            return -1;
        }
    }
    return r < 0 ? -1 : 0;
}

enum {
    S_ORIGIN, S_TRACE, S_SPAN, S_PARENT, S_NAME, S_KIND, S_START, S_END,
    S_CODE, S_MESSAGE, S_ATTRIBUTES, S_EVENTS, S_LINKS, S_COUNT
};

static int
append_to(PyObject **list, PyObject *item)
{
    if (item == NULL) {
        return -1;
    }
    if (*list == NULL && (*list = PyList_New(0)) == NULL) {
        Py_DECREF(item);
        return -1;
    }
    int failed = PyList_Append(*list, item);
    Py_DECREF(item);
    return failed;
}

static PyObject *
read_span(PyObject *span_type, PyObject *origin_obj, Buf b)
{
    Field f;
    int r;
    Buf trace = {NULL, NULL}, span_id = {NULL, NULL}, parent = {NULL, NULL};
    Buf name = {NULL, NULL}, message = {NULL, NULL}, status_bytes = {NULL, NULL};
    uint64_t start = 0, end = 0;
    int32_t kind = 0, code = 0;
    int has_status = 0, has_message = 0, kind_fits = 1;
    PyObject *args[S_COUNT] = {NULL};
    PyObject *result = NULL;

    args[S_ATTRIBUTES] = PyDict_New();
    if (args[S_ATTRIBUTES] == NULL) {
        return NULL;
    }
    while ((r = otlp_next_field(&b, &f)) == 0) {
        switch (f.wire == WT_LEN ? f.field : 0) {
        case 1:
            trace = f.bytes;
            continue;
        case 2:
            span_id = f.bytes;
            continue;
        case 3:
            if (otlp_valid_text(f.bytes) < 0) {
                goto done;
            }
            continue;
        case 4:
            parent = f.bytes;
            continue;
        case 5:
            name = f.bytes;
            continue;
        case 9:
            if (otlp_add_attribute(args[S_ATTRIBUTES], f.bytes) < 0) {
                goto done;
            }
            continue;
        case 11:
            if (append_to(&args[S_EVENTS], span_event(f.bytes)) < 0) {
                goto done;
            }
            continue;
        case 13:
            if (append_to(&args[S_LINKS], span_link(f.bytes)) < 0) {
                goto done;
            }
            continue;
        case 15:
            if (has_status) {
                goto done;
            }
            status_bytes = f.bytes;
            has_status = 1;
            continue;
        case 0:
            break; /* not length-delimited: below */
        default:
            goto done;
        }
        if (f.wire == WT_VARINT && f.field == 6) {
            kind_fits = otlp_fits_int16(f.number, &kind);
        }
        else if (f.wire == WT_I64 && f.field == 7) {
            start = f.number;
        }
        else if (f.wire == WT_I64 && f.field == 8) {
            end = f.number;
        }
        else if (!((f.wire == WT_VARINT && (f.field == 10 || f.field == 12 ||
                                            f.field == 14)) ||
                   (f.wire == WT_I32 && f.field == 16))) {
            goto done;
        }
    }
    if (r < 0 || trace.end - trace.p != 16 || span_id.end - span_id.p != 8 ||
        !kind_fits || start > INT64_MAX || end > INT64_MAX) {
        goto done; /* the Python path rejects these, with its reasons */
    }
    if (has_status && status(status_bytes, &code, &message, &has_message) < 0) {
        goto done;
    }
    args[S_ORIGIN] = Py_NewRef(origin_obj);
    if ((args[S_TRACE] = otlp_hex(trace)) == NULL ||
        (args[S_SPAN] = otlp_hex(span_id)) == NULL) {
        goto done;
    }
    args[S_PARENT] = parent.end - parent.p == 8 ? otlp_hex(parent) : Py_NewRef(Py_None);
    if (args[S_PARENT] == NULL) {
        goto done;
    }
    args[S_NAME] = name.p ? otlp_text(name) : PyUnicode_FromStringAndSize("", 0);
    if (args[S_NAME] == NULL ||
        (args[S_KIND] = PyLong_FromLong(kind)) == NULL ||
        (args[S_START] = PyLong_FromUnsignedLongLong(start)) == NULL ||
        (args[S_END] = PyLong_FromUnsignedLongLong(end)) == NULL ||
        (args[S_CODE] = PyLong_FromLong(code)) == NULL ||
        (args[S_MESSAGE] = otlp_text_or_none(message, has_message)) == NULL) {
        goto done;
    }
    if (args[S_EVENTS] == NULL && (args[S_EVENTS] = PyList_New(0)) == NULL) {
        goto done;
    }
    if (args[S_LINKS] == NULL && (args[S_LINKS] = PyList_New(0)) == NULL) {
        goto done;
    }
    result = PyObject_Vectorcall(span_type, args, S_COUNT, NULL);
done:
    for (int i = 0; i < S_COUNT; i++) {
        Py_XDECREF(args[i]);
    }
    return result;
}

/* ResourceSpans and ScopeSpans have one shape: field 1 their head (resource or
 * scope, which may come after the children), 2 the repeated children, 3 a
 * schema URL. Checks the block and finds the head, absent or once. */
static int
block_head(Buf b, Buf *head, int *has_head)
{
    Field f;
    int r;
    *has_head = 0;
    while ((r = otlp_next_field(&b, &f)) == 0) {
        if (f.wire != WT_LEN || f.field > 3) {
            return -1;
        }
        if (f.field == 1) {
            if (*has_head) {
                return -1;
            }
            *head = f.bytes;
            *has_head = 1;
        }
        else if (f.field == 3 && otlp_valid_text(f.bytes) < 0) {
            return -1;
        }
    }
    return r < 0 ? -1 : 0;
}

/* ScopeSpans: its origin, then its spans in order. */
static int
scope_spans(PyObject *types[2], PyObject *resource, Buf b, PyObject *out)
{
    Field f;
    Buf scope = {NULL, NULL};
    int has_scope;
    if (block_head(b, &scope, &has_scope) < 0) {
        return -1;
    }
    PyObject *origin_obj = origin(types[0], resource, scope, has_scope);
    if (origin_obj == NULL) {
        return -1;
    }
    while (otlp_next_field(&b, &f) == 0) {
        if (f.field != 2) {
            continue;
        }
        PyObject *record = read_span(types[1], origin_obj, f.bytes);
        if (record == NULL || PyList_Append(out, record) < 0) {
            Py_XDECREF(record);
            Py_DECREF(origin_obj);
            return -1;
        }
        Py_DECREF(record);
    }
    Py_DECREF(origin_obj);
    return 0;
}

/* ResourceSpans: its resource's attributes, shared by its scope blocks. */
static int
resource_spans(PyObject *types[2], Buf b, PyObject *out)
{
    Field f;
    Buf resource = {NULL, NULL};
    int has_resource;
    if (block_head(b, &resource, &has_resource) < 0) {
        return -1;
    }
    PyObject *attributes =
        has_resource ? otlp_resource_attributes(resource) : PyDict_New();
    if (attributes == NULL) {
        return -1;
    }
    while (otlp_next_field(&b, &f) == 0) {
        if (f.field == 2 && scope_spans(types, attributes, f.bytes, out) < 0) {
            Py_DECREF(attributes);
            return -1;
        }
    }
    Py_DECREF(attributes);
    return 0;
}

static PyObject *
read_traces(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer view;
    Field f;
    int r;
    (void)module;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError,
                        "read_traces(body, origin_type, span_type) takes 3 arguments");
        return NULL;
    }
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    PyObject *types[2] = {args[1], args[2]};
    Buf b = {(const uint8_t *)view.buf, (const uint8_t *)view.buf + view.len};
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    while ((r = otlp_next_field(&b, &f)) == 0) {
        if (f.field != 1 || f.wire != WT_LEN ||
            resource_spans(types, f.bytes, out) < 0) {
            r = -1;
            break;
        }
    }
    PyBuffer_Release(&view);
    if (r < 0) {
        Py_DECREF(out);
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    return out;
}

static PyMethodDef methods[] = {
    {"read_traces", (PyCFunction)(void (*)(void))read_traces, METH_FASTCALL,
     "read_traces(body, origin_type, span_type) -> list | None\n\n"
     "The SpanRecords of an ExportTraceServiceRequest, or None when the body "
     "holds anything this reader does not handle exactly."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "ingest._otlp_traces",
    .m_doc = "A fast reader for OTLP trace export requests.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__otlp_traces(void)
{
    return PyModule_Create(&module);
}

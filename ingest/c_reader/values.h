/*
 * OTLP attribute lists into the flat dicts of ingest.attributes.pb_attributes:
 * a kvlist spreads into dotted keys, an array stays a list, bytes become
 * base64 text, an absent value is None.
 */
#ifndef STEREOS_OTLP_VALUES_H
#define STEREOS_OTLP_VALUES_H

#include "wire.h"

/* One KeyValue of a repeated attributes field, added to the dict `out`. */
int otlp_add_attribute(PyObject *out, Buf kv);

/* A Resource message's attributes as a new dict. */
PyObject *otlp_resource_attributes(Buf b);

#endif

"""Errors raised while reading an OTLP request.

IngestError
 +-- UnsupportedMediaType   a content type or encoding we do not read (415)
 +-- PayloadTooLarge        the body passes the size limit once inflated (413)
 +-- UndecodableBody        the body is not a valid OTLP request (400)
"""


class IngestError(Exception):
    """Base class of every ingest error; the message is safe to show a sender."""


class UnsupportedMediaType(IngestError):
    """The request's Content-Type or Content-Encoding is not supported."""


class PayloadTooLarge(IngestError):
    """The body is larger than the configured limit after decompression."""


class UndecodableBody(IngestError):
    """The body cannot be read as the OTLP request its content type names."""

"""Pure OTLP decoding and normalisation: bytes in, normalised rows out."""

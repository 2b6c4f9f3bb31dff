"""The HTTP face of Stereos: OTLP ingest routes and the JSON API."""

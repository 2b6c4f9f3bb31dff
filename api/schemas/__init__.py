"""Request and response bodies of the JSON API, in families per resource."""

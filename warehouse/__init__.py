"""Everything Stereos keeps at rest: schema, the log, identity, lake and marts."""

"""The Dagster code location: assets, checks, sensors and schedules of Stereos."""

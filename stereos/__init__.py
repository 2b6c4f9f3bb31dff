"""Stereos: team-level visibility into LLM apps and coding agents."""

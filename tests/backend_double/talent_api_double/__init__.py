"""Stand-in for the talent-api backend and for its fallback LLM provider."""

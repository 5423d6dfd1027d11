"""The 95588 agent console: server-rendered pages over the same services the API calls (no rule of its own)."""

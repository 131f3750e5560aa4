"""LLM backends: the answer model, requests, transport, the backend, the Batch API, the cache."""

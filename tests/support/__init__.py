"""Test helpers: scripted OpenAI-compatible servers, a llama.cpp server, model answers."""

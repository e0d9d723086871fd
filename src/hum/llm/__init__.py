"""Chat-model backends: an embedded llama.cpp model by default, any GGUF or OpenAI-compatible server by config."""

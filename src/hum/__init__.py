"""hum: reproducible synthesis of large, diverse NLU instruction corpora."""

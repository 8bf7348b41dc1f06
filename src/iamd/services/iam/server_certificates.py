"""Server certificates (PEM, checked with cryptography)."""

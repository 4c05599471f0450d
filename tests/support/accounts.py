"""The family login every test uses, and a cookie key the app accepts."""

USER = "mum"
PASSWORD = "correct horse battery"
# 32 random bytes, hex: what `openssl rand -hex 32` prints (the app refuses weak keys).
COOKIE_KEY = "5f0c3e9a1b7d4c2e8f6a0b3d5c7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e"

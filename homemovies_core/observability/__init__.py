"""What an operator sees of a running app: Prometheus metrics and structured log lines.

- `metrics`: every figure /metrics shows, declared once; label values from fixed sets only.
- `context`: the request id (and page, user) that every log line about a request carries.
- `logs`: the log handler: text for people, or one JSON object per line for a collector.

Core: nothing here imports Streamlit or Starlette. The HTTP side is `web/observe.py` and
`web/metrics_route.py`; the Streamlit side (script runs, sessions) is `ui/observe.py`.
"""

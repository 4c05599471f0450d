# Home Movies. Build: docker build -t home-movies .
# Run:   docker run -p 8501:8501 home-movies --bucket B --username U --password P --cookie_key K
# Two replicas + Redis + HAProxy for self-hosters: deploy/compose.yaml.
# Linted by tests/test_deploy.py with hadolint (no rule is ignored).

FROM node:20-bookworm-slim AS player
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim-bookworm
# HOME is set explicitly because the user below is given by number (see USER).
# uvicorn (under streamlit run) believes X-Forwarded-* from nobody: the app reads them itself,
# from --trusted_proxies only (web/proxy_headers.py).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 HOME=/home/app FORWARDED_ALLOW_IPS=""
RUN useradd --create-home --uid 10001 app
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY --from=player /build/node_modules ./node_modules
COPY package.json package-lock.json Home.py ./
COPY .streamlit ./.streamlit
COPY homemovies_core ./homemovies_core
COPY pages ./pages
# Where uploads and the movies added from browsers go when the library is read-only
# (--uploads_dir; deploy/compose.yaml mounts a volume here, which starts as this folder).
RUN mkdir /uploads && chown 10001:10001 /uploads
# A numeric user: Kubernetes' runAsNonRoot can only verify a number, and the host needs no
# matching passwd entry. Mounted libraries must be readable by uid 10001.
USER 10001
EXPOSE 8501
# Python's own urllib instead of curl: nothing from apt is needed (and none to pin), and the
# exec form runs without a shell. An HTTP error or refused connection raises -> exit 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/health', timeout=4)"]
ENTRYPOINT ["streamlit", "run", "Home.py", "--server.port=8501", "--server.address=0.0.0.0", "--"]

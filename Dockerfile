# Home Movies. Build: docker build -t home-movies .
# Run:   docker run -p 8501:8501 home-movies --bucket B --username U --password P --cookie_key K

FROM node:20-slim AS player
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 app
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY --from=player /build/node_modules ./node_modules
COPY package.json package-lock.json Home.py ./
COPY .streamlit ./.streamlit
COPY homemovies_core ./homemovies_core
COPY pages ./pages
USER app
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8501/health || exit 1
ENTRYPOINT ["streamlit", "run", "Home.py", "--server.port=8501", "--server.address=0.0.0.0", "--"]

# fase-hub image: Airflow 3.3 with the hub installed from the same lock file `make` uses.
# Stage 1: the console's front-end assets, vendored from npm at pinned, integrity-checked versions.
FROM node:20.19.0-bookworm AS vendor
WORKDIR /src
COPY vendor/manifest.json vendor/fetch.py vendor/
RUN python3 vendor/fetch.py

FROM apache/airflow:3.3.2-python3.11
USER root
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
USER airflow
WORKDIR /opt/fase-hub
COPY --chown=airflow:root requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir uv==0.13.9 && uv pip install --no-cache -r requirements.lock
COPY --chown=airflow:root . .
COPY --from=vendor --chown=airflow:root /src/vendor/dist vendor/dist
RUN uv pip install --no-cache --no-deps -e .
ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/fase-hub/dags \
    FASE_CONFIG=/opt/fase-hub/config/production.yaml

FROM python:3.11-slim
WORKDIR /app
# Official documents as PDF (ADR 034): WeasyPrint's Pango and the free CJK fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       fonts-arphic-uming fonts-arphic-ukai fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
# The runtime lock alone first: this layer is rebuilt only when the lock changes (ADR 017).
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY infra ./infra
COPY projections ./projections
COPY api ./api
# Installed as root, run as a system user who owns only the data directory
# (SUPERVISION_DATA_DIR, ./var from /app): the signing key, the admin token and, without
# SUPERVISION_DATABASE_URL, the embedded PostgreSQL (which refuses to run as root anyway).
RUN pip install --no-cache-dir --no-deps . \
    && useradd --system --user-group --create-home --shell /usr/sbin/nologin supervision \
    && mkdir -p /app/var \
    && chown supervision:supervision /app/var
USER supervision
ENV SUPERVISION_HOST=0.0.0.0 SUPERVISION_PORT=8000
EXPOSE 8000
CMD ["sh", "-c", "supervision migrate && supervision serve"]

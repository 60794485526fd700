FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY infra ./infra
COPY projections ./projections
COPY api ./api
RUN pip install --no-cache-dir .
ENV SUPERVISION_HOST=0.0.0.0 SUPERVISION_PORT=8000
EXPOSE 8000
CMD ["sh", "-c", "supervision migrate && supervision serve"]

# The API, its Celery worker and beat from one image, installed as a wheel: nothing runs from the checkout.
#   docker build -t thangngoen .
#   docker compose up        (compose.yaml: PostgreSQL, Redis, migrate, api, worker, beat)
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 THANGNGOEN_INSTANCE=/var/lib/thangngoen
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --home-dir /var/lib/thangngoen --create-home thangngoen
USER thangngoen
WORKDIR /var/lib/thangngoen
EXPOSE 8000
# the same commands as README.md and deploy/systemd/
CMD ["gunicorn", "--workers", "4", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "console.wsgi:app"]

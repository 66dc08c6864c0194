# order-sandbox as a container: one process (granian in front, the app on threads), non-root, fixtures inside the wheel.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY sandbox ./sandbox
COPY fixtures ./fixtures
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 sandbox
COPY --from=build /wheels /wheels
COPY requirements.lock /wheels/
# The dependencies exactly as locked (versions and hashes), then the sandbox itself without resolving anything.
RUN pip install --no-cache-dir --require-hashes -r /wheels/requirements.lock \
 && pip install --no-cache-dir --no-deps /wheels/*.whl && rm -rf /wheels
USER sandbox
ENV SANDBOX_HOST=0.0.0.0 SANDBOX_PORT=8080 SANDBOX_ALLOWED_HOSTS=sandbox PYTHONUNBUFFERED=1
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD python -c "import os,urllib.request;urllib.request.urlopen('http://127.0.0.1:%s/__sandbox/health' % os.environ.get('SANDBOX_PORT','8080'),timeout=2)"
CMD ["sandbox", "serve"]

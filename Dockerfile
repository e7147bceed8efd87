FROM python:3.12-slim
RUN pip install --no-cache-dir uv
WORKDIR /srv/herald
COPY pyproject.toml README.md schema.sql ./
COPY app ./app
COPY workers ./workers
# Editable, so the app reads schema.sql from the source tree it was built from.
RUN uv pip install --system --no-cache -e .
ENV HERALD_HOST=0.0.0.0 HERALD_PORT=8000
EXPOSE 8000
CMD ["herald", "serve"]

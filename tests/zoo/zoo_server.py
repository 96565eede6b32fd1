"""A stand-in for the zoo's download server on 127.0.0.1, and archives in the zoo's layout.

Tests point ``TFOD_SWEEP_ZOO_MIRROR`` at it, so no test needs the internet.
"""

from __future__ import annotations

import io
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class ZooServer:
    """Serves ``files`` (URL path -> bytes); ``short`` paths promise more bytes than sent."""

    port: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    short: set[str] = field(default_factory=set)
    hits: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serve() -> Iterator[ZooServer]:
    """Run a ZooServer in a thread until the block ends."""
    state = ZooServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            state.hits.append(self.path)
            body = state.files.get(self.path)
            if body is None:
                self.send_error(404, "Not Found")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-tar")
            promised = len(body) * 2 if self.path in state.short else len(body)
            self.send_header("Content-Length", str(promised))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def zoo_archive(name: str, checkpoint: dict[str, bytes], pipeline_config: bytes,
                saved_model: bool = True) -> bytes:
    """A ``.tar.gz`` laid out as the zoo's: ``<name>/checkpoint/...``, ``pipeline.config``,
    ``saved_model/saved_model.pb``; ``checkpoint`` maps file names to their bytes."""
    members = {f"{name}/checkpoint/{file}": data for file, data in checkpoint.items()}
    members[f"{name}/pipeline.config"] = pipeline_config
    if saved_model:
        members[f"{name}/saved_model/saved_model.pb"] = b"\x08\x01"
        members[f"{name}/saved_model/variables/variables.index"] = b""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, data in members.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def checkpoint_files(prefix: Path, as_name: str = "ckpt-0") -> dict[str, bytes]:
    """A real checkpoint's files (``prefix``.index and its data shards) renamed ``as_name``,
    with the ``checkpoint`` state file the zoo ships beside them."""
    files = {f"{as_name}{path.name[len(prefix.name):]}": path.read_bytes()
             for path in prefix.parent.glob(prefix.name + ".*")}
    files["checkpoint"] = (f'model_checkpoint_path: "{as_name}"\n'
                           f'all_model_checkpoint_paths: "{as_name}"\n').encode()
    return files

"""Spice's Python runtime shim: one function instance, driven by the engine over fd 0.

Started as ``python3 -B spice_runtime.py HANDLER CODE_DIR``; the protocol is
docs/runtime-protocol.md. The process is snapshotted with ptrace while it blocks in
read(0, ...), so everything here stays single-threaded, starts no child process and keeps no
descriptor open besides 0-2. Protocol frames go to fd 0 only: fds 1 and 2 are log pipes.
"""
import gc
import importlib
import io
import json
import logging
import os
import random
import sys
import time
import traceback

_START = time.perf_counter()
_SHIM_FILE = os.path.abspath(__file__)
# Responses normally go back over fd 0, a socket. With SPICE_RESPONSE_FD=1 the channel is two
# pipes instead (requests on 0, responses on 1), for the benchmark's CRIU comparison: CRIU
# cannot dump a stream socket whose peer is outside the dumped process.
_RESPONSE_FD = int(os.environ.get("SPICE_RESPONSE_FD", "0"))
_MAX_FRAME = 64 * 1024 * 1024
_LOG_TAIL = 1024 * 1024
_LOG_LEVELS = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO,
               "WARN": logging.WARNING, "ERROR": logging.ERROR, "FATAL": logging.CRITICAL}


class _ProtocolError(Exception):
    """The engine sent something that is not a frame: the instance cannot go on."""


class _Invocation:
    """The request being served; whatever the function writes meanwhile belongs to its log."""

    def __init__(self, request_id):
        self.request_id = request_id
        self.log = []


_current = None  # the running _Invocation; None between requests


def _write_all(fd, data):
    """os.write may write less than asked (a full pipe or socket buffer), so loop."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(size):
    """Reads size bytes from fd 0; returns fewer only if the engine closed its end."""
    chunks = []
    while size:
        chunk = os.read(0, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _receive():
    """Returns the next request, or None if the engine closed the channel between frames."""
    header = _read_exactly(4)
    if not header:
        return None
    if len(header) < 4:
        raise _ProtocolError("end of file inside a frame header")
    length = int.from_bytes(header, "big")
    if length > _MAX_FRAME:
        raise _ProtocolError(f"frame of {length} bytes exceeds 64 MiB")
    body = _read_exactly(length)
    if len(body) < length:
        raise _ProtocolError(f"end of file after {len(body)} of {length} bytes")
    try:
        request = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise _ProtocolError(f"frame is not UTF-8 JSON: {exc}") from None
    if not isinstance(request, dict):
        raise _ProtocolError("frame is not a JSON object")
    return request


def _encode(message):
    """Strict JSON (no NaN or Infinity), so that the engine's parser always accepts it."""
    return json.dumps(message, allow_nan=False).encode("utf-8")


def _send(body):
    _write_all(_RESPONSE_FD, len(body).to_bytes(4, "big") + body)


class _Output(io.TextIOBase):
    """Stands in for sys.stdout/sys.stderr: text goes to the running invocation's log, or
    straight to the real descriptor between invocations (os.write, so nothing lingers in a
    buffer that would be snapshotted). io.TextIOBase supplies flush, isatty and fileno."""

    encoding = "utf-8"
    errors = "backslashreplace"

    def __init__(self, fd):
        super().__init__()
        self._fd = fd

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if _current is not None:
            _current.log.append(text)
        else:
            _write_all(self._fd, text.encode(self.encoding, self.errors))
        return len(text)


class _LambdaFormatter(logging.Formatter):
    """Lambda's layout: [LEVEL]<tab>UTC time with milliseconds<tab>request id<tab>message."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self):
        super().__init__("[%(levelname)s]\t%(asctime)s\t%(aws_request_id)s\t%(message)s")

    def format(self, record):
        record.aws_request_id = _current.request_id if _current is not None else ""
        return super().format(record)


def _install_output():
    """Routes Python-level output before user code runs. The root logger gets its handler
    first, so a logging.basicConfig() in the function's module is a no-op, as on Lambda."""
    sys.stdout, sys.stderr = _Output(2 if _RESPONSE_FD == 1 else 1), _Output(2)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LambdaFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    root.setLevel(_LOG_LEVELS.get(level, logging.INFO))


def _error_object(exc):
    """Lambda's error shape; the shim's own frames are noise to the function's author."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != _SHIM_FILE]
    return {"errorMessage": str(exc), "errorType": type(exc).__name__,
            "stackTrace": traceback.format_list(frames)}


def _load_handler(spec, code_dir):
    """HANDLER is module.function, where the module may itself be dotted."""
    module_name, _, function_name = spec.rpartition(".")
    sys.path.insert(0, code_dir)
    os.chdir(code_dir)
    return getattr(importlib.import_module(module_name), function_name)


class LambdaContext:
    """The handler's context argument, with the fields of AWS Lambda's Python context."""

    function_version = "$LATEST"
    identity = None
    client_context = None

    def __init__(self, request):
        name = request["function_name"]
        self.aws_request_id = request["request_id"]
        self.function_name = name
        self.memory_limit_in_mb = str(int(request["memory_mb"]))  # a string, as on Lambda
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = f"spice/{os.getpid()}"  # asked per request: restores change it
        self._deadline_ms = int(request["deadline_ms"])

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _reseed(entropy):
    """Instances restored from one snapshot share its random state until told otherwise."""
    random.seed(int.from_bytes(entropy, "big"))
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(int.from_bytes(entropy[:4], "big"))


def _run(handler, event, context):
    """Calls the handler with Python-level output captured into this invocation's log."""
    global _current
    invocation = _current = _Invocation(context.aws_request_id)
    started = time.perf_counter()
    try:
        outcome = {"ok": True, "payload": handler(event, context)}
    except Exception as exc:
        outcome = {"ok": False, "error": _error_object(exc)}
    finally:
        _current = None
    outcome["log"] = "".join(invocation.log)
    outcome["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
    return outcome


def _runtime_error(response, error_type, message):
    """Replaces a result the engine cannot receive with an error it can."""
    failed = {key: value for key, value in response.items() if key != "payload"}
    failed.update(ok=False, error={"errorMessage": message, "errorType": error_type,
                                   "stackTrace": []})
    return failed


def _invoke(handler, request):
    """Runs one invoke request. Returns the encoded reply: encoding is where a result that
    cannot be sent shows up, and such a result still gets an answer."""
    try:
        context = LambdaContext(request)
        event = request["event"]
        entropy = bytes.fromhex(request["reseed"]) if "reseed" in request else None
    except (KeyError, TypeError, ValueError) as exc:
        return _encode({"type": "error", "message": f"bad invoke request: {exc!r}"})
    if entropy is not None:
        _reseed(entropy)
    response = {"type": "result", "request_id": context.aws_request_id,
                **_run(handler, event, context)}
    try:
        body = _encode(response)
    except (TypeError, ValueError, RecursionError) as exc:
        response = _runtime_error(response, "Runtime.MarshalError",
                                  f"Unable to marshal response: {exc}")
        body = _encode(response)
    if len(body) > _MAX_FRAME:  # the engine would end the instance on an oversized frame
        response = _runtime_error(response, "Runtime.ResponseTooLarge",
                                  f"Response of {len(body)} bytes exceeds the 64 MiB frame limit")
        response["log"] = response["log"][-_LOG_TAIL:]
        body = _encode(response)
    return body


def _prepare():
    """Shrinks the heap just before the snapshot: fewer pages to save and to restore."""
    for _ in range(3):
        gc.collect()
    try:
        import ctypes  # only needed here, once per instance
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (ImportError, OSError, AttributeError):
        pass  # an untrimmed heap is only larger, not wrong
    return _encode({"type": "prepared"})


def _serve(handler):
    """Answers requests until the engine closes the channel."""
    while (request := _receive()) is not None:
        kind = request.get("type")
        if kind == "invoke":
            _send(_invoke(handler, request))
        elif kind == "prepare":
            _send(_prepare())
        else:
            _send(_encode({"type": "error", "message": f"unknown request type {kind!r}"}))


def main(argv):
    if len(argv) != 3:
        _write_all(2, b"usage: spice_runtime.py HANDLER CODE_DIR\n")
        return 2
    _install_output()
    try:
        handler = _load_handler(argv[1], argv[2])
    except Exception as exc:
        _send(_encode({"type": "init_error", "error": _error_object(exc)}))
        return 1
    _send(_encode({"type": "ready", "init_ms": round((time.perf_counter() - _START) * 1000, 3)}))
    try:
        _serve(handler)
    except _ProtocolError as exc:
        _write_all(2, f"spice_runtime: malformed frame: {exc}\n".encode("utf-8"))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

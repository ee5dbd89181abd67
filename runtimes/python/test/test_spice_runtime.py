"""Tests of the Python runtime shim, driven over a socketpair exactly as the engine drives it.

Run from the repository root:
    /usr/bin/python3 -m unittest discover -s engine/src/test/python -v
"""
import importlib.util
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import textwrap
import time
import unittest
from pathlib import Path

PYTHON = "/usr/bin/python3"
SHIM = Path(__file__).resolve().parents[1] / "spice_runtime.py"
TIMEOUT = 20

MODULES = {
    "app.py": """
        import logging
        import random
        import time

        random.seed(1)

        def echo(event, context):
            return event

        def context_fields(event, context):
            first = context.get_remaining_time_in_millis()
            time.sleep(0.05)
            second = context.get_remaining_time_in_millis()
            return {"function_name": context.function_name,
                    "memory_limit_in_mb": context.memory_limit_in_mb,
                    "aws_request_id": context.aws_request_id,
                    "function_version": context.function_version,
                    "invoked_function_arn": context.invoked_function_arn,
                    "log_group_name": context.log_group_name,
                    "log_stream_name": context.log_stream_name,
                    "identity": context.identity,
                    "client_context": context.client_context,
                    "first": first, "second": second}

        def chatty(event, context):
            print("printed", event["word"])
            print("flushed", flush=True)
            logging.info("logged %s", event["word"])
            logging.debug("debug is below the default level")
            return event["word"]

        def divide(event, context):
            return 1 / 0

        def unserialisable(event, context):
            return {1, 2}

        def not_a_number(event, context):
            return float("nan")

        def rand(event, context):
            return random.random()
    """,
    "noisy.py": """
        import logging
        logging.basicConfig(level=logging.DEBUG, format="basicConfig must not apply: %(message)s")
        print("printed at import")
        logging.warning("logged at import")

        def handler(event, context):
            logging.debug("debug %s", context.aws_request_id)
            return "ok"
    """,
    "broken.py": """
        import spice_no_such_module_for_tests
    """,
    "numpy_app.py": """
        import numpy
        numpy.random.seed(1)

        def handler(event, context):
            return float(numpy.random.random())
    """,
    "pkg/__init__.py": "",
    "pkg/mod.py": """
        def handler(event, context):
            return {"from": __name__, "event": event}
    """,
}


class Shim:
    """One shim process; the test holds the engine's end of the socketpair."""

    def __init__(self, code_dir, handler, **env):
        self.sock, child = socket.socketpair()
        self.proc = subprocess.Popen(
            [PYTHON, "-B", str(SHIM), handler, str(code_dir)],
            stdin=child.fileno(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(),
            cwd=code_dir, env={**os.environ, **env})
        child.close()
        self.sock.settimeout(TIMEOUT)

    def send(self, message):
        self.send_raw(json.dumps(message).encode("utf-8"))

    def send_raw(self, body):
        self.sock.sendall(len(body).to_bytes(4, "big") + body)

    def _recv_exactly(self, size):
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise EOFError(f"shim closed the channel after {len(data)} of {size} bytes")
            data += chunk
        return data

    def receive(self):
        length = int.from_bytes(self._recv_exactly(4), "big")
        return json.loads(self._recv_exactly(length))

    def invoke(self, event=None, request_id="req-1", reseed=None, deadline_in_ms=60_000):
        request = {"type": "invoke", "request_id": request_id, "event": event,
                   "deadline_ms": int(time.time() * 1000) + deadline_in_ms,
                   "function_name": "hello", "memory_mb": 128}
        if reseed is not None:
            request["reseed"] = reseed
        self.send(request)
        response = self.receive()
        assert response["type"] == "result" and response["request_id"] == request_id, response
        return response

    def finish(self):
        """Closes the engine's end and returns (exit status, stdout, stderr)."""
        self.sock.close()
        stdout, stderr = self.proc.communicate(timeout=TIMEOUT)
        return self.proc.returncode, stdout.decode(), stderr.decode()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()
        self.sock.close()


class ShimTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.code_dir = Path(tempfile.mkdtemp(prefix="spice-runtime-test-"))
        for name, source in MODULES.items():
            path = cls.code_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.code_dir)

    def start(self, handler, expect_ready=True, **env):
        shim = Shim(self.code_dir, handler, **env)
        self.addCleanup(shim.kill)
        if expect_ready:
            ready = shim.receive()
            self.assertEqual("ready", ready["type"], ready)
            self.assertGreater(ready["init_ms"], 0)
        return shim

    def test_invoke_returns_payload_and_event_passes_through(self):
        shim = self.start("app.echo")
        event = {"a": [1, 2.5, None, True], "b": "ünïcode"}
        response = shim.invoke(event)
        self.assertTrue(response["ok"], response)
        self.assertEqual(event, response["payload"])
        self.assertEqual("", response["log"])
        self.assertGreaterEqual(response["duration_ms"], 0)
        self.assertEqual(7, shim.invoke(7, request_id="req-2")["payload"])

    def test_context_fields(self):
        shim = self.start("app.context_fields")
        payload = shim.invoke(request_id="abc-123", deadline_in_ms=30_000)["payload"]
        self.assertEqual("hello", payload["function_name"])
        self.assertEqual("128", payload["memory_limit_in_mb"])
        self.assertEqual("abc-123", payload["aws_request_id"])
        self.assertEqual("$LATEST", payload["function_version"])
        self.assertEqual("arn:aws:lambda:us-east-1:000000000000:function:hello",
                         payload["invoked_function_arn"])
        self.assertEqual("/aws/lambda/hello", payload["log_group_name"])
        self.assertEqual(f"spice/{shim.proc.pid}", payload["log_stream_name"])
        self.assertIsNone(payload["identity"])
        self.assertIsNone(payload["client_context"])
        self.assertLessEqual(payload["first"], 30_000)
        self.assertGreater(payload["second"], 0)
        self.assertGreaterEqual(payload["first"] - payload["second"], 40)

    def test_remaining_time_never_negative(self):
        shim = self.start("app.context_fields")
        payload = shim.invoke(deadline_in_ms=-5_000)["payload"]
        self.assertEqual(0, payload["first"])
        self.assertEqual(0, payload["second"])

    def test_print_and_logging_go_to_the_invocation_log_only(self):
        shim = self.start("app.chatty")
        first = shim.invoke({"word": "alpha"}, request_id="req-a")
        second = shim.invoke({"word": "beta"}, request_id="req-b")
        self.assertIn("printed alpha\nflushed\n", first["log"])
        self.assertRegex(first["log"],
                         r"\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\treq-a\tlogged alpha\n")
        self.assertNotIn("debug", first["log"])
        self.assertNotIn("alpha", second["log"])
        self.assertIn("printed beta", second["log"])
        self.assertIn("\treq-b\tlogged beta\n", second["log"])
        status, stdout, stderr = shim.finish()
        self.assertEqual(0, status)
        self.assertEqual("", stdout)
        self.assertEqual("", stderr)

    def test_output_outside_invocations_goes_to_fds_1_and_2(self):
        shim = self.start("noisy.handler")
        self.assertEqual("", shim.invoke()["log"])
        status, stdout, stderr = shim.finish()
        self.assertEqual(0, status)
        self.assertEqual("printed at import\n", stdout)
        self.assertRegex(stderr, r"^\[WARNING\]\t\S+Z\t\tlogged at import\n$")

    def test_log_level_from_environment(self):
        shim = self.start("noisy.handler", AWS_LAMBDA_LOG_LEVEL="debug")
        self.assertIn("[DEBUG]", shim.invoke(request_id="req-d")["log"])
        self.assertIn("\treq-d\tdebug req-d\n", shim.invoke(request_id="req-d")["log"])

    def test_handler_exception(self):
        shim = self.start("app.divide")
        response = shim.invoke()
        self.assertFalse(response["ok"])
        self.assertNotIn("payload", response)
        error = response["error"]
        self.assertEqual("ZeroDivisionError", error["errorType"])
        self.assertEqual("division by zero", error["errorMessage"])
        self.assertEqual(1, len(error["stackTrace"]), error["stackTrace"])
        self.assertIn(str(self.code_dir / "app.py"), error["stackTrace"][0])
        self.assertIn("return 1 / 0", error["stackTrace"][0])
        self.assertNotIn("spice_runtime", "".join(error["stackTrace"]))
        self.assertTrue(shim.invoke(request_id="req-2")["error"])  # the instance goes on

    def test_unserialisable_result_is_a_marshal_error(self):
        shim = self.start("app.unserialisable")
        response = shim.invoke()
        self.assertFalse(response["ok"])
        self.assertEqual("Runtime.MarshalError", response["error"]["errorType"])
        self.assertEqual("Unable to marshal response: Object of type set is not JSON serializable",
                         response["error"]["errorMessage"])

    def test_nan_result_is_a_marshal_error(self):
        shim = self.start("app.not_a_number")
        self.assertEqual("Runtime.MarshalError", shim.invoke()["error"]["errorType"])

    def test_import_error_is_an_init_error(self):
        shim = self.start("broken.handler", expect_ready=False)
        message = shim.receive()
        self.assertEqual("init_error", message["type"])
        self.assertEqual("ModuleNotFoundError", message["error"]["errorType"])
        self.assertIn("spice_no_such_module_for_tests", message["error"]["errorMessage"])
        self.assertIn(str(self.code_dir / "broken.py"), "".join(message["error"]["stackTrace"]))
        self.assertNotIn("spice_runtime", "".join(message["error"]["stackTrace"]))
        self.assertEqual(1, shim.proc.wait(TIMEOUT))

    def test_missing_function_is_an_init_error(self):
        shim = self.start("app.no_such_function", expect_ready=False)
        message = shim.receive()
        self.assertEqual("init_error", message["type"])
        self.assertEqual("AttributeError", message["error"]["errorType"])
        self.assertIn("no_such_function", message["error"]["errorMessage"])
        self.assertEqual(1, shim.proc.wait(TIMEOUT))

    def test_dotted_module(self):
        shim = self.start("pkg.mod.handler")
        self.assertEqual({"from": "pkg.mod", "event": "x"}, shim.invoke("x")["payload"])

    def _random_after(self, handler, reseed):
        shim = self.start(handler)
        value = shim.invoke(reseed=reseed)["payload"]
        shim.finish()
        return value

    def test_reseed(self):
        seeded_alike = random.Random(1).random()
        self.assertEqual(seeded_alike, self._random_after("app.rand", None))
        one, two = "11" * 32, "22" * 32
        self.assertNotEqual(self._random_after("app.rand", one),
                            self._random_after("app.rand", two))
        self.assertEqual(self._random_after("app.rand", one), self._random_after("app.rand", one))
        self.assertNotEqual(seeded_alike, self._random_after("app.rand", one))

    @unittest.skipUnless(importlib.util.find_spec("numpy"), "numpy is not installed")
    def test_reseed_numpy(self):
        one, two = "11" * 32, "22" * 32
        self.assertEqual(self._random_after("numpy_app.handler", None),
                         self._random_after("numpy_app.handler", None))
        self.assertNotEqual(self._random_after("numpy_app.handler", one),
                            self._random_after("numpy_app.handler", two))
        self.assertEqual(self._random_after("numpy_app.handler", one),
                         self._random_after("numpy_app.handler", one))

    def test_prepare(self):
        shim = self.start("app.echo")
        shim.invoke(1)
        shim.send({"type": "prepare"})
        self.assertEqual({"type": "prepared"}, shim.receive())
        self.assertEqual(2, shim.invoke(2, request_id="req-2")["payload"])

    def test_unknown_and_bad_requests_get_an_error_and_the_instance_goes_on(self):
        shim = self.start("app.echo")
        shim.send({"type": "dance"})
        reply = shim.receive()
        self.assertEqual("error", reply["type"])
        self.assertIn("dance", reply["message"])
        shim.send({"type": "invoke", "event": 1})
        self.assertEqual("error", shim.receive()["type"])
        self.assertEqual(3, shim.invoke(3)["payload"])

    def test_eof_exits_0(self):
        shim = self.start("app.echo")
        shim.invoke(1)
        self.assertEqual((0, "", ""), shim.finish())

    def test_malformed_frames_exit_2(self):
        for body in (b"not json", b"[1, 2]", b"\xff\xfe{}"):
            with self.subTest(body=body):
                shim = self.start("app.echo")
                shim.send_raw(body)
                status, stdout, stderr = shim.finish()
                self.assertEqual(2, status)
                self.assertRegex(stderr, r"^spice_runtime: malformed frame: [^\n]+\n$")

    def test_oversized_frame_header_exits_2(self):
        shim = self.start("app.echo")
        shim.sock.sendall((64 * 1024 * 1024 + 1).to_bytes(4, "big"))
        status, _, stderr = shim.finish()
        self.assertEqual(2, status)
        self.assertIn("exceeds 64 MiB", stderr)

    def test_truncated_frame_exits_2(self):
        shim = self.start("app.echo")
        shim.sock.sendall((100).to_bytes(4, "big") + b"{}")
        status, _, stderr = shim.finish()
        self.assertEqual(2, status)
        self.assertIn("end of file", stderr)

    def test_large_messages_cross_in_both_directions(self):
        shim = self.start("app.echo")
        event = "x" * (8 * 1024 * 1024)
        self.assertEqual(event, shim.invoke(event)["payload"])


if __name__ == "__main__":
    unittest.main()

"""rnn_serving: a character-level RNN generates names for a language, one per start letter
(FunctionBench's rnn_serving).

The model (model.pt) is trained briefly on synthetic names by functions/generate_inputs.py,
which also records the names it generates for event.json (expected.json). Loaded at import.
"""
import ctypes
import json
import os

import torch

# torch keeps its default thread pools (intra-op: one thread per core); docs/benchmarks.md compares
# them with single-threaded torch on 2 cores

import charrnn  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL, CATEGORIES = charrnn.load(os.path.join(HERE, "model.pt"))
with open(os.path.join(HERE, "expected.json")) as f:
    EXPECTED = json.load(f)

# Debian's libtorch links OpenCV's videoio and FFmpeg's libavformat, which loads libssh-gcrypt,
# whose library constructor has libgcrypt lock 16 KB of "secure memory" (mlock). Capture refuses
# locked mappings, and nothing here uses that memory: unlock it (munlockall) once everything is loaded.
ctypes.CDLL(None, use_errno=True).munlockall()


def handler(event, context):
    language = event.get("language", "Scottish")
    start_letters = event.get("start_letters", "ABC")
    torch.manual_seed(0)
    names = charrnn.samples(MODEL, CATEGORIES, language, start_letters)
    ok = (language == EXPECTED["language"] and start_letters == EXPECTED["start_letters"]
          and names == EXPECTED["names"])
    return {"language": language, "names": names, "verified": ok}

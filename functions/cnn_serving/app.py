"""cnn_serving: image classification with SqueezeNet 1.1 (the CNN of the paper's evaluation).

The weights (model.pt, seeded random initialisation), the image (input.jpg) and the class the
model gives it (expected.json) are written by functions/generate_inputs.py. The model is
loaded at import; each invocation decodes, resizes and normalises the JPEG and classifies it.
"""
import ctypes
import json
import os

import torch

# torch keeps its default thread pools (intra-op: one thread per core); docs/benchmarks.md compares
# them with single-threaded torch on 2 cores

import squeeze  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = squeeze.load_model(os.path.join(HERE, "model.pt"))
with open(os.path.join(HERE, "expected.json")) as f:
    EXPECTED = json.load(f)

# Debian's libtorch links OpenCV's videoio and FFmpeg's libavformat, which loads libssh-gcrypt,
# whose library constructor has libgcrypt lock 16 KB of "secure memory" (mlock). Capture refuses
# locked mappings, and nothing here uses that memory: unlock it (munlockall) once everything is loaded.
ctypes.CDLL(None, use_errno=True).munlockall()


def handler(event, context):
    image = event.get("image", "input.jpg")
    scores = squeeze.classify(MODEL, os.path.join(HERE, image))
    top5 = torch.topk(scores, 5)
    top_class = int(top5.indices[0])
    ok = image == EXPECTED["image"] and top_class == EXPECTED["top_class"]
    return {"top_class": top_class, "score": round(float(top5.values[0]), 6),
            "top5": [int(i) for i in top5.indices], "verified": ok}

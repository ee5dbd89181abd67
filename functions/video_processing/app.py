"""video_processing: converts the frames of a short video to grayscale with OpenCV and writes
the result as an MP4 (FunctionBench's video_processing).

The video (input.mp4: 30 frames of 160x120) and the expected frame count and checksum of the
gray frames (expected.json) are written by functions/generate_inputs.py.
"""
import ctypes
import json
import os
import tempfile

import grayscale

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "expected.json")) as f:
    EXPECTED = json.load(f)

# FFmpeg's libavformat (under OpenCV's videoio) loads libssh-gcrypt, whose library constructor has
# libgcrypt lock 16 KB of "secure memory" (mlock). Capture refuses locked mappings, and nothing here
# uses that memory: unlock it (munlockall) once everything is loaded.
ctypes.CDLL(None, use_errno=True).munlockall()


def handler(event, context):
    fd, output = tempfile.mkstemp(prefix="spice-gray-", suffix=".mp4")
    os.close(fd)
    try:
        frames, digest, fps = grayscale.grayscale_frames(os.path.join(HERE, event.get("path", "input.mp4")),
                                                         output)
        output_bytes = os.path.getsize(output)
    finally:
        os.unlink(output)
    ok = frames == EXPECTED["frames"] and digest == EXPECTED["gray_sha256"] and output_bytes > 0
    return {"frames": frames, "fps": fps, "gray_sha256": digest, "output_bytes": output_bytes,
            "verified": ok}

"""Grayscale conversion of a video with OpenCV. Shared by the handler (app.py) and
functions/generate_inputs.py, which records the expected frame count and checksum."""
import hashlib

import cv2

# OpenCV's own thread pool (TBB in Debian's build): off, before any parallel work. The video is
# Motion JPEG, which libavcodec decodes without threads; the MPEG-4 part 2 encoder of the output
# starts none either.
cv2.setNumThreads(0)


def grayscale_frames(path, output=None):
    """Reads every frame of the video at path, converts it to grayscale, and writes the result
    to output (an MP4, MPEG-4 part 2) if given. Returns (frames, SHA-256 of the gray frames, fps)."""
    capture = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    if not capture.isOpened():
        raise RuntimeError("cannot open the video " + path)
    writer = None
    digest = hashlib.sha256()
    frames = 0
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            digest.update(gray.tobytes())
            frames += 1
            if output is not None:
                if writer is None:
                    height, width = gray.shape
                    writer = cv2.VideoWriter(output, cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"mp4v"),
                                             fps, (width, height), False)
                    if not writer.isOpened():
                        raise RuntimeError("cannot write the video " + output)
                writer.write(gray)
    finally:
        capture.release()
        if writer is not None:
            writer.release()
    return frames, digest.hexdigest(), fps

"""image_rotate: rotates and transposes a JPEG with Pillow (FunctionBench's image_processing).

The image (input.jpg, 640x480) is written by functions/generate_inputs.py. Each invocation
decodes it, rotates it by 90 degrees and mirrors it, encodes both results as JPEG (in memory),
and checks the geometry: sizes swapped, and pixels at a few spots where they must have moved.
"""
import io
import os

from PIL import Image, JpegImagePlugin  # noqa: F401  (the JPEG plugin loaded at import, not at first use)

HERE = os.path.dirname(os.path.abspath(__file__))
Image.preinit()
SPOTS = [(0, 0), (17, 5), (320, 240), (639, 0), (0, 479), (639, 479), (123, 456), (500, 77)]


def handler(event, context):
    with Image.open(os.path.join(HERE, event.get("path", "input.jpg"))) as image:
        image.load()
    w, h = image.size
    rotated = image.transpose(Image.Transpose.ROTATE_90)          # counter-clockwise
    mirrored = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    outputs = {}
    for name, result in (("rotated", rotated), ("mirrored", mirrored)):
        buffer = io.BytesIO()
        result.save(buffer, format="JPEG", quality=85)
        outputs[name] = buffer.getvalue()
    with Image.open(io.BytesIO(outputs["rotated"])) as decoded:
        decoded_size = decoded.size
    spots = [(x % w, y % h) for x, y in SPOTS]
    ok = (rotated.size == (h, w) and mirrored.size == (w, h) and decoded_size == (h, w)
          and all(rotated.getpixel((y, w - 1 - x)) == image.getpixel((x, y)) for x, y in spots)
          and all(mirrored.getpixel((w - 1 - x, y)) == image.getpixel((x, y)) for x, y in spots))
    if "expected_size" in event:
        ok = ok and [w, h] == event["expected_size"]
    return {"size": [w, h], "rotated_size": list(rotated.size),
            "rotated_jpeg_bytes": len(outputs["rotated"]), "mirrored_jpeg_bytes": len(outputs["mirrored"]),
            "verified": ok}

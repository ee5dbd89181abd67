"""json_serdes: json.loads and json.dumps of a ~100 KB document (FunctionBench's json_dumps_loads).

The document (input.json) and its expected size and digest (expected.json) are written by
functions/generate_inputs.py; the document is read from disk in every invocation.
"""
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

with open(os.path.join(HERE, "expected.json")) as f:
    EXPECTED = json.load(f)


def handler(event, context):
    with open(os.path.join(HERE, event.get("path", "input.json")), "rb") as f:
        raw = f.read()
    document = json.loads(raw)
    text = json.dumps(document)
    again = json.loads(text)
    ok = (again == document and len(raw) == EXPECTED["size"]
          and len(document["records"]) == EXPECTED["records"]
          and hashlib.sha256(text.encode()).hexdigest() == EXPECTED["dumps_sha256"])
    return {"input_bytes": len(raw), "output_bytes": len(text), "records": len(document["records"]),
            "verified": ok}

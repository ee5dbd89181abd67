"""hello: returns a greeting (the smallest function of the paper's evaluation set)."""
import os


def handler(event, context):
    name = event.get("name", "world") if isinstance(event, dict) else "world"
    print(f"greeting {name}")
    message = f"{os.environ.get('GREETING', 'Hello')}, {name}!"
    return {"message": message, "request_id": context.aws_request_id,
            "verified": message == "Hello, " + name + "!"}

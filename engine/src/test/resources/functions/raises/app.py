import logging


def handler(event, context):
    logging.info("about to fail for %s", event.get("who"))
    print("printed before the error")
    return 1 / event.get("divisor", 0)

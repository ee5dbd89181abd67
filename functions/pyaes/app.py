"""pyaes: AES-CTR encryption and decryption in pure Python (FunctionBench's pyaes).

The event gives the message length and the number of iterations; the message is derived from
the length with a private generator (not the global one, which the engine reseeds), so every
invocation with the same event encrypts the same bytes and the ciphertext can be checked.
"""
import hashlib
import random
import string

import pyaes

KEY = b"\xa1\xf6%\x8c\x87}_\xcd\x89dHE8\xbf\xc9,"   # FunctionBench's key (16 bytes: AES-128)


def message_of(length):
    rng = random.Random(length)
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length)).encode()


def encrypt(message):
    return pyaes.AESModeOfOperationCTR(KEY).encrypt(message)


def decrypt(ciphertext):
    return pyaes.AESModeOfOperationCTR(KEY).decrypt(ciphertext)


# Computed at import from the fixed key: the known ciphertexts every invocation is checked against.
REFERENCE_LENGTH = 100
REFERENCE = {REFERENCE_LENGTH: encrypt(message_of(REFERENCE_LENGTH))}


def handler(event, context):
    length = int(event.get("length_of_message", REFERENCE_LENGTH))
    iterations = int(event.get("num_of_iterations", 3))
    message = message_of(length)
    ok = True
    ciphertext = b""
    for _ in range(iterations):
        ciphertext = encrypt(message)
        plaintext = decrypt(ciphertext)
        ok = ok and plaintext == message
    known = REFERENCE.get(length)
    if known is None:
        known = REFERENCE.setdefault(length, encrypt(message_of(length)))
    digest = hashlib.sha256(ciphertext).hexdigest()
    ok = ok and ciphertext == known
    if "expected_sha256" in event:
        ok = ok and digest == event["expected_sha256"]
    return {"length": length, "iterations": iterations, "ciphertext_sha256": digest, "verified": ok}

"""Hooks for the schemathesis run of scripts/test.

tenure answers 422 `idempotency_key_reused` when an Idempotency-Key comes back with another
request (as the IETF Idempotency-Key draft says). Fuzzers draw short keys ("0", "a") over and
over for different requests, so every valid key drawn is made unique here; an invalid one (too
long, not visible ASCII) is left as drawn, to be refused with 400.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")
MAX_KEY_CHARS = 255


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and VALID_KEY.match(str(headers[name])):
            suffix = f"-{uuid.uuid4().hex}"
            headers[name] = str(headers[name])[: MAX_KEY_CHARS - len(suffix)] + suffix


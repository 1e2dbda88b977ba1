def refusal_reason(data: bytes) -> str | None:
    return None

"""What tests run in the sandbox's child: the judge imports this module, so no Django."""

import os


def read_from_the_start(file, size: int) -> tuple[bytes, int]:
    return file.read(size), os.getpid()

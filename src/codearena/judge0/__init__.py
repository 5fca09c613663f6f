"""The Judge0 CE v1.13.1 API, served by the execution service under /judge0.

Existing Judge0 clients (the official `judge0` SDK, IDEs, bots) work unchanged against CodeArena:
a submission is a queue job whose hash also carries the Judge0 request; its Judge0 view (status,
times as strings, base64 as Ruby writes it) is computed from the job's result when read.
"""

from .routes import Judge0Background, create_judge0_router, install
from .settings import Judge0Settings

__all__ = ["Judge0Background", "Judge0Settings", "create_judge0_router", "install"]

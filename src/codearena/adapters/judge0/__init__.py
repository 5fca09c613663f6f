"""The Judge0 CE v1.13.1 API, an adapter mounted beside the execution service's job API at /judge0.

Existing Judge0 clients (the official `judge0` SDK, IDEs, bots) work unchanged against CodeArena:
a submission is a job of the job contract, queued through the service's store with Judge0's
own request data as its `meta`; its Judge0 view (status, times as strings, base64 as Ruby writes
it) is computed from the job's result when read.
"""

from .extension import Judge0Extension
from .settings import Judge0Settings

__all__ = ["Judge0Extension", "Judge0Settings"]

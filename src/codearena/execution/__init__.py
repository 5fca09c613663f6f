"""Layer 4: the job contract and the executors the apps call.

contract.py  Job, LimitsSpec, TestSpec, the bounds, the result types: the one job shape
executor.py  the Executor interface (run a Job, answer its result), ExecutorBusy
direct.py    DirectExecutor: this process's sandbox, on a bounded priority thread pool
remote.py    QueueExecutor: the execution service over HTTP (ServiceClient, ServiceHealth)
pools.py     PooledClient: ServiceClient's HTTP over small connection pools (short pool scans)
fallback.py  FallbackExecutor: queue, else direct, with a circuit breaker (breaker.py)
compose.py   compose(): the executor EXECUTION_MODE asks for
activity.py  Activity (runs per minute, recent fallbacks and failures), RecordedExecutor
run.py       run_job(): a Job in this thread's sandbox (direct mode and the workers)
"""

from .compose import Execution, compose
from .contract import Job, LimitsSpec, Result, TestSpec
from .executor import Executor, ExecutorBusy
from .settings import ExecutionSettings

__all__ = ["Execution", "ExecutionSettings", "Executor", "ExecutorBusy", "Job", "LimitsSpec", "Result", "TestSpec",
           "compose"]

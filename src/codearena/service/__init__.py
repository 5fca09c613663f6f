"""Queue mode: the execution service (HTTP -> Redis streams) and the workers that run jobs.

settings.py  QueueSettings (both), ServiceSettings (EXECUTION_SERVICE_*), WorkerSettings (WORKER_*)
keys.py      every Redis key name, in one place
scripts.py   SUBMIT, START, COMPLETE, CANCEL: each state change one atomic Lua script
store.py     ServiceStore (asyncio; the public interface front ends use) and WorkerStore (threads)
waiters.py   waiting for results on one pub/sub subscription per process; submit_then_wait
protocol.py  the service's answers about jobs (JobCreated, JobRecord)
routes.py    the job API, declared at module level
state.py     what the routes share (ServiceState)
app.py       create_service_app(): lifespan, token gate, extensions (adapters) mounted beside it
metrics.py   Prometheus metrics per process (prometheus_client)
worker.py    `codearena worker`: slots that take jobs and run them in the sandbox, heartbeats
cli.py       `execution-service`, `worker`
"""

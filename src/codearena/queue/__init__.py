"""Queue mode: the execution service (HTTP -> Redis streams) and the workers that run jobs.

protocol.py  the job request and job record shapes (the service's HTTP API and Redis payloads)
keys.py      every Redis key name, in one place
broker.py    Redis streams with a consumer group: submit, claim, complete, reclaim, cancel, wait
worker.py    `codearena worker`: slots that take jobs and run them in the sandbox, heartbeats
service.py   `codearena execution-service`: the HTTP API (token-protected), /health, /metrics
metrics.py   Prometheus metrics, kept in Redis so every worker and service replica adds to them
"""

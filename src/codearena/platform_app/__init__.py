"""Layer 5: the platform API server (FastAPI): accounts, problems, submissions, modules, health."""

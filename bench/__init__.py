"""CodeArena benchmarks: `python -m bench [--quick]` runs them all and writes bench/results/."""

"""The most any job may ask for, whatever its front end (the job contract, problem packages, the
Judge0 API's maxima all use these; a front end may allow less). Below the sandbox's own sanity
bounds (sandbox.Limits.validate)."""

MAX_CPU_SECONDS = 30.0
MAX_WALL_SECONDS = 60.0
MIN_MEMORY_MB, MAX_MEMORY_MB = 16, 2048
MAX_PROCESSES = 256
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
MAX_STACK_MB = 1024
MAX_RUNS = 20
MAX_ARGS = 256
# A job's own files beside its source (Judge0's additional_files): how many, and their bytes in all.
MAX_FILES = 256
MAX_FILES_BYTES = 10 * 1024 * 1024
MAX_COMPILER_OPTIONS_CHARS = 512  # Judge0's bound on compiler_options

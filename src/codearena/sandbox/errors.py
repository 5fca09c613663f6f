"""Why a sandbox cannot be had."""


class SandboxUnavailable(RuntimeError):
    """No isolation is possible here, and unsafe development mode is off."""

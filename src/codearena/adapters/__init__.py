"""Compatibility adapters: other code-execution APIs (Judge0) converted into the one job contract
and back, mounted beside the execution service's own routes by codearena.assembly. Nothing below
them knows they exist."""

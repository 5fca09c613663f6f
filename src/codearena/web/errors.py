"""Errors of both HTTP apps (platform and execution service), answered and documented alike:
`{"detail": "what to fix, in words"}`, and for 422 also `errors`, the machine-readable list. The
OpenAPI document says so (FastAPI's default documents `detail` as a list)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from ..validation import describe_request_errors

VALIDATION_ERROR = {
    "title": "ValidationErrorOut",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "what is wrong and how to fix it, in words"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"},
                   "description": "each problem: where (loc), what (msg), its kind (type)"},
    },
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        detail = describe_request_errors(exc.errors(), request.headers.get("content-type", ""))
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)

    @app.exception_handler(RecursionError)
    async def _too_deep(_request: Request, _exc: RecursionError):
        return JSONResponse({"detail": "the request body is nested too deeply to read; flatten it"}, status_code=400)

    app.openapi = lambda: _document_errors(app)


def _document_errors(app: FastAPI) -> dict:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = schema.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in schemas:
            schemas["HTTPValidationError"] = VALIDATION_ERROR
        app.openapi_schema = schema
    return app.openapi_schema

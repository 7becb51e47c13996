"""Strict request input: exact media types, UTF-8 only, no duplicate fields, bounded size and nesting."""

from gateway.inputs.body import QueryInput, read_query_input
from gateway.inputs.headers import MAX_HEADER_BYTES, SERVER_OPTIONS, HeaderLimitMiddleware
from gateway.inputs.jsonsafe import loads_strict

__all__ = ["MAX_HEADER_BYTES", "SERVER_OPTIONS", "HeaderLimitMiddleware", "QueryInput", "loads_strict",
           "read_query_input"]

"""The collector: the endpoint survey forms post to (Starlette on uvicorn)."""

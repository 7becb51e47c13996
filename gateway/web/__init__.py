"""``GET /``: the page to try bunri in a browser (one dependency-free HTML file, Korean UI)."""

from __future__ import annotations

import functools
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["page", "router"]

router = APIRouter()


@functools.cache
def page() -> str:
    """The page's HTML (shipped as package data, read once)."""
    return resources.files(__package__).joinpath("index.html").read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse, summary="A page to try it: photo, question, live steps, answer")
async def index() -> HTMLResponse:
    return HTMLResponse(page(), headers={"Cache-Control": "no-cache"})

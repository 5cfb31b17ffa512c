"""GET /health: liveness without the secret; says nothing about models or requests' content."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request

from ..protocol.admin import HealthResponse

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> HealthResponse:
    state = request.app.state.sidecar
    return HealthResponse(status="ok", pid=os.getpid(), loaded_models=len(state.pool.models),
                          **state.engine.slots())

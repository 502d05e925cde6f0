"""The correction service: `uvicorn app:app`. Models load and warm up once, in the lifespan hook."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from config import load_settings
from routes import correct, formats, health
from routes.errors import install_error_handlers
from service.pipeline import CorrectionPipeline
from service.resources import load_resources

logger = logging.getLogger("ec")


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings = load_settings()
    resources = load_resources(settings)
    app.state.settings = settings
    app.state.resources = resources
    app.state.pipeline = CorrectionPipeline(resources, settings)
    # A real request through every stage, so the first client does not pay for lazy initialisation.
    from schema.correct import SPEC_EXAMPLE, CorrectionRequest
    example = CorrectionRequest.model_validate(SPEC_EXAMPLE)
    app.state.pipeline.correct([s.to_input() for s in example.segments], example.terms())
    logger.info("service ready: version %s, tiers %s", settings.VERSION, resources.tiers)
    yield


def create_app() -> FastAPI:
    application = FastAPI(
        title="Korean speech-subtitle correction",
        version=load_settings().VERSION,
        description="Corrects first-pass Korean ASR subtitles: misheard terms, pronunciation spelling, "
                    "spacing and punctuation; leaves right subtitles alone.",
        lifespan=lifespan,
    )
    install_error_handlers(application)
    application.include_router(health.router)
    application.include_router(correct.router)
    application.include_router(formats.router)
    return application


logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
app = create_app()

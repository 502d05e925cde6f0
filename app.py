"""The correction service: `uvicorn app:app`. Models load and warm up once, in the lifespan hook."""
from __future__ import annotations

import gc
import logging
import sys
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from config import ConfigError, Settings, load_settings
from observability.logs import configure_logging
from observability.metrics import ServiceMetrics
from routes import correct, formats, health
from routes import metrics as metrics_route
from routes.errors import install_error_handlers
from routes.middleware import install_production
from routes.openapi import install_openapi
from service.parallel import TwoProcessPipeline
from service.pipeline import CorrectionPipeline
from service.resources import load_resources
from service.shutdown import GracefulShutdown
from service.worker_pool import WorkerPool

logger = logging.getLogger("ec")
DOCS_ASSETS = "/docs-assets"


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings = getattr(app.state, "settings", None) or load_settings()  # create_app's, so tests can pass theirs
    resources = load_resources(settings)
    app.state.settings = settings
    app.state.resources = resources
    pipeline = CorrectionPipeline(resources, settings)
    neural = "loaded" in (resources.tiers.get("kobart"), resources.tiers.get("mlm"))
    if settings.PROCESSES > 1 and not neural:
        # Big batches are shared with a helper process (loaded now, in parallel with this warm-up). Not with
        # the neural tier: torch already spreads its work over the cores, and the helper would hold a second
        # copy of the model.
        pipeline = TwoProcessPipeline(pipeline, settings, settings.PARALLEL_MIN_SEGMENTS)
    app.state.pipeline = pipeline
    # A real request through every stage, so the first client does not pay for lazy initialisation.
    from schema.correct import SPEC_EXAMPLE, CorrectionRequest
    example = CorrectionRequest.model_validate(SPEC_EXAMPLE)
    app.state.pipeline.correct([s.to_input() for s in example.segments], example.terms())
    if isinstance(pipeline, TwoProcessPipeline):
        pipeline.warm_up()
    # CPU-bound correction runs here, never on the event loop (health checks stay fast while busy). A shorter
    # GIL switch interval hands the event loop the GIL sooner while the pool's threads run Python code.
    sys.setswitchinterval(settings.GIL_SWITCH_INTERVAL_S)
    # The models and tables loaded so far live as long as the process: keep them out of the collector's
    # full passes, which otherwise stop the event loop longer and longer as the caches grow.
    gc.freeze()
    # Plus one express thread for small requests, so they never wait behind big ones (see the pool).
    app.state.pool = WorkerPool(settings.WORKERS, settings.QUEUE_SIZE, settings.RETRY_AFTER_S,
                                on_wait=app.state.metrics.queue_wait.observe,
                                express_workers=1 if settings.EXPRESS_MAX_CHARS > 0 else 0)
    # SIGTERM: stop taking work now, let running requests use their budget, exit by budget + 1.5 s at most.
    helper = [pipeline.kill] if isinstance(pipeline, TwoProcessPipeline) else []
    shutdown = GracefulShutdown(settings.REQUEST_BUDGET_S + 1.5, on_signal=[app.state.pool.close],
                                before_forced_exit=helper)
    shutdown.install()
    logger.info("service ready: version %s, tiers %s", settings.VERSION, resources.tiers)
    yield
    shutdown.uninstall()
    app.state.pool.shutdown(wait=False)  # requests are answered by now; a stray thread must not hold the exit
    if isinstance(pipeline, TwoProcessPipeline):
        pipeline.close()
    gc.unfreeze()  # what start-up froze may be collected again (tests start many apps in one process)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    # /docs (Swagger UI) and /redoc load their scripts and styles from DOCS_ASSETS, files of the installed
    # fastapi-offline package: the docs work without internet access. No validator badge (it would call out).
    application = FastAPIOffline(
        title="Korean speech-subtitle correction",
        version=settings.VERSION,
        description="Corrects first-pass Korean ASR subtitles: misheard terms, pronunciation spelling, "
                    "spacing and punctuation; leaves right subtitles alone.",
        lifespan=lifespan,
        static_url=DOCS_ASSETS,
        swagger_ui_parameters={"validatorUrl": None},
    )
    application.state.settings = settings
    install_error_handlers(application)
    install_production(application, settings, ServiceMetrics())
    install_openapi(application)
    application.include_router(metrics_route.router)
    application.include_router(health.router)
    application.include_router(correct.router)
    application.include_router(formats.router)
    return application


try:
    _settings = load_settings()
except ConfigError as error:  # one line naming the setting, its value and what is allowed; no traceback
    raise SystemExit(f"error: {error}") from None
configure_logging(json_logs=_settings.JSON_LOGS, level=_settings.LOG_LEVEL)
app = create_app(_settings)

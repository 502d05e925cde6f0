"""The models the pipeline uses, loaded once (in the app's lifespan hook) and warmed up."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from config import Settings
from service.kiwi_lm import KiwiToolkit
from service.neural.loader import load_neural
from service.refine import KiwiRefiner, Refiner
from service.rerank import SentenceScorer
from service.terms import TermIndexCache

logger = logging.getLogger(__name__)


@dataclass
class ServiceResources:
    kiwi: KiwiToolkit
    refiner: Refiner
    term_indexes: TermIndexCache
    scorers: list[SentenceScorer] = field(default_factory=list)
    tiers: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def load_resources(settings: Settings) -> ServiceResources:
    """Load the embedded tier (always) and the neural tier (when its weights are installed)."""
    kiwi = KiwiToolkit(num_workers=settings.KIWI_WORKERS, typo_cost_threshold=settings.TYPO_COST_THRESHOLD,
                       cache_mb=settings.KIWI_CACHE_MB)
    resources = ServiceResources(
        kiwi=kiwi,
        refiner=KiwiRefiner(kiwi),
        term_indexes=TermIndexCache(settings.TERM_INDEXES),
        tiers={"kiwi": "loaded", "kobart": "absent", "mlm": "absent"},
    )
    kiwi.warm_up()
    logger.info("embedded tier loaded (kiwi)")
    # The neural tier replaces the refiner and adds gain scorers when its models are installed; a broken
    # directory is reported in `problems` and leaves the embedded tier serving.
    neural = load_neural(settings, fallback=resources.refiner)
    if neural.refiner is not None:
        resources.refiner = neural.refiner
    resources.scorers.extend(neural.scorers)
    resources.tiers.update(neural.tiers)
    resources.problems.update(neural.problems)
    logger.info("tiers: %s%s", resources.tiers, f"; problems: {resources.problems}" if resources.problems else "")
    return resources

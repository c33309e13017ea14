"""Claims: one claim on one map (:mod:`.check`), on every source's map (:mod:`.across`), a
ledger of claims (:mod:`.ledger`) and every claim against whole archives (:mod:`.tracker`)."""

from .._lazy import exports, stub

__all__, __getattr__, __dir__ = exports(
    __name__,
    stub(__file__),
    moved={"ClaimsReport": "mapdiff.claims.ledger:ClaimChecks"},
)

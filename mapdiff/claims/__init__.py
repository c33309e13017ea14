"""Claims: one claim on one map (:mod:`.check`), on every source's map (:mod:`.across`), a
ledger of claims (:mod:`.ledger`) and every claim against whole archives (:mod:`.tracker`)."""

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        ".check": ("CAPTURED_THRESHOLD", "POLICIES", "ClaimCheck", "check_claim"),
        ".across": ("ClaimAcrossMaps", "check_claim_all"),
        ".ledger": ("Claim", "ClaimChecks", "Ledger", "check_claims", "read_ledger", "validate_ledger"),
        ".tracker": ("Tracking", "track"),
    },
    moved={"ClaimsReport": "mapdiff.claims.ledger:ClaimChecks"},
)

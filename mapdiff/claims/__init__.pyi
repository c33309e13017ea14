"""The public names of ``mapdiff.claims``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from .across import ClaimAcrossMaps as ClaimAcrossMaps, check_claim_all as check_claim_all
from .check import (
    CAPTURED_THRESHOLD as CAPTURED_THRESHOLD,
    POLICIES as POLICIES,
    ClaimCheck as ClaimCheck,
    check_claim as check_claim,
)
from .ledger import (
    Claim as Claim,
    ClaimChecks as ClaimChecks,
    Ledger as Ledger,
    check_claims as check_claims,
    read_ledger as read_ledger,
    validate_ledger as validate_ledger,
)
from .tracker import Tracking as Tracking, track as track

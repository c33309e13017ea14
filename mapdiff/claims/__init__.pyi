"""The public names of ``mapdiff.claims``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from .across import ClaimAcrossMaps as ClaimAcrossMaps
from .across import check_claim_all as check_claim_all
from .check import (
    CAPTURED_THRESHOLD as CAPTURED_THRESHOLD,
)
from .check import (
    POLICIES as POLICIES,
)
from .check import (
    ClaimCheck as ClaimCheck,
)
from .check import (
    check_claim as check_claim,
)
from .ledger import (
    Claim as Claim,
)
from .ledger import (
    ClaimChecks as ClaimChecks,
)
from .ledger import (
    Ledger as Ledger,
)
from .ledger import (
    check_claims as check_claims,
)
from .ledger import (
    read_ledger as read_ledger,
)
from .ledger import (
    validate_ledger as validate_ledger,
)
from .tracker import Tracking as Tracking
from .tracker import track as track

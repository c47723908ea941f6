"""Import every package's models so one metadata describes the whole schema."""

import recycle.models  # noqa: F401
from recycle.db import Base

metadata = Base.metadata
import enterprise.settlement_models  # noqa: F401,E402
import enterprise.stock_models  # noqa: F401,E402
import pickup.models  # noqa: F401,E402
import pricing.models  # noqa: F401,E402
import recycle.game.models  # noqa: F401,E402
import recycle.ledger  # noqa: F401,E402
import recycle.linking  # noqa: F401,E402
import recycle.notify.models  # noqa: F401,E402
import recycle.outbox  # noqa: F401,E402
import recycle.submissions  # noqa: F401,E402

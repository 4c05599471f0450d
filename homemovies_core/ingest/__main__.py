"""`python -m homemovies_core.ingest …` (also `python -m homemovies_core ingest …`)."""

import sys

from .command import main

sys.exit(main())

"""``python -m islandcover.cli``."""
import sys

from islandcover.cli.main import main

sys.exit(main())

import sys

from decide.cli import main

sys.exit(main())

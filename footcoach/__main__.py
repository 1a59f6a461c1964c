import sys

from footcoach.cli.main import main

sys.exit(main())

import sys

from tsstore.cli import main

sys.exit(main())

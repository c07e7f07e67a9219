"""python -m talent_api_double [HOST:PORT]            the backend
python -m talent_api_double fallback [HOST:PORT]   the fallback provider"""

import sys

if len(sys.argv) > 1 and sys.argv[1] == "fallback":
    from .fallback import main
else:
    from .server import main

sys.exit(main())

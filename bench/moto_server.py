#!/usr/bin/env python3
"""moto's server (`moto_server`, same arguments), without its per-request directory scan.

moto 5.x routes every request through `DomainDispatcherApplication.get_backend_for_host`, which
asks `moto.backends.list_of_moto_modules()` whether the host names a service: a fresh
`os.listdir` of moto's package and a `stat` of each of its ~180 entries, on every request,
under the dispatcher's one lock. Requests the tool sends at once (S3's seven bucket reads, the
archive's reads beside them) queue on that lock and finish one after another. The list cannot
change while the server runs, so it is read once here; moto answers exactly as before.

Measured in process on S3's bucket reads and IAM's GetRole: about 4 ms a request with the scan,
2 ms without; moto's CPU for one converged re-run with the archive (scenario 7b, 22 requests
to moto), 90 ms -> 60-70 ms (`bench/run.py --debug --only archive-rerun [--stock-moto]`).
"""
import functools
import sys

import moto.backends
from moto.server import main

_scan = moto.backends.list_of_moto_modules
moto.backends.list_of_moto_modules = functools.cache(lambda: tuple(_scan()))

if __name__ == "__main__":
    sys.exit(main())

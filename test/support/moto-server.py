"""moto's S3 server with its requests handled one at a time.

moto (5.2) checks `If-None-Match: *` and then writes the object without a lock, and its server is threaded,
so two concurrent conditional puts of one key can both succeed. Real S3 and MinIO make the check and the
write atomic; the registry and the data state rely on that. Serialising the app restores it. Arguments are
moto_server's (-H host -p port).
"""
import threading

import moto.server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_lock = threading.Lock()
_handle = DomainDispatcherApplication.__call__


def _serialised(self, environ, start_response):
    with _lock:
        # Materialise the response inside the lock: the write happens while the body is produced.
        return list(_handle(self, environ, start_response))


DomainDispatcherApplication.__call__ = _serialised

if __name__ == "__main__":
    moto.server.main()

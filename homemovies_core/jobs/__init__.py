"""Processing uploaded videos on a job queue: the request, its status, the queue and the worker.

Core (below `services`): it never imports `ui`, `web` or `services`.
"""

"""Connecting the driver to Ray: an existing cluster (address "auto" or HOST:PORT), a Ray the caller has
already initialised, or a local instance on this machine that listens on loopback only."""
import os

# Set before Ray is imported, for a local instance only: Ray then takes 127.0.0.1 as this node's address
# (without it, it picks the machine's outside address and listens on every interface); no usage report.
LOCAL_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


def connect(address, quiet=False):
    """Returns True when this call connected (and disconnect() should end it), False when Ray was running."""
    if address is None:
        for k, v in LOCAL_ENV.items():
            os.environ.setdefault(k, v)
    import ray

    if ray.is_initialized():
        return False
    kwargs = {"include_dashboard": False, "log_to_driver": not quiet}
    if address is not None:
        kwargs.pop("include_dashboard")
        ray.init(address=address, **kwargs)
    else:
        ray.init(**kwargs)
    return True


def disconnect():
    import ray

    ray.shutdown()

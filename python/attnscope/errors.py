"""attnscope's exceptions: the library's one error type, and the missing-model case as FileNotFoundError too."""
from ._core import Error  # a ValueError carrying the library's one-line message

__all__ = ["Error", "ModelNotFoundError"]


class ModelNotFoundError(Error, FileNotFoundError):
    """No such model folder, and no such model id in the Hugging Face cache (or it could not be fetched)."""

"""The segment codec: compiled (ext/segment_codec.pyx) or its numpy twin (_segment_codec_py)."""
from tsstore._ext import load

_impl = load("tsstore.store._segment_codec")
encode = _impl.encode
decode = _impl.decode
encode_batch = _impl.encode_batch
CodecError = _impl.CodecError
COMPRESS_MIN = _impl.COMPRESS_MIN
COMPILED = not _impl.__name__.endswith("_py")

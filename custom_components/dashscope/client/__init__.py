"""A client for Alibaba Cloud Model Studio (DashScope) speech recognition.

This package imports nothing from Home Assistant: it could be published on its own.
"""

from .audio import (
    AudioFramer,
    AudioInput,
    AudioSpec,
    PcmConverter,
    pcm_frame_bytes,
    service_sample_rate,
)
from .catalog import (
    DEFAULT_MODEL,
    MODELS,
    Bias,
    HintRule,
    ModelInfo,
    model_info,
    models_for,
)
from .client import DashScopeClient
from .connections import ConnectionPool
from .endpointing import (
    NOT_A_COMMAND,
    CommandKind,
    CommandMatch,
    CommandMatcher,
    Endpointing,
)
from .endpoints import (
    REGIONS,
    Deployment,
    Endpoint,
    InvalidEndpointError,
    Protocol,
    Region,
    RegionInfo,
)
from .errors import (
    DashScopeAuthError,
    DashScopeBadAudioError,
    DashScopeConnectionError,
    DashScopeError,
    DashScopeModelNotFoundError,
    DashScopeNoSpeechError,
    DashScopeQuotaError,
    DashScopeServiceError,
    DashScopeTaskError,
    DashScopeThrottledError,
    DashScopeTimeoutError,
    DashScopeVocabularyMissingError,
    MessageError,
    UnsupportedAudioError,
)
from .hotwords import (
    Context,
    ContextMessages,
    Hotword,
    Vocabulary,
    build_context,
    build_context_messages,
    build_vocabulary,
    parse_phrases,
)
from .messages import RecognitionParameters, Sentence
from .rest import VocabularyClient
from .retry import RetryPolicy, Timeouts
from .session import RecognitionSession
from .stats import RecognitionStats
from .transcript import Transcript
from .utterance import RecognitionOutcome, Utterance
from .wav import WavStripper

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "NOT_A_COMMAND",
    "REGIONS",
    "AudioFramer",
    "AudioInput",
    "AudioSpec",
    "Bias",
    "CommandKind",
    "CommandMatch",
    "CommandMatcher",
    "ConnectionPool",
    "Context",
    "ContextMessages",
    "DashScopeAuthError",
    "DashScopeBadAudioError",
    "DashScopeClient",
    "DashScopeConnectionError",
    "DashScopeError",
    "DashScopeModelNotFoundError",
    "DashScopeNoSpeechError",
    "DashScopeQuotaError",
    "DashScopeServiceError",
    "DashScopeTaskError",
    "DashScopeThrottledError",
    "DashScopeTimeoutError",
    "DashScopeVocabularyMissingError",
    "Deployment",
    "Endpoint",
    "Endpointing",
    "HintRule",
    "Hotword",
    "InvalidEndpointError",
    "MessageError",
    "ModelInfo",
    "PcmConverter",
    "Protocol",
    "RecognitionOutcome",
    "RecognitionParameters",
    "RecognitionSession",
    "RecognitionStats",
    "Region",
    "RegionInfo",
    "RetryPolicy",
    "Sentence",
    "Timeouts",
    "Transcript",
    "UnsupportedAudioError",
    "Utterance",
    "Vocabulary",
    "VocabularyClient",
    "WavStripper",
    "build_context",
    "build_context_messages",
    "build_vocabulary",
    "model_info",
    "models_for",
    "parse_phrases",
    "pcm_frame_bytes",
    "service_sample_rate",
]

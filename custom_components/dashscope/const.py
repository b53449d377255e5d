"""Constants of the DashScope integration: config keys, defaults and names."""

from __future__ import annotations

import logging
from typing import Final

from .client.endpointing import COMMAND_SILENCE_MS

DOMAIN: Final = "dashscope"
LOGGER = logging.getLogger(__package__)

CONF_REGION: Final = "region"
CONF_WORKSPACE_ID: Final = "workspace_id"
CONF_URL: Final = "url"
CONF_MODEL: Final = "model"
CONF_CUSTOM_MODEL: Final = "custom_model"  # a model name the list does not have (a form field)
CONF_LANGUAGE_HINTS: Final = "language_hints"
CONF_AUTO_LANGUAGE: Final = "auto_language"
CONF_HOTWORDS: Final = "hotwords"
CONF_EXPOSED_NAMES: Final = "exposed_names"
CONF_END_OF_SPEECH: Final = "end_of_speech"
CONF_COMMAND_END: Final = "command_end"  # end a complete command after a short silence
CONF_COMMAND_SILENCE: Final = "command_silence_ms"
DEFAULT_COMMAND_SILENCE: Final = COMMAND_SILENCE_MS  # ms after a complete command's last word
CONF_START_TIMEOUT: Final = "start_timeout"
CONF_FINISH_TIMEOUT: Final = "finish_timeout"

SUBENTRY_RECOGNIZER: Final = "recognizer"

RECENT_RECOGNITIONS: Final = 10  # kept for diagnostics
ISSUE_MODEL_NOT_FOUND: Final = "model_not_found"
ISSUE_VOCABULARY_LIMIT: Final = "vocabulary_limit"
HOTWORD_REFRESH_COOLDOWN: Final = 10.0  # seconds: registry edits come in bursts

CONF_KEEP_TRANSCRIPTS: Final = "keep_transcripts"  # an account option: text in the history
DEFAULT_KEEP_TRANSCRIPTS: Final = False  # what was said at home is not kept unless asked

EVENT_TYPE_RECOGNIZED: Final = "recognized"
# In-process only (dispatcher), never the event bus: see transcript.py.
SIGNAL_TRANSCRIPT: Final = "dashscope_transcript_{}"  # formatted with the recognizer's id
SIGNAL_ANY_TRANSCRIPT: Final = "dashscope_transcript"  # every recognizer: the phrase trigger

CONF_FALLBACK: Final = "fallback"  # an engine setting: the stt entity that answers in an outage
CONF_MONTHLY_BUDGET: Final = "monthly_budget"  # an account option: estimated cost per month
# Set by the budget repair's fix flow, for the month it names ("2026-12"):
CONF_BUDGET_FALLBACK_MONTH: Final = "budget_fallback_month"  # send commands to the fallbacks
CONF_BUDGET_KEEP_MONTH: Final = "budget_keep_month"  # keep using DashScope, no repair
ISSUE_OUTAGE: Final = "outage"
ISSUE_ARREARAGE: Final = "arrearage"
ISSUE_FREE_QUOTA: Final = "free_quota_exhausted"
ISSUE_BUDGET: Final = "budget_exceeded"
OUTAGE_REPAIR_MINUTES: Final = 10  # an outage this long raises a repair

"""What recognized audio costs: list prices per model and deployment, with where they were read.

An estimate, not a bill: list prices without discounts, free quota or savings plans, per second
of audio as the service counts it (`usage.duration`, else the audio sent). Models billed in
tokens (Qwen-Audio) are converted at the documented rate of audio tokens per second. A model
without a row has no estimate (its cost sensor is not offered) rather than a guessed one.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Literal

from .endpoints import Deployment

# Qwen-Audio ASR models count audio in tokens: 12.5 audio tokens per second (1 token per
# 80 ms), the Qwen-Audio ASR pages' conversion ("ASR model" guide, read Nov 2026).
AUDIO_TOKENS_PER_SECOND = 12.5

# A fixed version ("-2025-11-07") is billed as its family's stable name.
_VERSION = re.compile(r"-\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Price:
    """A list price, and the page and date it was read from."""

    amount: float  # per `unit`
    currency: Literal["CNY", "USD"]  # what the deployment bills in
    unit: Literal["second", "million_tokens"]
    read_on: str  # ISO date the page was read
    page: str

    def cost(self, seconds: float) -> float:
        """Return the list price of `seconds` of recognized audio."""
        if self.unit == "second":
            return seconds * self.amount
        return seconds * AUDIO_TOKENS_PER_SECOND / 1_000_000 * self.amount


def billed_audio_seconds(billed_seconds: float, tokens: int | None) -> float:
    """Return the audio the service billed, in seconds.

    Its `usage.duration` when it reported one; for a model that reports only tokens (the
    Qwen-Audio streaming models' `input_tokens`), those tokens at `AUDIO_TOKENS_PER_SECOND`.
    """
    if billed_seconds or not tokens:
        return billed_seconds
    return tokens / AUDIO_TOKENS_PER_SECOND


# (model, deployment) -> price. Beijing bills in CNY, Singapore in USD.
PRICES: dict[tuple[str, Deployment], Price] = {
    # The model page's "模型价格" table, 华北2(北京): 音频时长 0.00024 元 每秒.
    ("paraformer-realtime-v2", Deployment.BEIJING): Price(
        0.00024,
        "CNY",
        "second",
        "2026-12-07",
        "https://help.aliyun.com/zh/model-studio/paraformer-realtime-v2",
    ),
    # "Real-time speech recognition - Qwen" (updated Mar 15, 2026), Pricing: $0.00009/second
    # (international, Singapore), $0.000047/second (Mainland China, as the international site
    # lists it). Accounts of the China site are billed the yuan list price, 0.00033 元/秒:
    # $0.000047 at the rate the pages use; the yuan figure itself was not read from a page.
    ("qwen3-asr-flash-realtime", Deployment.SINGAPORE): Price(
        0.00009,
        "USD",
        "second",
        "2026-12-07",
        "https://www.alibabacloud.com/help/doc-detail/2989727.html",
    ),
    ("qwen3-asr-flash-realtime", Deployment.BEIJING): Price(
        0.00033,
        "CNY",
        "second",
        "2026-12-07",
        "https://www.alibabacloud.com/help/doc-detail/2989727.html",
    ),
    # "Fun-ASR real-time Python SDK" model table (updated Feb 04, 2026): fun-asr-realtime
    # $0.00009/second in Singapore (36,000 s free for 90 days, not counted here) and
    # $0.000047/second in Mainland China: in yuan as for Qwen3 above.
    ("fun-asr-realtime", Deployment.SINGAPORE): Price(
        0.00009,
        "USD",
        "second",
        "2026-12-07",
        "https://www.alibabacloud.com/help/en/model-studio/fun-asr-realtime-python-sdk",
    ),
    ("fun-asr-realtime", Deployment.BEIJING): Price(
        0.00033,
        "CNY",
        "second",
        "2026-12-07",
        "https://www.alibabacloud.com/help/en/model-studio/fun-asr-realtime-python-sdk",
    ),
    # The model card's Pricing (docs/models/qwen-audio-asr.md, "message-model", read
    # 2026-12-07): per million tokens, Singapore input $0.93 / output $0.70. The audio is the
    # input; the few output tokens of a command's text are not counted. Beijing's figures
    # are given in dollars only (no yuan price read), and the streaming models' amounts are
    # not stated: no rows for them.
    ("qwen-audio-3.1-asr-flash-message", Deployment.SINGAPORE): Price(
        0.93,
        "USD",
        "million_tokens",
        "2026-12-07",
        "https://www.alibabacloud.com/help/en/model-studio/qwen-audio-3-1-asr-flash-message",
    ),
}


def model_price(model: str, deployment: Deployment) -> Price | None:
    """Return the list price of `model` in `deployment`, or None if none is known."""
    price = PRICES.get((model, deployment))
    if price is None:
        price = PRICES.get((_VERSION.sub("", model), deployment))
    return price


def billing_deployment(deployments: frozenset[Deployment]) -> Deployment:
    """Return whose prices an endpoint pays: its one deployment (a custom URL: Beijing's)."""
    return Deployment.BEIJING if Deployment.BEIJING in deployments else next(iter(deployments))

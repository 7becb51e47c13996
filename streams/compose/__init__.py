"""Korean answers from the selected rules: the verdict first, then only what applies."""

from streams.compose.answer import MAX_STEPS, compose, select_steps
from streams.compose.question import Asked, read_question

__all__ = ["MAX_STEPS", "Asked", "compose", "read_question", "select_steps"]

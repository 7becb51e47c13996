"""Evaluation: export recorded topics, replay them under another configuration, measure and compare runs.

One concept per module (``bunri export``, ``bunri replay`` and ``bunri eval`` are thin CLI glue over them):

- :mod:`~streams.eval.export`: read a topic's recorded messages (partition, offset, timestamp) as JSONL;
- :mod:`~streams.eval.sources`: what a replay re-runs (``q.preprocess``, ``q.gpt5``, or a JSONL file);
- :mod:`~streams.eval.replay`: re-run them through the pipeline under the current configuration, on the run's
  own topics, without the cache, into ``<data dir>/runs/<name>/``; :mod:`~streams.eval.bus` is its
  request-reply on those topics;
- :mod:`~streams.eval.runs`: where runs live and how they are read; labelled sets;
- :mod:`~streams.eval.metrics`: the numbers (agreement, confusion, rates, cost, latency, changes), and
  :mod:`~streams.eval.evaluation`: a run, its labels and another run put together for ``bunri eval``;
- :mod:`~streams.eval.report`: the self-contained HTML report;
- :mod:`~streams.eval.errors`: what goes wrong, typed.
"""

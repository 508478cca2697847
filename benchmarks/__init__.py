"""Benchmarks of the provider at scale, side by side with what users would use otherwise.

``make bench`` (``python -m benchmarks``) runs them all and prints one JSON document; each module
also runs alone with its size argument:

- ``fleet``: N ``HfJobTrigger`` in one event loop vs a thread per Job with the official client vs
  a 5 s poller, and ours alone at twice the size (``python -m benchmarks.fleet --jobs 1000``);
- ``steady``: Jobs followed while none starts or ends, silent and printing: Hub requests per poll
  round and per Job-minute, per isolated end, and projected against the Hub's rate limits
  (``python -m benchmarks.steady --jobs 1000``);
- ``detection``: Hub terminal stage to trigger event (``--repetitions 50``);
- ``throughput``: log lines per second into the task logger (``--lines 200000``);
- ``parse_cost``: operator import time over ``airflow.sdk``, DagBag parse (``--samples 10``);
- ``worker_time``: worker-slot seconds of a Job, deferrable vs sync (``--seconds 60``).

The fake Hub runs as shipped, in its own process on loopback
(``python -m airflow_provider_hfhub.testing.fake_hub``); each competitor in a fresh interpreter
(``benchmarks._follow``). They measure the code as shipped: nothing patches the provider.
Benchmarks, not tests: nothing here asserts a time.
"""

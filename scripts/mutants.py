"""Deliberate breakages, each of which the tests must catch (``make mutants``).

Each mutant replaces one exact piece of source with a broken one, in a fresh copy of the tree, and
runs the tests that guard that promise there. A mutant whose text is no longer in the source is
reported as stale (a rename must not silently turn a breakage into a no-op). Exit status 1 if any
mutant is missed or stale.

``python scripts/mutants.py [name-substring ...]`` runs all mutants, or those whose name matches.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = "airflow_provider_hfhub"


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTANTS = [
    Mutant(
        "a log's end asks the Hub at once, before the stage can have flipped",
        f"{PKG}/hub/flows.py",
        "self.check_stage(prompt=offset > 0, at=",
        "self.check_stage(prompt=True, at=",
        (
            "tests/triggers/test_stage_poller.py::test_a_job_ending_alone_is_inspected_rather_than_a_whole_listing",
        ),
    ),
    Mutant(
        "every call or stream goes to one client whose pool then queues",
        f"{PKG}/hub/_transport_base.py",
        "if n < self._per_client), None)",
        "if True), None)",
        ("tests/hub/test_call_shards.py",),
    ),
    Mutant(
        "the fake Hub prints each scenario line a sleep after the last (a stall pushes every later line back)",
        f"{PKG}/testing/fake_hub/jobs.py",
        "await asyncio.sleep(max(0.0, started + number * sc.line_interval - loop.time()))",
        "await asyncio.sleep(sc.line_interval)",
        (
            "tests/testing/test_jobs.py::test_a_scenario_prints_each_line_on_its_own_clock_even_after_the_fake_hub_stalled",
        ),
    ),
    Mutant(
        "a closed log stream keeps its room on its stream client",
        f"{PKG}/hub/_async_transport.py",
        "        return AsyncStream(response, lambda: self._stream_clients.give_back(client))",
        "        return AsyncStream(response, lambda: None)",
        (
            "tests/hub/test_transport.py::test_streams_one_after_another_share_one_stream_client_and_close_their_answers",
        ),
    ),
    Mutant(
        "a finished log stream's connection is kept alive in aiohttp's pool",
        f"{PKG}/hub/_aiohttp_transport.py",
        "force_close = limits.max_keepalive_connections == 0",
        "force_close = False",
        ("tests/hub/test_transports.py::test_a_log_stream_that_ends_closes_its_connection",),
    ),
    Mutant(
        "async creates go through aiohttp, whose errors hide whether the request was sent",
        f"{PKG}/hub/_async_transport.py",
        "        with (self._create_shards if call.creates else self._shards).taken() as client:",
        "        with self._shards.taken() as client:",
        ("tests/hub/test_retry.py::test_async_client_finds_a_lost_create_too",),
    ),
    Mutant(
        "an aiohttp error that httpx-aiohttp leaves unmapped escapes a stream's opening",
        f"{PKG}/hub/_aiohttp_transport.py",
        "        except aiohttp.ClientError as exc:",
        "        except aiohttp.ClientConnectionError as exc:",
        ("tests/hub/test_transports.py::test_an_answer_that_is_not_http_is_a_hub_transport_error",),
    ),
    Mutant(
        "async calls and log streams bypass the proxy the environment names",
        f"{PKG}/hub/_transports.py",
        "    if _proxied(endpoint):\n        return None\n",
        "",
        (
            "tests/hub/test_transports.py::test_calls_and_log_streams_go_through_the_proxy_the_environment_names",
        ),
    ),
    Mutant(
        "aiohttp logs errors for the shared clients left open at exit",
        f"{PKG}/hub/_aiohttp_transport.py",
        "@atexit.register\n",
        "",
        ("tests/hub/test_transports.py::test_a_client_left_open_at_exit_goes_quietly",),
    ),
    Mutant(
        "workers load aiohttp with the Hub client",
        f"{PKG}/hub/_transports.py",
        "import httpx\n",
        "import aiohttp  # noqa: F401\nimport httpx\n",
        ("tests/hub/test_transports.py::test_workers_never_load_aiohttp",),
    ),
    Mutant(
        "a stream cancelled in its opening keeps its room on its stream client",
        f"{PKG}/hub/_async_transport.py",
        "                self._stream_clients.give_back(client)\n                raise",
        "                raise",
        (
            "tests/hub/test_transport.py::test_a_cancel_while_a_stream_opens_frees_its_room_on_the_stream_client",
        ),
    ),
    Mutant(
        "news of a Job's end waits for another round when a fresh one was asked for",
        f"{PKG}/triggers/stage_poller.py",
        "                for waiter in (self._changed, self._fresh):\n",
        "                for waiter in (self._changed,):\n",
        (
            "tests/triggers/test_stage_poller.py::test_news_of_the_stage_answers_a_reader_waiting_for_a_fresh_round",
        ),
    ),
    Mutant(
        "a stage check scheduled after a log's end ignores news that comes before it",
        f"{PKG}/triggers/stage_poller.py",
        "                await self.change_or(at)\n",
        "                await asyncio.sleep(at - time.monotonic())\n",
        (
            "tests/triggers/test_stage_poller.py::test_a_check_scheduled_for_later_comes_at_once_with_news_of_the_stage",
        ),
    ),
    Mutant(
        "a watch's wait is not ended by the poller's news",
        f"{PKG}/triggers/watch.py",
        "            self._stirred.set_result(None)\n",
        "            pass\n",
        (
            "tests/triggers/test_stage_poller.py::test_jobs_ending_together_cost_a_few_listings_and_one_inspect_each",
        ),
    ),
    Mutant(
        "an event-stream line ending in CR is taken as whole before its LF can come",
        f"{PKG}/hub/sse.py",
        'not lines[-1].endswith(b"\\n")',
        'not lines[-1].endswith((b"\\n", b"\\r"))',
        ("tests/hub/test_sse.py",),
    ),
    Mutant(
        "an answer that is not an event stream is read as one",
        f"{PKG}/hub/_streams.py",
        "            require_event_stream(self._response)\n            parser = EventParser()\n            async for",
        "            parser = EventParser()\n            async for",
        ("tests/hub/test_stream_reader.py",),
    ),
    Mutant(
        "the async stream reader reads ahead without bound",
        f"{PKG}/hub/_streams.py",
        "                while len(self._items) >= QUEUE_SIZE:\n",
        "                while False:\n",
        ("tests/hub/test_stream_reader.py",),
    ),
    Mutant(
        "a log line's timestamp is never parsed (replays unmarked)",
        f"{PKG}/hub/models.py",
        "        return parse_datetime(self.stamp)\n",
        "        return None\n",
        ("tests/triggers/test_spaces.py::test_restarted_trigger_marks_replayed_lines",),
    ),
    Mutant(
        "a restarted triggerer opens every log stream at once",
        f"{PKG}/hub/_async_transport.py",
        "        async with self._opening:\n",
        "        if self._opening:\n",
        ("tests/hub/test_transport.py::test_log_streams_open_in_waves_so_a_restart_does_not_flood_one_loop",),
    ),
    Mutant(
        "an unanswered restart question shows replayed lines unmarked",
        f"{PKG}/triggers/base.py",
        "            return now\n        if isinstance(earlier, runtime.Unknown):",
        "            return replay_before(self.deferred_at, now)\n        if isinstance(earlier, runtime.Unknown):",
        ("tests/triggers/test_jobs.py::test_a_silent_channel_to_airflow_marks_the_replayed_lines",),
    ),
    Mutant(
        "two inline uv scripts share one file",
        f"{PKG}/hub/calls/jobs.py",
        "'&& exec uv run \"${@/#\\\\/tmp\\\\/hfhub_inline_script.py/$d/hfhub_inline_script.py}\"'",
        '\'&& cp "$d/hfhub_inline_script.py" /tmp/hfhub_inline_script.py && exec uv run "$@"\'',
        ("tests/operators/test_inline_script_files.py",),
    ),
    Mutant(
        "a stage poller per trigger instead of one per loop",
        f"{PKG}/triggers/stage_poller.py",
        "    if namespace not in pollers:\n",
        "    if True:\n",
        ("tests/triggers/test_stage_poller.py",),
    ),
    Mutant(
        "a whole listing for one Job that ended alone",
        f"{PKG}/triggers/stage_poller.py",
        "        if self.listing and len(jobs) > 1 and not (wanted and len(wanted) < pages):",
        "        if self.listing and len(jobs) > 1:",
        ("tests/triggers/test_stage_poller.py",),
    ),
    Mutant(
        "ignore a low rate-limit budget",
        f"{PKG}/triggers/stage_poller.py",
        "        low = budget.low(now)\n        slow =",
        "        low = False\n        slow =",
        ("tests/triggers/test_stage_poller.py",),
    ),
    Mutant(
        "swallow a cancel while stopping a child task",
        f"{PKG}/triggers/watch.py",
        "    await asyncio.wait({task})  # raises CancelledError only when the caller itself is cancelled",
        "    try:\n        await task\n    except asyncio.CancelledError:\n        pass",
        ("tests/triggers/test_watch.py",),
    ),
    Mutant(
        "no cancel on an error event",
        f"{PKG}/operators/job_follow.py",
        'if event["status"] in ("timeout", "scheduling_timeout", "error"):',
        'if event["status"] in ("timeout", "scheduling_timeout"):',
        ("tests/operators/test_job_cancel.py",),
    ),
    Mutant(
        "no cancel when the task fails after the Job started",
        f"{PKG}/operators/job_follow.py",
        '            self._cancel(f"the task failed while following it ({type(exc).__name__})")\n',
        "",
        ("tests/operators/test_job_cancel.py",),
    ),
    Mutant(
        "no cancel when Airflow ends the deferral (__fail__)",
        f"{PKG}/operators/job_follow.py",
        '        if next_method == "__fail__":',
        '        if next_method == "__never__":',
        ("tests/operators/test_job_cancel.py",),
    ),
    Mutant(
        "cleanup cancels even while the task is still deferred (a triggerer restart)",
        f"{PKG}/triggers/base.py",
        '        if isinstance(state, runtime.Unknown) or state == "deferred":',
        "        if isinstance(state, runtime.Unknown):",
        ("tests/triggers/test_cancel.py",),
    ),
    Mutant(
        "cleanup never cancels (Airflow 3.1/3.2 kill while deferred)",
        f"{PKG}/triggers/base.py",
        "        await self.cancel(f\"the task is {state or 'cleared'}\")",
        "        return",
        ("tests/triggers/test_cancel.py",),
    ),
    Mutant(
        "a crashing trigger fails without an event",
        f"{PKG}/triggers/base.py",
        "        except Exception as exc:\n            # A crash",
        "        except ZeroDivisionError as exc:\n            # A crash",
        ("tests/triggers/test_cancel.py",),
    ),
    Mutant(
        "no replay marker",
        f"{PKG}/triggers/log_stream.py",
        '        marker = REPLAY_MARKER if self._replayed(line) else ""',
        '        marker = ""',
        ("tests/triggers/test_jobs.py",),
    ),
    Mutant(
        "skip masking in the trigger",
        f"{PKG}/triggers/base.py",
        "redact=Redactor(secrets))",
        "redact=None)",
        ("tests/triggers/test_secrets.py",),
    ),
    Mutant(
        "secrets in plaintext in the trigger arguments",
        f"{PKG}/triggers/sealed.py",
        "    return fernet.encrypt(json.dumps(secrets).encode()).decode()",
        "    return json.dumps(secrets)",
        ("tests/triggers/test_secrets.py",),
    ),
    Mutant(
        "a healthy reconnect does not end a run of failures",
        f"{PKG}/hub/flows.py",
        "        self.failures = 0\n        if not counts_as_event(event):",
        "        if not counts_as_event(event):",
        ("tests/hub/test_flows.py",),
    ),
    Mutant(
        "the flow stops before the stream is drained",
        f"{PKG}/hub/flows.py",
        "        return (yield from self.read_until_quiet(self.policy.idle_timeout))",
        "        return None",
        ("tests/hub/test_flows.py",),
    ),
    Mutant(
        "a 503 to a create is taken for unprocessed and resent blind",
        f"{PKG}/hub/retry.py",
        "    if isinstance(exc, RateLimitedError):\n        return True\n    return isinstance(exc, HubTransportError)",
        "    if isinstance(exc, (RateLimitedError, ServerError)) and exc.status_code in (429, 503):\n"
        "        return True\n    return isinstance(exc, HubTransportError)",
        ("tests/hub/test_flows.py",),
    ),
    Mutant(
        "a reset once sent is taken for a create never sent",
        f"{PKG}/hub/retry.py",
        "_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)",
        "_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ReadError)",
        ("tests/hub/test_flows.py",),
    ),
    Mutant(
        "a lost create is not looked up before it is sent again",
        f"{PKG}/hub/flows.py",
        "        unsure = call.find is not None and may_have_processed(error)",
        "        unsure = False",
        ("tests/hub/test_flows.py",),
    ),
    Mutant(
        "the create's total wait ignores the time a failed attempt took",
        f"{PKG}/hub/flows.py",
        "        yield from clock.do(Now())  # a failed step reports no time",
        "        pass  # a failed step reports no time",
        ("tests/hub/test_flows.py",),
    ),
    Mutant(
        "a failed whoami before a create is taken for a lost create (sync transport)",
        f"{PKG}/hub/_sync_transport.py",
        "return self.run(create(self._resolve(call), self.config.retry))",
        "return self.run(create(call, self.config.retry))",
        ("tests/operators/test_unreachable_hub.py",),
    ),
    Mutant(
        "a cleared task is taken for a retry",
        f"{PKG}/operators/job_attempts.py",
        "    return max(1, max_tries - (retries or 0) + 1)",
        "    return 1",
        (
            "tests/operators/test_jobs.py::test_clear_after_success_runs_a_new_job",
            "tests/operators/test_jobs.py::test_retry_after_a_clear_never_takes_a_job_from_before_the_clear",
        ),
    ),
    Mutant(
        "a completed Job of an earlier try is never taken",
        f"{PKG}/operators/job_attempts.py",
        "    if job.stage is JobStage.COMPLETED:\n",
        "    if False:\n",
        ("tests/operators/test_jobs.py::test_retry_after_the_worker_died_takes_the_completed_jobs_outcome",),
    ),
    Mutant(
        "an early event is not held (Airflow's fast-trigger race)",
        f"{PKG}/triggers/base.py",
        "        if hold > 0:",
        "        if False:",
        ("tests/triggers/test_cancel.py",),
    ),
    Mutant(
        "the replayed prefix of a reconnection is not skipped",
        f"{PKG}/hub/flows.py",
        "            self.cursor.new_connection(after_tail=after_tail)",
        "            pass",
        ("tests/hub/test_flows.py", "tests/hub/test_space_streams.py"),
    ),
    Mutant(
        "a restart soon after the deferral is taken for a first run",
        f"{PKG}/triggers/runtime.py",
        '    return getattr(earlier, "value", None) is not None',
        "    return False",
        ("tests/triggers/test_jobs.py",),
    ),
    Mutant(
        "a success event repeats the Job's last lines",
        f"{PKG}/triggers/job_watch.py",
        "return event(verdict.status, verdict.message, **fields)  # no log tail",
        "return event(verdict.status, verdict.message, **fields, log_tail=tail)  # no log tail",
        ("tests/triggers/test_jobs.py",),
    ),
    Mutant(
        "a uv script that is a local path is sent to the Hub",
        f"{PKG}/operators/validation.py",
        '    if re.search(r"[/\\\\]", script) or script.startswith((".", "~"))',
        "    if False",
        ("tests/operators/test_job_validation.py",),
    ),
    Mutant(
        "env values are sent without checking",
        f"{PKG}/operators/validation.py",
        "        if not (isinstance(value, str) or number):",
        "        if False:",
        ("tests/operators/test_job_validation.py",),
    ),
    Mutant(
        "sensor target stages are not checked",
        f"{PKG}/operators/validation.py",
        "    if not given or unknown:",
        "    if not given:",
        ("tests/sensors",),
    ),
    Mutant(
        "a missing connection id falls back to the environment",
        f"{PKG}/hooks/hfhub.py",
        "        if self.hfhub_conn_id != self.default_conn_name:\n            raise AirflowNotFoundException(",
        "        if False:\n            raise AirflowNotFoundException(",
        ("tests/hooks",),
    ),
    Mutant(
        "the Hub's message runs into the fix with no full stop",
        f"{PKG}/hub/errors.py",
        "    parts[0] = _sentence(parts[0])\n",
        "",
        ("tests/hub/test_errors.py",),
    ),
    Mutant(
        "a connection port that is not the endpoint's is taken silently",
        f"{PKG}/hooks/hfhub.py",
        "    if own is not None and own != port:",
        "    if False:",
        ("tests/hooks/test_connection_form.py",),
    ),
    Mutant(
        "Airflow's port 0 (no port) is taken for a port",
        f"{PKG}/hooks/hfhub.py",
        "    if not port:\n        return endpoint",
        "    if port is None:\n        return endpoint",
        ("tests/hooks/test_connection_form.py",),
    ),
    Mutant(
        "closing a sync log stream leaves the connection open until the next read returns",
        f"{PKG}/hub/_streams.py",
        "                sock.shutdown(socket.SHUT_RDWR)",
        "                pass",
        ("tests/hub/test_streams.py::test_consumer_can_stop_early_and_the_stream_is_closed",),
    ),
    Mutant(
        "a log read without follow ignores tail",
        f"{PKG}/hub/calls/jobs.py",
        '    params = (("tail", str(tail)),) if tail is not None else ()',
        "    params = ()",
        ("tests/hub/test_streams.py::test_without_follow_the_current_log_is_returned",),
    ),
    Mutant(
        "a SLEEPING Space is taken for a running one",
        f"{PKG}/triggers/space_watch.py",
        "        if name in watch.target_stages:",
        '        if name in watch.target_stages or (name == "SLEEPING" and "RUNNING" in watch.target_stages):',
        ("tests/sensors/test_spaces.py::test_sleeping_space_satisfies_the_sensor_once_woken",),
    ),
    Mutant(
        "any stage satisfies target stages without RUNNING",
        f"{PKG}/triggers/space_watch.py",
        "        if name in watch.target_stages:",
        '        if name in watch.target_stages or "RUNNING" not in watch.target_stages:',
        ("tests/sensors/test_spaces.py::test_sensor_accepts_other_targets",),
    ),
    Mutant(
        "a hook argument's default differs from HfApi's",
        f"{PKG}/hub/client.py",
        "        follow: bool = False,\n        tail: int | None = None,\n        stages: flows.StageSource",
        "        follow: bool = True,\n        tail: int | None = None,\n        stages: flows.StageSource",
        ("tests/hooks/test_hfhub.py::test_hook_methods_take_the_official_clients_names_and_arguments",),
    ),
    Mutant(
        "an async twin's arguments drift from its sync form",
        f"{PKG}/hub/async_client.py",
        "        tail: int | None = None,\n        stages: flows.AsyncStageSource",
        "        tail: int | None = 10,\n        stages: flows.AsyncStageSource",
        ("tests/hooks/test_hfhub.py::test_every_async_twin_takes_the_arguments_of_its_sync_form",),
    ),
    Mutant(
        "a Space trigger's way out pauses the Space",
        f"{PKG}/triggers/spaces.py",
        '        return f"Space {self.watch.repo_id}"\n',
        '        return f"Space {self.watch.repo_id}"\n\n'
        "    async def cancel(self, why: str) -> None:\n"
        "        import asyncio\n\n"
        "        from airflow_provider_hfhub.hooks.hfhub import HfHubHook\n\n"
        "        await super().cancel(why)\n"
        "        await asyncio.to_thread(HfHubHook(self.hfhub_conn_id).pause_space, self.watch.repo_id)\n",
        ("tests/triggers/test_spaces.py::test_a_task_that_left_deferred_leaves_its_space_alone",),
    ),
    Mutant(
        "a trigger's run() swallows its cancellation",
        f"{PKG}/triggers/base.py",
        "        except Exception as exc:\n            # A crash",
        "        except (Exception, asyncio.CancelledError) as exc:\n            # A crash",
        ("tests/triggers/test_jobs.py::test_user_kill_while_deferred_cancels_the_job",),
    ),
    Mutant(
        "a restart's RUNNING counts without seeing the Space leave RUNNING",
        f"{PKG}/triggers/space_watch.py",
        "        self.left_running = not watch.after_restart\n",
        "        self.left_running = True\n",
        ("tests/triggers/test_space_progress.py",),
    ),
    Mutant(
        "a stale RUNNING becomes success after a time",
        f"{PKG}/triggers/space_watch.py",
        '            "startup_timeout",\n            f"Space {self.watch.repo_id} was never seen',
        '            "success",\n            f"Space {self.watch.repo_id} was never seen',
        ("tests/triggers/test_space_progress.py",),
    ),
    Mutant(
        "a first try takes over an existing Space",
        f"{PKG}/operators/spaces.py",
        "        if try_number <= 1:",
        "        if try_number < 1:",
        ("tests/operators/test_spaces.py", "-k", "first_try"),
    ),
    Mutant(
        "a push's old build, still RUNNING, counts as the new one",
        f"{PKG}/triggers/space_watch.py",
        "            if stage is SpaceStage.RUNNING and self.old_build:",
        "            if stage is SpaceStage.RUNNING and False:",
        ("tests/operators/test_space_deploy.py", "-k", "old_build"),
    ),
    Mutant(
        "without a runtime sha, a push's first RUNNING counts",
        f"{PKG}/triggers/space_watch.py",
        "            if stage is SpaceStage.RUNNING and not (watch.commit and runtime.sha) and not self.left_running:",
        "            if False:",
        ("tests/operators/test_space_deploy.py", "-k", "runtime_sha"),
    ),
    Mutant(
        "the smoke check's token goes to any origin",
        f"{PKG}/operators/space_smoke.py",
        "        if self.token and origin(request.url) == self.origin:",
        "        if self.token:",
        ("tests/operators/test_spaces_dag.py", "-k", "smoke_token"),
    ),
    Mutant(
        "a public Space's smoke check gets the token",
        f"{PKG}/operators/space_smoke.py",
        "        token = self.hook.get_config().token if info.private else None",
        "        token = self.hook.get_config().token",
        ("tests/operators/test_space_smoke.py",),
    ),
    Mutant(
        "the commit trigger does not record the last commit it fired for",
        f"{PKG}/triggers/repos.py",
        "                    await self._save(last)  # right after the event is handed over, not before",
        "                    pass",
        ("tests/triggers/test_repos.py",),
    ),
    Mutant(
        "a malformed hf:// URI is accepted",
        f"{PKG}/assets/__init__.py",
        "    _check(parts)\n",
        "    pass\n",
        ("tests/assets",),
    ),
    Mutant(
        "the fake Hub's preupload gives no oid (every push is a commit)",
        f"{PKG}/testing/fake_hub/api_repos.py",
        '                entry["oid"] = git_blob_oid(known)',
        "                pass",
        ("tests/operators/test_space_deploy.py", "-k", "retry or empty"),
    ),
    Mutant(
        "@task.hfhub_job takes frames of any nonce",
        f"{PKG}/decorators/payload.py",
        'return f"{FRAME_PREFIX}{self.nonce} "',
        "return FRAME_PREFIX",
        ("tests/decorators/test_hfhub_job.py", "-k", "forged_marker"),
    ),
    Mutant(
        "@task.hfhub_job's function sees the nonce",
        f"{PKG}/decorators/remote.py",
        'nonce = os.environ.pop(NONCE_ENV, "")',
        'nonce = os.environ.get(NONCE_ENV, "")',
        ("tests/decorators/test_hfhub_job.py", "-k", "cannot_see"),
    ),
    Mutant(
        "result frames shown in the task log",
        f"{PKG}/triggers/log_stream.py",
        "        if is_frame(line.text):\n            return",
        "        pass",
        ("tests/decorators/test_hfhub_job.py", "-k", "stay_out"),
    ),
    Mutant(
        "a Job that ends without a result returns None",
        f"{PKG}/decorators/hfhub_job.py",
        "        if envelope is not None:\n            return payload.outcome(envelope, name, where)",
        "        if envelope is None:\n            return None\n        return payload.outcome(envelope, name, where)",
        ("tests/decorators/test_hfhub_job.py", "-k", "killed or forged_frames_only"),
    ),
    Mutant(
        "the budget guard does not cancel the Job",
        f"{PKG}/triggers/usage.py",
        "            await self.hook.acancel_job(job_id=job.id, namespace=job.owner.name)\n",
        "",
        ("tests/operators/test_job_usage.py::test_budget_guard_cancels_the_job_and_fails_the_task",),
    ),
    Mutant(
        "collect_metrics=False still reads the metrics stream",
        f"{PKG}/triggers/usage.py",
        "    if not collect:\n",
        "    if False:\n",
        ("tests/operators/test_job_usage.py::test_collect_metrics_off_sends_no_metrics_request",),
    ),
    Mutant(
        "the metrics stream is awaited at the outcome instead of stopped",
        f"{PKG}/triggers/usage.py",
        "        await stop(reader)\n",
        "        await asyncio.wait_for(reader, 30)\n",
        ("tests/operators/test_job_usage.py::test_metrics_stream_failures_neither_fail_nor_delay_the_task",),
    ),
    Mutant(
        "part minutes are not billed",
        f"{PKG}/hub/cost.py",
        "    return max(0, math.ceil(running_seconds / 60.0 - _EPSILON))",
        "    return max(0, math.floor(running_seconds / 60.0))",
        ("tests/hub/test_cost.py",),
    ),
    Mutant(
        "a declared scheduled Job is replaced even when unchanged",
        f"{PKG}/operators/scheduled_jobs.py",
        "            if why is None:\n",
        "            if False:\n",
        ("tests/operators/test_scheduled_jobs.py::test_create_or_update_by_name_is_idempotent",),
    ),
]


def run(mutant: Mutant, python: str) -> str:
    with tempfile.TemporaryDirectory(prefix="hfhub-mutant-") as tmp:
        copy = Path(tmp) / "tree"
        shutil.copytree(
            ROOT,
            copy,
            ignore=shutil.ignore_patterns(".venv*", ".git", "__pycache__", ".mypy_cache", ".ruff_cache"),
        )
        target = copy / mutant.path
        text = target.read_text()
        if text.count(mutant.old) != 1:
            return "stale"
        target.write_text(text.replace(mutant.old, mutant.new))
        result = subprocess.run(
            [python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-x", *mutant.tests],
            cwd=copy, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        return "caught" if result.returncode != 0 else "MISSED"


def main(argv: list[str]) -> int:
    chosen = [m for m in MUTANTS if not argv or any(word in m.name for word in argv)]
    bad = 0
    for mutant in chosen:
        started = time.monotonic()
        verdict = run(mutant, sys.executable)
        bad += verdict != "caught"
        print(f"{verdict:7} {time.monotonic() - started:5.1f} s  {mutant.name}", flush=True)
    print(f"{len(chosen) - bad} of {len(chosen)} breakages caught")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

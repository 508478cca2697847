"""The official ``huggingface_hub`` client, pointed at the fake Hub, works for every endpoint."""

from __future__ import annotations

import time

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, JobNotFoundError, RepositoryNotFoundError

from airflow_provider_hfhub.testing import FakeHub

from .fake_hub_helpers import wait_until

NS = "fake-user"


@pytest.fixture
def api(fake_hub: FakeHub) -> HfApi:
    # A small stage lag: the client sleeps 2 s after a stream end while the stage still lags.
    fake_hub.configure(stage_lag=0.05, metrics_interval=0.05)
    return HfApi(endpoint=fake_hub.url, token=fake_hub.token)


def test_whoami(api: HfApi) -> None:
    me = api.whoami()
    assert me["name"] == NS
    assert me["type"] == "user"
    assert [o["name"] for o in me["orgs"]] == ["fake-org"]


def test_run_inspect_and_follow_logs(api: HfApi, fake_hub: FakeHub) -> None:
    fake_hub.add_job_scenario("ok", lines=["one", "two", "three"], line_interval=0.02)
    job = api.run_job(
        image="python:3.12",
        command=["python", "train.py"],
        labels={"fake-scenario": "ok"},
        secrets={"HF_TOKEN": "hf_secret"},
        env={"A": "1"},
        flavor="t4-small",
        timeout="5m",
    )
    assert len(job.id) == 24
    assert job.owner.name == NS
    assert job.status.stage in ("SCHEDULING", "RUNNING")
    assert job.secrets == {"HF_TOKEN": ""}
    assert job.flavor == "t4-small"
    assert list(api.fetch_job_logs(job_id=job.id, follow=True)) == ["one", "two", "three"]
    info = api.inspect_job(job_id=job.id)
    assert info.status.stage == "COMPLETED"
    assert info.finished_at is not None and info.started_at is not None
    assert list(api.fetch_job_logs(job_id=job.id)) == ["one", "two", "three"]
    assert list(api.fetch_job_logs(job_id=job.id, tail=1)) == ["three"]


def test_follow_ends_even_though_stage_lags(api: HfApi, fake_hub: FakeHub) -> None:
    fake_hub.add_job_scenario("lag", lines=["x"], stage_lag=0.5)
    job = api.run_job(image="python:3.12", command=["true"], labels={"fake-scenario": "lag"})
    started = time.monotonic()
    assert list(api.fetch_job_logs(job_id=job.id, follow=True)) == ["x"]
    assert time.monotonic() - started < 6
    assert api.inspect_job(job_id=job.id).status.stage == "COMPLETED"


def test_error_job_message(api: HfApi, fake_hub: FakeHub) -> None:
    fake_hub.add_job_scenario(
        "bad", lines=["boom"], final_stage="ERROR", message="Job failed with exit code: 3"
    )
    job = api.run_job(image="python:3.12", command=["true"], labels={"fake-scenario": "bad"})
    wait_until(lambda: api.inspect_job(job_id=job.id).status.stage == "ERROR")
    assert api.inspect_job(job_id=job.id).status.message == "Job failed with exit code: 3"


def test_list_jobs_filters_and_pagination(api: HfApi, fake_hub: FakeHub) -> None:
    fake_hub.add_job_scenario("hold", hold=True)
    fake_hub.add_job_scenario("done")
    held = [
        api.run_job(image="python:3.12", command=["true"], labels={"fake-scenario": "hold", "team": "a"})
        for _ in range(3)
    ]
    done = api.run_job(image="python:3.12", command=["true"], labels={"fake-scenario": "done", "team": "a"})
    fake_hub.wait_for_job_stage(done.id, "COMPLETED")
    fake_hub.configure(page_size=2)
    assert len(list(api.list_jobs(namespace=NS))) == 4
    pages = [r for r in fake_hub.requests("/api/jobs/fake-user") if r["method"] == "GET"]
    assert len(pages) == 2
    running = {j.id for j in api.list_jobs(namespace=NS, status="running", labels={"team": "a"})}
    assert running == {j.id for j in held}
    assert [j.id for j in api.list_jobs(namespace=NS, labels={"fake-scenario": "done", "team": "a"})] == [
        done.id
    ]
    assert list(api.list_jobs(namespace=NS, labels={"team": "b"})) == []


def test_cancel_job(api: HfApi, fake_hub: FakeHub) -> None:
    fake_hub.add_job_scenario("hold", lines=["started"], hold=True)
    job = api.run_job(image="python:3.12", command=["true"], labels={"fake-scenario": "hold"})
    api.cancel_job(job_id=job.id)
    assert api.inspect_job(job_id=job.id).status.stage == "CANCELED"
    assert list(api.fetch_job_logs(job_id=job.id, follow=True)) == ["started"]
    api.cancel_job(job_id=job.id)  # terminal: no change, no error
    assert api.inspect_job(job_id=job.id).status.stage == "CANCELED"


def test_fetch_job_metrics(api: HfApi, fake_hub: FakeHub) -> None:
    fake_hub.add_job_scenario("hold", hold=True)
    job = api.run_job(
        image="python:3.12", command=["true"], labels={"fake-scenario": "hold"}, flavor="a10g-small"
    )
    first = next(iter(api.fetch_job_metrics(job_id=job.id)))
    assert {"cpu_usage_pct", "memory_used_bytes", "gpus", "replica"} <= set(first)
    assert first["gpus"]
    samples = []
    for sample in api.fetch_job_metrics(job_id=job.id, follow=True):
        samples.append(sample)
        if len(samples) == 3:
            fake_hub.finish_job(job.id, "COMPLETED")
    assert len(samples) >= 3
    fake_hub.wait_for_job_stage(job.id, "COMPLETED")
    assert list(api.fetch_job_metrics(job_id=job.id, follow=True)) == []  # 406 once finished


def test_hardware(api: HfApi) -> None:
    jobs_hw = {h.name for h in api.list_jobs_hardware()}
    assert {"cpu-basic", "a10g-small", "h200"} <= jobs_hw
    gpu = next(h for h in api.list_jobs_hardware() if h.name == "t4-small")
    assert gpu.accelerator is not None and gpu.accelerator.model == "T4"


def test_scheduled_jobs(api: HfApi, fake_hub: FakeHub) -> None:
    fake_hub.add_job_scenario("quick", lines=["tick"])
    sj = api.create_scheduled_job(
        image="python:3.12", command=["true"], schedule="@hourly", labels={"fake-scenario": "quick"}
    )
    assert sj.schedule == "@hourly" and sj.suspend is False
    assert [s.id for s in api.list_scheduled_jobs()] == [sj.id]
    assert api.inspect_scheduled_job(scheduled_job_id=sj.id).id == sj.id
    api.suspend_scheduled_job(scheduled_job_id=sj.id)
    assert api.inspect_scheduled_job(scheduled_job_id=sj.id).suspend is True
    api.resume_scheduled_job(scheduled_job_id=sj.id)
    assert api.inspect_scheduled_job(scheduled_job_id=sj.id).suspend is False
    run = api.trigger_scheduled_job(scheduled_job_id=sj.id)
    assert run.initiator is not None and run.initiator.type == "scheduled-job"
    assert list(api.fetch_job_logs(job_id=run.id, follow=True)) == ["tick"]
    assert api.inspect_scheduled_job(scheduled_job_id=sj.id).status.last_job.id == run.id
    api.delete_scheduled_job(scheduled_job_id=sj.id)
    assert list(api.list_scheduled_jobs()) == []


def test_job_errors_map_to_client_classes(api: HfApi, fake_hub: FakeHub) -> None:
    with pytest.raises(JobNotFoundError):
        api.inspect_job(job_id="0" * 24)
    with pytest.raises(HfHubHTTPError) as forbidden:
        api.inspect_job(job_id="0" * 24, namespace="someone-else")
    assert forbidden.value.response.status_code == 403
    bad = HfApi(endpoint=fake_hub.url, token="hf_wrong")
    with pytest.raises(HfHubHTTPError) as unauthorized:
        bad.inspect_job(job_id="0" * 24, namespace=NS)
    assert unauthorized.value.response.status_code == 401


def test_space_runtime_restart_and_logs(api: HfApi, fake_hub: FakeHub) -> None:
    fake_hub.add_space("fake-user/demo", build_lines=["step 1", "step 2"], run_lines=["serving"])
    rt = api.get_space_runtime("fake-user/demo")
    assert rt.stage == "RUNNING" and rt.hardware == "cpu-basic" and rt.sleep_time == 172800
    assert api.restart_space("fake-user/demo").stage == "BUILDING"
    assert list(api.fetch_space_logs("fake-user/demo", build=True, follow=True)) == ["step 1\n", "step 2\n"]
    wait_until(lambda: api.get_space_runtime("fake-user/demo").stage == "RUNNING")
    api.pause_space("fake-user/demo")  # the run log closes, so the no-follow read ends at once
    assert list(api.fetch_space_logs("fake-user/demo")) == ["serving\n"]
    api.restart_space("fake-user/demo", factory_reboot=True)
    assert fake_hub.space_state("fake-user/demo")["restarts"][-1]["factory"] is True


def test_space_pause_hardware_sleeptime(api: HfApi, fake_hub: FakeHub) -> None:
    fake_hub.add_space("fake-user/demo")
    rt = api.request_space_hardware("fake-user/demo", "t4-small")
    assert rt.requested_hardware == "t4-small"
    wait_until(lambda: api.get_space_runtime("fake-user/demo").hardware == "t4-small")
    assert api.set_space_sleep_time("fake-user/demo", 3600).sleep_time == 3600
    paused = api.pause_space("fake-user/demo")
    assert paused.stage == "PAUSED" and paused.hardware is None


def test_space_secrets_and_variables(api: HfApi, fake_hub: FakeHub) -> None:
    fake_hub.add_space("fake-user/demo")
    api.add_space_secret("fake-user/demo", "TOKEN", "s3cret", description="api")
    assert "TOKEN" in fake_hub.space_state("fake-user/demo")["secrets"]
    api.delete_space_secret("fake-user/demo", "TOKEN")
    api.delete_space_secret("fake-user/demo", "MISSING")
    assert fake_hub.space_state("fake-user/demo")["secrets"] == {}
    api.add_space_variable("fake-user/demo", "MODE", "fast", description="speed")
    variables = api.get_space_variables("fake-user/demo")
    assert variables["MODE"].value == "fast" and variables["MODE"].description == "speed"
    api.delete_space_variable("fake-user/demo", "MODE")
    assert dict(api.get_space_variables("fake-user/demo")) == {}


def test_duplicate_space(api: HfApi, fake_hub: FakeHub) -> None:
    fake_hub.add_space("fake-org/template", run_lines=["hello"])
    url = api.duplicate_repo(
        "fake-org/template",
        to_id="fake-user/copy",
        repo_type="space",
        space_hardware="t4-small",
        space_variables=[{"key": "A", "value": "1"}],
    )
    assert url.repo_id == "fake-user/copy"
    wait_until(lambda: api.get_space_runtime("fake-user/copy").stage == "RUNNING")
    assert api.get_space_runtime("fake-user/copy").hardware == "t4-small"
    with pytest.raises(HfHubHTTPError) as conflict:
        api.duplicate_repo("fake-org/template", to_id="fake-user/copy", repo_type="space")
    assert conflict.value.response.status_code == 409
    assert api.duplicate_repo("fake-org/template", to_id="fake-user/copy", repo_type="space", exist_ok=True)


def test_space_errors_map_to_client_classes(api: HfApi, fake_hub: FakeHub) -> None:
    with pytest.raises(RepositoryNotFoundError):
        api.get_space_runtime("fake-user/missing")
    fake_hub.add_space("stranger/theirs")
    assert api.get_space_runtime("stranger/theirs").stage == "RUNNING"  # public runtime is readable
    with pytest.raises(HfHubHTTPError) as forbidden:
        api.restart_space("stranger/theirs")
    assert forbidden.value.response.status_code == 403
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=fake_hub.url, token="hf_wrong").get_space_runtime("fake-user/missing")


def test_create_space_upload_folder_and_read_info(api: HfApi, fake_hub: FakeHub, tmp_path) -> None:
    (tmp_path / "app.py").write_text("print('v1')\n")
    (tmp_path / "requirements.txt").write_text("gradio\n")
    url = api.create_repo("fake-user/app", repo_type="space", space_sdk="gradio", private=True)
    assert url.repo_id == "fake-user/app"
    assert api.create_repo("fake-user/app", repo_type="space", space_sdk="gradio", exist_ok=True)
    assert api.get_space_runtime("fake-user/app").stage == "NO_APP_FILE"
    commit = api.upload_folder(repo_id="fake-user/app", repo_type="space", folder_path=tmp_path)
    assert len(commit.oid) == 40
    wait_until(lambda: api.get_space_runtime("fake-user/app").stage == "RUNNING")
    info = api.space_info("fake-user/app")
    assert info.sha == commit.oid and info.private is True
    assert {s.rfilename for s in info.siblings or []} >= {"app.py", "requirements.txt"}
    assert info.host and info.host != fake_hub.url and info.subdomain == "fake-user-app"
    assert info.runtime is not None and info.runtime.raw["sha"] == commit.oid
    # The same content again is no commit: the preupload's oids match, the client skips it.
    again = api.upload_folder(repo_id="fake-user/app", repo_type="space", folder_path=tmp_path)
    assert again.oid == commit.oid
    assert api.list_repo_commits("fake-user/app", repo_type="space")[0].commit_id == commit.oid
    (tmp_path / "app.py").write_text("print('v2')\n")
    (tmp_path / "requirements.txt").unlink()  # a file uploaded again is never deleted
    newer = api.upload_folder(
        repo_id="fake-user/app", repo_type="space", folder_path=tmp_path, delete_patterns=["*.txt"],
        commit_message="v2",
    )  # fmt: skip
    assert newer.oid != commit.oid
    assert api.list_repo_files("fake-user/app", repo_type="space") == [".gitattributes", "app.py"]
    assert api.list_repo_commits("fake-user/app", repo_type="space")[0].title == "v2"
    assert api.repo_info("fake-user/app", repo_type="space", revision=commit.oid).sha == commit.oid


def test_model_repo_commits(api: HfApi) -> None:
    api.create_repo("fake-org/model")
    with pytest.raises(HfHubHTTPError) as conflict:
        api.create_repo("fake-org/model")
    assert conflict.value.response.status_code == 409
    done = api.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id="fake-org/model")
    assert api.model_info("fake-org/model").sha == done.oid
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("fake-org/missing")

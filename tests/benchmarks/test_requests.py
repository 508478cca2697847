"""How the benchmarks count Hub requests (``benchmarks/_requests.py``), on the fake Hub's own log."""

from __future__ import annotations

from airflow_provider_hfhub.hub import HubClient
from airflow_provider_hfhub.testing import FakeHub
from benchmarks import _requests


def test_paged_listings_count_as_rounds_beside_inspects_and_streams(
    fake_hub: FakeHub, client: HubClient
) -> None:
    fake_hub.configure(page_size=2)
    fake_hub.add_job_scenario("held", hold=True)
    ids = [
        client.run_job(image="python:3.12", command=["true"], labels={"fake-scenario": "held"}).id
        for _ in range(4)
    ]
    fake_hub.finish_job(ids[0])
    fake_hub.wait_for_job_stage(ids[0], "COMPLETED")
    fake_hub.clear_requests()

    assert len(client.list_jobs(status=["SCHEDULING", "RUNNING"])) == 3  # two pages
    client.inspect_job(job_id=ids[1])
    assert list(client.fetch_job_logs(job_id=ids[0])) == []  # "Job started" alone is no line
    assert len(client.list_jobs(status="RUNNING")) == 3  # two more pages

    requests = fake_hub.requests()
    assert _requests.count(requests) == {
        "log_streams": 1,
        "inspects": 1,
        "listing_pages": 4,
        "other": 0,
        "total": 6,
        "listing_rounds": 2,
    }
    assert _requests.round_starts(requests) == [requests[0]["time"], requests[4]["time"]]
    assert _requests.rounds(requests) == [  # the inspect after a listing is its round's
        {"start": requests[0]["time"], "last": requests[2]["time"], "pages": 2, "inspects": 1},
        {"start": requests[4]["time"], "last": requests[5]["time"], "pages": 2, "inspects": 0},
    ]
    since_inspect = _requests.end_checks(requests, requests[2]["time"], jobs=1)
    assert (since_inspect["inspects"], since_inspect["listing_pages"], since_inspect["listing_rounds"]) == (
        1,
        2,
        1,
    )
    assert since_inspect["stage_requests_per_job"] == 3.0


def _checks(inspects: int, rounds: int) -> list[dict[str, object]]:
    job, listing = "/api/jobs/u/" + "a" * 24, "/api/jobs/u"
    first_pages = [{"time": 1.0, "method": "GET", "path": listing, "query": [["stage", "RUNNING"]]}] * rounds
    next_pages = [{"time": 1.0, "method": "GET", "path": listing, "query": [["cursor", "50"]]}] * rounds
    return [*first_pages, *next_pages, *[{"time": 1.0, "method": "GET", "path": job}] * inspects]


def test_end_checks_allow_one_inspect_per_job_and_a_few_rounds() -> None:
    met = _requests.end_checks(_checks(inspects=100, rounds=_requests.FEW_ROUNDS), 0.0, jobs=100)
    assert met["target_at_most_one_inspect_per_job_and_few_rounds"]
    assert met["stage_requests_per_job"] == 1.2
    for inspects, rounds in ((101, 1), (100, _requests.FEW_ROUNDS + 1)):
        missed = _requests.end_checks(_checks(inspects, rounds), 0.0, jobs=100)
        assert not missed["target_at_most_one_inspect_per_job_and_few_rounds"]
    assert _requests.end_checks(_checks(100, 1), 2.0, jobs=100)["total"] == 0  # before `since`: not counted


def test_projection_scales_pages_to_1000_jobs_and_adds_the_churn_of_one_hour_jobs() -> None:
    # Measured at 60 Jobs: 2 pages a round (page size 50); at 1,000 Jobs a round is 20 pages, not 33.
    projected = _requests.projection(
        jobs=60, round_pages=2, round_inspects=0, other_per_job_minute=0.001,
        start_cost=1, end_pages=4, end_inspects=1, end_other=0,
    )  # fmt: skip
    assert projected["quiet_per_5_min"] == 5 * 20 + 0.001 * 1000 * 5  # 5 rounds of 20 pages + the rest
    assert projected["quiet_per_job_minute"] == 0.021
    assert projected["ends_per_5_min"] == 83.3  # 1,000 one-hour Jobs: 1,000 / 12 end every 5 minutes
    assert projected["requests_per_isolated_end_at_1000"] == 41  # 4 pages x 10 + 1 inspect
    assert projected["churn_per_5_min"] == round(1000 / 12 * (1 + 41), 1)
    assert projected["targets"] == {
        "quiet_at_most_0_05_per_job_minute": True,
        "quiet_under_300_per_5_min": True,
        "with_churn_under_300_per_5_min": False,
    }
    assert projected["share_of_limit"]["free"] == round((105 + 3500) / 1000, 3)

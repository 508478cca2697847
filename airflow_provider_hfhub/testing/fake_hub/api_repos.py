"""Repo routes: create a repo, read its info and commits, and commit to it as the official client does.

``POST /api/repos/create``; ``GET /api/{kind}/{ns}/{name}[/revision/{rev}]`` (repo info with
``sha``); ``GET .../commits/{rev}``, ``GET .../tree/{rev}``; ``POST .../preupload/{rev}`` (every
file "regular") and ``POST .../commit/{rev}`` (NDJSON). Requests as ``huggingface_hub`` 2.4 sends
them (``hf_api.py::create_repo``, ``_commit_api.py::_fetch_upload_modes``, ``_send_commit``); see
docs/hub-api.md#repos-and-commits. A commit to a Space rebuilds it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .http import HttpError, error, json_object
from .repos import KINDS, Commit, Repo, git_blob_oid, subdomain
from .spaces import Space
from .store import Store

Handler = Callable[[Request, Repo], Coroutine[Any, Any, Response]]


def routes(store: Store) -> list[Route]:
    """Return the repo routes bound to ``store``."""
    s = store

    def find(kind: str, repo_id: str) -> Repo | None:
        repo = s.repos.get((kind, repo_id))
        space = s.spaces.get(repo_id) if kind == "space" else None
        if repo is None and space is not None:  # a Space the admin API added: its repo on demand
            repo = s.repos[(kind, repo_id)] = Repo(kind, repo_id, private=space.private)
        return repo

    def repo_route(path: str, handler: Handler, methods: list[str], *, write: bool = False) -> Route:
        async def endpoint(request: Request) -> Response:
            params = request.path_params
            kind, ns = KINDS.get(params["kind"]), params["ns"]
            repo = find(kind, f"{ns}/{params['name']}") if kind else None
            if repo is None or (repo.private and not s.settings.owns(ns)):
                return error(404, "Repository not found", "RepoNotFound")
            if write and not s.settings.owns(ns):
                return error(403, f"You don't have the rights to write to {repo.repo_id}")
            return await handler(request, repo)

        return Route(f"/api/{{kind}}/{{ns}}/{{name}}{path}", endpoint, methods=methods)

    def revision(request: Request, repo: Repo) -> Commit:
        commit = repo.find(request.path_params.get("rev", "main"))
        if commit is None:
            raise HttpError(404, f"Invalid rev id: {request.path_params['rev']}", "RevisionNotFound")
        return commit

    async def create(request: Request) -> Response:
        body = await json_object(request)
        kind = str(body.get("type") or "model")
        ns = str(body.get("organization") or s.settings.user)
        repo_id = f"{ns}/{body.get('name')}"
        if kind not in KINDS.values() or not body.get("name"):
            return error(400, "type must be model, dataset or space, and name is required")
        if not s.settings.owns(ns):
            return error(403, f"You don't have the rights to create a repo in namespace '{ns}'")
        base = str(request.base_url).rstrip("/")
        existing = find(kind, repo_id)
        if existing is not None:
            return error(409, f"You already created this {kind} repo", url=existing.url(base))
        private = body.get("visibility") == "private" or bool(body.get("private"))
        repo = s.repos[(kind, repo_id)] = Repo(kind, repo_id, private=private)
        if kind == "space":
            # No app file yet: the first commit builds it (docs/hub-api.md#space-deploys).
            name = repo_id.split("/", 1)[1]
            space = Space(namespace=ns, name=name, stage="NO_APP_FILE", hardware=None, private=private)
            space.sdk = str(body.get("sdk") or "gradio")
            space.requested_hardware = body.get("hardware") or "cpu-basic"
            space.sha = space.building_sha = repo.sha
            s.spaces[repo_id] = space
        return JSONResponse({"url": repo.url(base), "name": repo_id, "id": repo_id})

    async def info(request: Request, repo: Repo) -> Response:
        base = str(request.base_url).rstrip("/")
        body = repo.info(base, revision(request, repo))
        space = s.spaces.get(repo.repo_id) if repo.kind == "space" else None
        if space is not None:
            body.update(
                sdk=space.sdk,
                subdomain=subdomain(repo.repo_id),
                host=await s.space_hosts.url(space),
                runtime=space.runtime(),
            )
        return JSONResponse(body)

    async def commits(request: Request, repo: Repo) -> Response:
        head = revision(request, repo)
        upto = repo.commits[: repo.commits.index(head) + 1]
        return JSONResponse([c.to_json(s.settings.user) for c in reversed(upto)])

    async def tree(request: Request, repo: Repo) -> Response:
        revision(request, repo)
        return JSONResponse(
            [
                {"type": "file", "oid": git_blob_oid(data), "size": len(data), "path": path}
                for path, data in sorted(repo.files.items())
            ]
        )

    async def preupload(request: Request, repo: Repo) -> Response:
        revision(request, repo)
        files = (await json_object(request)).get("files")
        if not isinstance(files, list):
            return error(400, "files must be a list")
        answer = []
        for item in files:
            path = str(item.get("path"))
            known = repo.files.get(path)
            entry: dict[str, Any] = {"path": path, "uploadMode": "regular", "shouldIgnore": False}
            if known is not None:
                entry["oid"] = git_blob_oid(known)
            answer.append(entry)
        return JSONResponse({"files": answer})

    async def commit(request: Request, repo: Repo) -> Response:
        if request.path_params["rev"] != "main":
            return error(400, "The fake Hub commits to main only", "RevisionNotFound")
        header, adds, deletes = _parse_commit(await request.body())
        parent = header.get("parentCommit")
        if parent and not repo.sha.startswith(parent):
            return error(412, f"Parent commit {parent} is not the head of main ({repo.sha})")
        title = str(header.get("summary") or "")
        if not title:
            return error(400, "summary is required")
        done = repo.commit(title, str(header.get("description") or ""), adds, deletes)
        space = s.spaces.get(repo.repo_id) if repo.kind == "space" else None
        if space is not None:
            space.restart(reason="commit", sha=done.oid)  # the Hub rebuilds a Space on every push
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {"success": True, "commitOid": done.oid, "commitUrl": f"{repo.url(base)}/commit/{done.oid}"}
        )

    async def space_requests(request: Request) -> Response:
        return JSONResponse(s.space_hosts.requests)

    return [
        Route("/_fake/space-requests", space_requests, methods=["GET"]),
        Route("/api/repos/create", create, methods=["POST"]),
        repo_route("", info, ["GET"]),
        repo_route("/revision/{rev}", info, ["GET"]),
        repo_route("/commits/{rev}", commits, ["GET"]),
        repo_route("/tree/{rev}", tree, ["GET"]),
        repo_route("/preupload/{rev}", preupload, ["POST"], write=True),
        repo_route("/commit/{rev}", commit, ["POST"], write=True),
    ]


def _parse_commit(raw: bytes) -> tuple[dict[str, Any], dict[str, bytes], list[str]]:
    """The NDJSON commit body (``_commit_api.py::_prepare_commit_payload``): header, files, deletions."""
    header: dict[str, Any] = {}
    adds: dict[str, bytes] = {}
    deletes: list[str] = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            key, value = item["key"], item["value"]
        except (ValueError, KeyError, TypeError) as exc:
            raise HttpError(400, f"Invalid NDJSON commit line: {exc}") from exc
        if key == "header":
            header = value
        elif key == "file":
            adds[value["path"]] = base64.b64decode(value["content"])
        elif key in ("deletedFile", "deletedFolder"):
            deletes.append(value["path"].rstrip("/") + ("/" if key == "deletedFolder" else ""))
        else:
            raise HttpError(400, f"The fake Hub stores regular files only, not {key!r}")
    return header, adds, deletes

"""The ClinicalTrials.gov API v2 client behind `msckg fetch ctgov`: paged searches (pageToken) or NCT IDs, a timeout,
retries with exponential backoff that honour Retry-After, a polite rate limit, and every study written to the
fetch cache (loader/fetch/cache.py). Network access happens here and nowhere else in msckg."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import httpx

from msckg.loader import __version__

from .cache import Entry, read_manifest, store_study, write_manifest

API = "https://clinicaltrials.gov/api/v2"
API_ENV = "MSCKG_CTGOV_API"  # another base URL (a mirror, or a local server in tests)
MAX_PAGE = 1000  # the API's largest pageSize
IDS_PER_REQUEST = 200
RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_WAIT = 300.0  # seconds: the longest Retry-After or backoff msckg waits
NCT = re.compile(r"^NCT\d{8}$")
V1_KEYS = ("FullStudiesResponse", "StudyFieldsResponse", "FullStudy")


class FetchError(Exception):
    """A fetch that cannot go on: one line for the user, and a hint."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


@dataclass
class Search:
    """What to fetch: a search (text, condition, intervention) or a list of NCT IDs, at most `limit` studies."""

    query: str | None = None
    condition: str | None = None
    intervention: str | None = None
    ids: list[str] = field(default_factory=list)
    limit: int | None = None
    page_size: int = 100

    def params(self) -> dict[str, str]:
        out = {"format": "json", "pageSize": str(min(self.page_size, self.limit or MAX_PAGE, MAX_PAGE))}
        for key, value in (("query.term", self.query), ("query.cond", self.condition), ("query.intr", self.intervention)):
            if value:
                out[key] = value
        return out


@dataclass
class Result:
    """What a fetch wrote: manifest entries, pages read, NCT IDs asked for and not found, and the registry's total."""

    written: list[Entry] = field(default_factory=list)
    pages: int = 0
    not_found: list[str] = field(default_factory=list)
    total: int | None = None


def base_url() -> str:
    return os.environ.get(API_ENV) or API


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())


class Client:
    """GET JSON from the API, politely: at most `per_minute` requests a minute, `retries` retries on 429, 5xx,
    timeouts, dropped connections and truncated bodies, waiting Retry-After or backoff x 2^attempt seconds."""

    def __init__(self, base: str | None = None, timeout: float = 30.0, retries: int = 5, backoff: float = 1.0,
                 per_minute: float = 40.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, transport: httpx.BaseTransport | None = None):
        self.base = (base or base_url()).rstrip("/")
        self.retries, self.backoff, self.sleep, self.clock = retries, backoff, sleep, clock
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._last: float | None = None
        self.waits: list[float] = []  # every wait, for the report (and tests)
        self.http = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True, transport=transport,
                                 headers={"User-Agent": f"msckg/{__version__} (knowledge graph of cell-therapy trials)",
                                          "Accept": "application/json"})

    def close(self) -> None:
        self.http.close()

    def _wait(self, seconds: float) -> None:
        seconds = min(max(seconds, 0.0), MAX_WAIT)
        if seconds:
            self.waits.append(seconds)
            self.sleep(seconds)

    def _polite(self) -> None:
        if self._last is not None:
            self._wait(self.interval - (self.clock() - self._last))
        self._last = self.clock()

    def get(self, path: str, params: dict[str, str]) -> tuple[dict, str]:
        """(JSON object, URL) of one page; FetchError when it cannot be had."""
        url = f"{self.base}/{path.lstrip('/')}"
        last = ""
        for attempt in range(self.retries + 1):
            self._polite()
            wait = self.backoff * 2 ** attempt
            try:
                resp = self.http.get(url, params=params)
            except httpx.TimeoutException:
                last = "the server did not answer in time"
            except httpx.TransportError as exc:
                last = f"the connection failed ({type(exc).__name__}: {exc})"
            else:
                shown = str(resp.url)
                if resp.status_code == 200:
                    try:
                        body = json.loads(resp.text)
                    except json.JSONDecodeError as exc:
                        last = f"the answer is not complete JSON ({exc.msg} at character {exc.pos} of {len(resp.text)}: a truncated body?)"
                    else:
                        _refuse_v1(body, shown)
                        if not isinstance(body, dict):
                            raise FetchError(f"{shown}: expected a JSON object, got {type(body).__name__}")
                        return body, shown
                elif resp.status_code in RETRY_STATUS:
                    last = f"HTTP {resp.status_code} {resp.reason_phrase}"
                    wait = _retry_after(resp.headers.get("Retry-After")) or wait
                else:
                    raise FetchError(f"{shown}: HTTP {resp.status_code} {resp.reason_phrase}: {resp.text[:200].strip()}",
                                     "check the search terms and NCT IDs; the API's parameters are at https://clinicaltrials.gov/data-api/api")
            if attempt < self.retries:
                self._wait(wait)
        raise FetchError(f"{url}: gave up after {self.retries + 1} attempts: {last}",
                         "try again later, or with a lower --rate; records fetched so far are in the cache")


def _refuse_v1(body, url: str) -> None:
    if isinstance(body, dict) and any(k in body for k in V1_KEYS):
        raise FetchError(f"{url}: the server answered in the retired v1 format ('{next(k for k in V1_KEYS if k in body)}')",
                         f"msckg reads API v2 only: use --base-url {API} (or unset {API_ENV})")


def _studies(body: dict, url: str) -> list[dict]:
    studies = body.get("studies")
    if not isinstance(studies, list):
        raise FetchError(f"{url}: the answer has no 'studies' list (is this the v2 /studies endpoint?)")
    for s in studies:
        nct = s.get("protocolSection", {}).get("identificationModule", {}).get("nctId") if isinstance(s, dict) else None
        if not isinstance(nct, str) or not NCT.match(nct):
            raise FetchError(f"{url}: a study without a valid protocolSection.identificationModule.nctId ({nct!r})")
    return studies


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _expected(search: Search, total: int | None) -> int | None:
    """How many studies the fetch will write, when known (for the progress bar)."""
    known = [x for x in (len(search.ids) if search.ids else total, search.limit) if x is not None]
    return min(known) if known else None


def fetch(search: Search, out: Path, client: Client, on_page: Callable[[int, int | None], None] = lambda done, total: None) -> Result:
    """Fetch every study of `search` into the cache folder `out` (manifest rewritten after every page)."""
    out = Path(out)
    manifest = read_manifest(out)
    result = Result()
    bad = [i for i in search.ids if not NCT.match(i)]
    if bad:
        raise FetchError(f"not NCT IDs: {', '.join(bad)}", "an NCT ID is NCT followed by 8 digits, e.g. NCT04014166")
    batches = [search.ids[i:i + IDS_PER_REQUEST] for i in range(0, len(search.ids), IDS_PER_REQUEST)] or [None]
    seen: set[str] = set()
    for batch in batches:
        params = search.params()
        if batch:
            params["filter.ids"] = ",".join(batch)
            params["pageSize"] = str(min(len(batch), MAX_PAGE))
        params["countTotal"] = "true"
        while True:
            body, url = client.get("studies", params)
            result.pages += 1
            if "totalCount" in body and batch is None:
                result.total = int(body["totalCount"])
            fetched_at = _now()
            for study in _studies(body, url):
                if search.limit is not None and len(result.written) >= search.limit:
                    break
                entry = store_study(out, study, fetched_at, url)
                manifest[entry.file] = entry
                result.written.append(entry)
                seen.add(entry.nct_id)
            write_manifest(out, manifest)
            on_page(len(result.written), _expected(search, result.total))
            token = body.get("nextPageToken")
            if not token or (search.limit is not None and len(result.written) >= search.limit):
                break
            params = {k: v for k, v in params.items() if k != "countTotal"}
            params["pageToken"] = str(token)
    result.not_found = [i for i in search.ids if i not in seen]
    return result


def split_file(path: Path, out: Path) -> Result:
    """Write each study of a saved API answer (a /studies page, or one study) to the cache folder, offline."""
    path, out = Path(path), Path(out)
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FetchError(f"{path}: cannot read it as JSON ({exc})") from None
    _refuse_v1(body, str(path))
    single = isinstance(body, dict) and "protocolSection" in body
    studies = _studies({"studies": [body]} if single else body if isinstance(body, dict) else {}, str(path))
    fetched_at = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).replace(microsecond=0).isoformat()
    manifest = read_manifest(out)
    result = Result(pages=1, total=len(studies))
    for study in studies:
        entry = store_study(out, study, fetched_at, path.resolve().as_uri())
        manifest[entry.file] = entry
        result.written.append(entry)
    write_manifest(out, manifest)
    return result

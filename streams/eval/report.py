"""The evaluation as one self-contained HTML file (``bunri eval --report report.html``).

Charts are plotly figures; plotly.js is inlined once in the page, so the file opens offline, and the
browser renders the Korean category names (a static image would need a Hangul font on the machine
that drew it). What is on the page: the configuration(s) that produced the replies, headline figures,
the confusion matrix as a heat map, agreement per category as bars (both runs with ``--against``), the
latency distribution per stage and end to end, the cost per query distribution, failures by reason,
and the table of queries whose category or answer changed.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

__all__ = ["write_report"]

_CSS = """body{font-family:system-ui,-apple-system,'Noto Sans KR','Malgun Gothic',sans-serif;margin:2rem auto;
max-width:1200px;color:#222;padding:0 1rem}h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}
.kpis{display:flex;flex-wrap:wrap;gap:.8rem}.kpi{border:1px solid #ddd;border-radius:8px;padding:.6rem 1rem;
min-width:9rem}.kpi b{display:block;font-size:1.5rem}.muted{color:#666;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border:1px solid #ddd;padding:.35rem .5rem;
vertical-align:top;text-align:left}th{background:#f5f5f5}.was{background:#fff3f3}.now{background:#f2fbf2}
pre{white-space:pre-wrap;margin:0;font-family:inherit}"""


def write_report(path: Path, result: dict[str, Any]) -> None:
    """Write ``result`` (what ``bunri eval --json`` prints) as an HTML page to ``path``."""
    import plotly.offline

    run, other = result["run"], result.get("against")
    sections = [_header(result), _kpis(run["metrics"], other["metrics"] if other else None, run["name"],
                                       other["name"] if other else None), _configurations(run, other)]
    labelled = run["metrics"].get("labelled")
    if labelled:
        sections.append(_section("Confusion matrix", "Rows: the labelled category; columns: what the run "
                                 "answered. An answer in the label's accepted list counts on the diagonal.",
                                 _confusion(labelled["confusion"])))
        sections.append(_section("Agreement per category", "Share of each labelled category answered right.",
                                 _per_category(run, other)))
        if labelled["per_class"]:
            sections.append(_section("Agreement per kind of question", "For sets that label what each question "
                                     "tests (negation, typo, removed part, vague ...).", _per_class(run, other)))
    sections.append(_section("Latency", "Per stage (processing) and end to end (send to reply), ms.",
                             _latency(run, other)))
    sections.append(_section("Cost per query", "Estimated USD per answered query (zero offline).", _cost(run, other)))
    if run["metrics"]["failures_by_reason"] or run["metrics"]["skipped_by_reason"]:
        sections.append(_section("Failures", "Failure replies by reason, and queries skipped before sending.",
                                 _failures(run["metrics"])))
    if result.get("comparison"):
        sections.append(_changes(result["comparison"], run["name"], other["name"] if other else "against"))
    title = f"bunri eval: {run['name']}" + (f" vs {other['name']}" if other else "")
    page = (f"<!doctype html><html lang='ko'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style><script>{plotly.offline.get_plotlyjs()}</script></head><body>"
            + "".join(sections) + "</body></html>")
    path.write_text(page, encoding="utf-8")


def _fig_html(fig: Any, div_id: str) -> str:
    fig.update_layout(margin={"l": 60, "r": 20, "t": 30, "b": 60}, template="plotly_white")
    return str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                           config={"displaylogo": False, "responsive": True}))


def _section(title: str, note: str, body: str) -> str:
    return f"<h2>{html.escape(title)}</h2><p class='muted'>{html.escape(note)}</p>{body}"


def _header(result: dict[str, Any]) -> str:
    run, other = result["run"], result.get("against")
    labels = f" · labels: {html.escape(result['labels'])}" if result.get("labels") else ""
    config = run["manifest"].get("config")
    shown = f"<p class='muted'>configured: {html.escape(json.dumps(config, ensure_ascii=False))}</p>" if config else ""
    vs = f" vs {html.escape(other['name'])}" if other else ""
    return (f"<h1>bunri eval: {html.escape(run['name'])}{vs}</h1>"
            f"<p class='muted'>generated {html.escape(result['generated_at'])}{labels}</p>{shown}")


def _configurations(run: dict[str, Any], other: dict[str, Any] | None) -> str:
    def cell(conf: dict[str, Any], stage: str) -> str:
        model = conf.get("provider", {}).get(stage, "–")
        prompt = conf.get("prompts", {}).get(stage)
        return f"<td>{html.escape(model)}" + (f"<br><span class='muted'>{html.escape(prompt)}</span>"
                                                if prompt else "") + "</td>"

    rows = []
    for data in [run] + ([other] if other else []):
        for conf in data["metrics"]["configurations"]:
            if "failure_stage" in conf:
                what = f"<td colspan='3'>Failure from stage {html.escape(str(conf['failure_stage']))}</td>"
            else:
                rules = html.escape(str(conf.get("rules_version")))
                what = cell(conf, "gpt5") + cell(conf, "gpt4o") + f"<td>{rules}</td>"
            rows.append(f"<tr><td>{html.escape(data['name'])}</td><td>{conf['queries']}</td>{what}"
                        f"<td>{html.escape(str(conf.get('bunri_version')))}</td></tr>")
    return ("<h2>What produced the replies</h2><p class='muted'>Replies grouped by the model (or offline path) "
            "and prompt version of each stage, the rules version and the bunri version they carry.</p>"
            "<table><tr><th>run</th><th>queries</th><th>gpt5 stage</th><th>gpt4o stage</th><th>rules</th>"
            f"<th>bunri</th></tr>{''.join(rows)}</table>")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def _headline(m: dict[str, Any]) -> dict[str, str]:
    lab = m.get("labelled") or {}
    e2e = m["latency_ms"].get("end_to_end") or {}
    per_query = m["cost_usd"]["per_query"]
    return {
        "queries": str(m["queries"]),
        "category agreement": _pct(lab.get("category_agreement")),
        "item agreement": _pct(lab.get("item_agreement")),
        "clarification": _pct(m["clarification_rate"]),
        "degraded": _pct(m["degraded_rate"]),
        "failures": _pct(m["failure_rate"]),
        "cost total (USD)": f"{m['cost_usd']['total']:.4f}",
        "cost per query (USD)": "–" if per_query is None else f"{per_query:.6f}",
        "end to end p50 / p95 (ms)": " / ".join("–" if e2e.get(p) is None else f"{e2e[p]:.0f}" for p in ("p50", "p95")),
    }


def _kpis(m: dict[str, Any], o: dict[str, Any] | None, name: str, other: str | None) -> str:
    mine, theirs = _headline(m), (_headline(o) if o is not None else {})
    tiles = []
    for title, value in mine.items():
        was = f"<span class='muted'>{html.escape(other or '')}: {html.escape(theirs[title])}</span>" if theirs else ""
        tiles.append(f"<div class='kpi'>{html.escape(title)}<b>{html.escape(value)}</b>{was}</div>")
    return f"<h2>{html.escape(name)}</h2><div class='kpis'>" + "".join(tiles) + "</div>"


def _confusion(conf: dict[str, Any]) -> str:
    import plotly.graph_objects as go

    # Coloured by share of the row, so a small category's mistakes show as clearly as a large one's.
    shares = [[n / max(1, sum(row)) for n in row] for row in conf["counts"]]
    fig = go.Figure(go.Heatmap(z=shares, x=conf["answered"], y=conf["expected"], colorscale="Blues", zmin=0, zmax=1,
                               text=conf["counts"], texttemplate="%{text}", hoverongaps=False,
                               colorbar={"title": "share of row", "tickformat": ".0%"},
                               hovertemplate="labelled %{y}<br>answered %{x}<br>%{text} queries "
                                             "(%{z:.0%} of the row)<extra></extra>"))
    fig.update_layout(height=max(360, 34 * len(conf["expected"]) + 160), xaxis={"side": "top", "tickangle": -40},
                      yaxis={"autorange": "reversed"})
    return _fig_html(fig, "chart-confusion")


def _per_category(run: dict[str, Any], other: dict[str, Any] | None) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    per_run = run["metrics"]["labelled"]["per_category"]
    cats = list(per_run)
    ticks = [f"{k} ({per_run[k]['queries']})" for k in cats]
    for data in [run] + ([other] if other and other["metrics"].get("labelled") else []):
        per = data["metrics"]["labelled"]["per_category"]
        fig.add_bar(name=data["name"], x=ticks, y=[(per.get(k) or {}).get("agreement") for k in cats],
                    customdata=[(per.get(k) or {}).get("queries") for k in cats],
                    hovertemplate="%{x}: %{y:.0%} of %{customdata}<extra>" + html.escape(data["name"]) + "</extra>")
    fig.update_layout(barmode="group", yaxis={"tickformat": ".0%", "range": [0, 1.05]}, height=420)
    return _fig_html(fig, "chart-per-category")


def _per_class(run: dict[str, Any], other: dict[str, Any] | None) -> str:
    runs = [run] + ([other] if other and (other["metrics"].get("labelled") or {}).get("per_class") else [])
    head = "".join(f"<th>{html.escape(r['name'])}</th>" for r in runs)
    rows = []
    for cls in run["metrics"]["labelled"]["per_class"]:
        cells = []
        for r in runs:
            row = r["metrics"]["labelled"]["per_class"].get(cls) or {}
            cells.append(f"<td>{_pct(row.get('agreement'))} ({row.get('agreed', 0)}/{row.get('queries', 0)})</td>")
        rows.append(f"<tr><td>{html.escape(cls)}</td>{''.join(cells)}</tr>")
    return f"<table id='per-class'><tr><th>kind</th>{head}</tr>{''.join(rows)}</table>"


def _latency(run: dict[str, Any], other: dict[str, Any] | None) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for data in [run] + ([other] if other else []):
        xs, ys = [], []
        for stage, lat in data["metrics"]["latency_ms"].items():
            xs += [stage] * len(lat["values"])
            ys += lat["values"]
        fig.add_box(x=xs, y=ys, name=data["name"], boxpoints=False)
    fig.update_layout(boxmode="group", yaxis={"title": "ms", "type": "log"}, height=420)
    return _fig_html(fig, "chart-latency")


def _cost(run: dict[str, Any], other: dict[str, Any] | None) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for data in [run] + ([other] if other else []):
        fig.add_histogram(x=data["metrics"]["cost_usd"]["values"], name=data["name"], opacity=0.7, nbinsx=40,
                          bingroup="cost")  # one set of bins for both runs, so the bars line up
    fig.update_layout(barmode="overlay", xaxis={"title": "USD per query"}, yaxis={"title": "queries"}, height=360)
    return _fig_html(fig, "chart-cost")


def _failures(m: dict[str, Any]) -> str:
    import plotly.graph_objects as go

    reasons = {**m["failures_by_reason"], **{f"skipped: {k}": v for k, v in m["skipped_by_reason"].items()}}
    fig = go.Figure(go.Bar(x=list(reasons), y=list(reasons.values())))
    fig.update_layout(height=320, yaxis={"title": "queries"})
    return _fig_html(fig, "chart-failures")


def _short(ref: str) -> str:
    # A recorded query's id is a UUID: its first block tells rows apart; the full id is the cell's title.
    return ref.split("-")[0] + "…" if len(ref) == 36 and ref.count("-") == 4 else ref


def _changes(comp: dict[str, Any], name: str, other: str) -> str:
    def side(ch: dict[str, Any], which: str, css: str) -> str:
        return (f"<td class='{css}'>{html.escape(ch['category'][which])}"
                f"<pre>{html.escape(ch['answer'][which])}</pre></td>")

    rows = "".join(
        f"<tr><td title='{html.escape(str(ch['id']))}'>{html.escape(_short(str(ch['id'])))}</td>"
        f"<td>{html.escape(ch.get('question') or '')}</td>"
        f"<td>{html.escape(', '.join(ch['changed']))}</td>{side(ch, 'against', 'was')}{side(ch, 'run', 'now')}</tr>"
        for ch in comp["changed"])
    more = " (first 500 shown)" if comp.get("changed_truncated") else ""
    note = (f"{comp['compared']} queries in both runs: category changed for {comp['category_changed']}, "
            f"answer text for {comp['answer_changed']}{more}.")
    return (f"<h2 id='changes'>Changed answers</h2><p class='muted'>{html.escape(note)}</p>"
            "<table id='changed-answers' style='table-layout:fixed'><colgroup><col style='width:8%'>"
            "<col style='width:14%'><col style='width:8%'><col style='width:35%'><col style='width:35%'></colgroup>"
            f"<tr><th>id</th><th>question</th><th>changed</th>"
            f"<th>{html.escape(other)}</th><th>{html.escape(name)}</th></tr>{rows}</table>")

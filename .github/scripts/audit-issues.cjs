"use strict";
// One GitHub issue per failing domain, from the JSON report of `mailctl audit`: the pure
// part (no I/O). decide() is the whole decision, a function of the report and of the
// open issues as the REST API lists them; the text of issues, comments and the job
// summary is rendered here too. audit-keeper.cjs makes the calls.
//
// An issue is "ours" when all of these hold: it is an issue (not a pull request), it is
// open, it carries the label, it was opened by the account that keeps the issues
// (github-actions[bot] with the workflow's GITHUB_TOKEN), and its first line is the
// marker <!-- mailctl-audit:DOMAIN -->. A person's issue that quotes or pastes the
// marker is never ours, so never edited or closed.
//
// The second line of our issues is a hidden state line: the findings (endpoint, host,
// port, severity, kind) and a digest of the whole evidence, as base64 JSON. The body is
// rewritten only when the evidence changed, and a comment is added only when the
// findings changed, so a domain failing the same way for weeks makes no noise.
//
// Every value from the report that a server or the store supplied (host, message, step,
// certificate, Unicode name, time) is escaped with numeric character references and
// shown inside <code>, which also keeps GitHub from turning "@name" or "#12" into a
// mention or a link. No text from the report is ever HTML or Markdown.

const crypto = require("node:crypto");

const LABEL = "mailctl-audit";
const DEFAULT_AUTHOR = "github-actions[bot]";
const MARKER = /^<!-- mailctl-audit:([a-z0-9.-]{1,253}) -->$/;
const STATE = /^<!-- mailctl-audit-state:([A-Za-z0-9+/=]*) -->$/;
// An A-label domain: what can go into a marker and an issue title as it is.
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
const VERDICTS = new Set(["ok", "warning", "failing"]);
const SEVERITIES = new Set(["failure", "warning"]);
const ENDPOINTS = new Set(["imap", "smtp"]);

// The same escaping as mailctl's Markdown renderer (reconciler/render/markdown.py).
const ESCAPED = new Set("&<>|`*~[]$\\_@#");
function escape(value) {
  let out = "";
  for (const char of String(value)) {
    const code = char.codePointAt(0);
    if (code < 0x20 || code === 0x7f) out += "\ufffd";
    else if (ESCAPED.has(char)) out += `&#${code};`;
    else out += char;
  }
  return out;
}

function code(value) {
  return `<code>${escape(value)}</code>`;
}

const CLIP = 500; // characters of one message: an issue body holds at most 65,536

function clipped(value) {
  const chars = [...String(value)];
  return chars.length <= CLIP ? String(value) : chars.slice(0, CLIP - 1).join("") + "…";
}

function firstLines(text) {
  return String(text || "").replace(/^\uFEFF/, "").split(/\r?\n/, 2).map((l) => l.trim());
}

class ReportError extends Error {}

function fail(what) {
  throw new ReportError(`the audit report is not mailctl audit --format json output: ${what}`);
}

/** The report parsed and checked field by field; throws ReportError, having done nothing. */
function readReport(text) {
  let report;
  try {
    report = JSON.parse(text);
  } catch (error) {
    fail(`not JSON (${error.message})`);
  }
  if (!report || typeof report !== "object") fail("not an object");
  if (report.format_version !== 1) fail(`format_version ${JSON.stringify(report.format_version)}, not 1`);
  if (typeof report.audited_at !== "string") fail("no audited_at");
  if (!Array.isArray(report.domains)) fail("no domains list");
  const seen = new Set();
  for (const domain of report.domains) {
    const name = domain && domain.domain;
    if (typeof name !== "string" || !DOMAIN.test(name)) fail(`domain ${JSON.stringify(name)} is not an A-label`);
    if (seen.has(name)) fail(`domain ${name} is listed twice`);
    seen.add(name);
    if (!VERDICTS.has(domain.verdict)) fail(`${name}: verdict ${JSON.stringify(domain.verdict)}`);
    if (!Array.isArray(domain.findings)) fail(`${name}: no findings list`);
    for (const f of domain.findings) {
      const ok =
        f && ENDPOINTS.has(f.endpoint) && SEVERITIES.has(f.severity) &&
        typeof f.host === "string" && Number.isInteger(f.port) &&
        typeof f.kind === "string" && typeof f.message === "string";
      if (!ok) fail(`${name}: a finding lacks endpoint, host, port, severity, kind or message`);
    }
  }
  return report;
}

function findingKey(f) {
  return [f.endpoint, f.host, f.port, f.severity, f.kind];
}

function evidenceDigest(domain) {
  const rows = domain.findings.map((f) => [
    ...findingKey(f),
    f.message,
    f.failed_step ?? null,
    f.certificate ? [f.certificate.sha256 ?? null, f.certificate.not_after ?? null] : null,
  ]);
  return crypto.createHash("sha256").update(JSON.stringify([domain.domain_unicode ?? null, rows])).digest("hex");
}

function stateOf(domain) {
  return { findings: domain.findings.map(findingKey), evidence: evidenceDigest(domain) };
}

function stateLine(state) {
  return `<!-- mailctl-audit-state:${Buffer.from(JSON.stringify(state)).toString("base64")} -->`;
}

/** The state an issue body recorded, or null when it has none that can be read. */
function readState(body) {
  const match = STATE.exec(firstLines(body)[1] || "");
  if (!match) return null;
  try {
    const state = JSON.parse(Buffer.from(match[1], "base64").toString("utf8"));
    return state && Array.isArray(state.findings) && typeof state.evidence === "string" ? state : null;
  } catch {
    return null;
  }
}

/** The domain an issue is ours for, or null (see the header for "ours"). */
function oursFor(issue, { author = DEFAULT_AUTHOR, label = LABEL } = {}) {
  if (!issue || issue.pull_request || issue.state === "closed") return null;
  if ((issue.user && issue.user.login) !== author) return null;
  const labels = (issue.labels || []).map((l) => (typeof l === "string" ? l : l && l.name));
  if (!labels.includes(label)) return null;
  const match = MARKER.exec(firstLines(issue.body)[0]);
  return match ? match[1] : null;
}

function alerting(domain, strict) {
  return domain.verdict === "failing" || (strict && domain.verdict === "warning");
}

function count(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function describe(f) {
  return `${f.endpoint.toUpperCase()} ${code(`${f.host}:${f.port}`)}: ${code(f.kind)} (${f.severity})`;
}

function table(findings) {
  const rows = findings.map((f) => {
    const cert = f.certificate
      ? `${code(String(f.certificate.sha256 || "").slice(0, 16))} until ${code(f.certificate.not_after || "?")}`
      : "—";
    const step = f.failed_step ? code(f.failed_step) : "—";
    const mark = f.severity === "failure" ? "⛔ failure" : "⚠️ warning";
    return `| ${f.endpoint.toUpperCase()} | ${code(`${f.host}:${f.port}`)} | ${mark} | ${code(f.kind)} | ${step} | ${cert} | ${code(clipped(f.message))} |`;
  });
  return [
    "| Endpoint | Server | Severity | Finding | Failed step | Certificate (SHA-256, expiry) | Message |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

function named(domain) {
  const unicode = domain.domain_unicode;
  return unicode && unicode !== domain.domain ? `${code(unicode)} (${code(domain.domain)})` : code(domain.domain);
}

function title(domain) {
  return `mailctl audit: ${domain.domain} is failing`;
}

function issueBody(domain, report, { runUrl = "" } = {}) {
  const failures = domain.findings.filter((f) => f.severity === "failure").length;
  const warnings = domain.findings.length - failures;
  const run = /^https:\/\/[^\s()<>"]+$/.test(runUrl) ? ` ([workflow run](${runUrl}))` : "";
  return [
    `<!-- mailctl-audit:${domain.domain} -->`,
    stateLine(stateOf(domain)),
    `## mailctl audit: ${named(domain)} is ${domain.verdict === "failing" ? "failing" : "warning"}`,
    "",
    `The audit of ${code(report.audited_at)}${run} found ${count(failures, "failure")} and ` +
      `${count(warnings, "warning")}. Every inbox of the domain uses these settings.`,
    "",
    table(domain.findings),
    "",
    "<sub>Kept by the scheduled mailctl audit: this text is replaced when the evidence " +
      "changes, a comment says when the findings change, and the issue is closed when the " +
      "domain heals. Edits to this text are overwritten; comment below instead.</sub>",
    "",
  ].join("\n");
}

function changeComment(previous, domain, report) {
  const key = (k) => JSON.stringify(k);
  const before = new Set((previous ? previous.findings : []).map(key));
  const now = new Set(domain.findings.map((f) => key(findingKey(f))));
  const item = ([endpoint, host, port, severity, kind]) =>
    `- ${describe({ endpoint, host, port, severity, kind })}`;
  const added = domain.findings.map(findingKey).filter((k) => !before.has(key(k)));
  const gone = (previous ? previous.findings : []).filter((k) => !now.has(key(k)));
  const lines = [`The findings changed in the audit of ${code(report.audited_at)}.`];
  if (!previous) lines.push("", "The earlier findings could not be read from the issue; the table above is current.");
  if (added.length) lines.push("", "New:", ...added.map(item));
  if (gone.length) lines.push("", "No longer found:", ...gone.map(item));
  return lines.join("\n") + "\n";
}

function healedComment(domain, report) {
  if (domain.findings.length === 0) {
    return `${named(domain)} passes every check in the audit of ${code(report.audited_at)}: closing.\n`;
  }
  return (
    `${named(domain)} has no failure left in the audit of ${code(report.audited_at)}: closing. ` +
    `It still has ${count(domain.findings.length, "warning")} (see the job summary); ` +
    "warnings open an issue only in strict mode.\n"
  );
}

function removedComment(name, report) {
  const serial = report.store && Number.isInteger(report.store.serial) ? ` (store serial ${report.store.serial})` : "";
  return `${code(name)} is no longer in the store${serial} as of the audit of ${code(report.audited_at)}: closing.\n`;
}

/**
 * What to do, as a list of actions in domain order:
 *   {kind: "create", domain, title, body, labels}
 *   {kind: "update", domain, number, body}      the evidence changed
 *   {kind: "comment", domain, number, body}     the findings changed
 *   {kind: "close", domain, number, body, reason: "healed" | "removed"}
 * @param report  a report read by readReport()
 * @param issues  the open issues carrying the label, as the REST API lists them
 * @param options strict: warnings open issues too; closeMissing: close the issues of
 *   domains the report does not list (false when only some domains were audited)
 */
function decide(report, issues, { strict = false, author = DEFAULT_AUTHOR, label = LABEL, closeMissing = true, runUrl = "" } = {}) {
  const ours = new Map();
  for (const issue of [...issues].sort((a, b) => a.number - b.number)) {
    const name = oursFor(issue, { author, label });
    if (name !== null && !ours.has(name)) ours.set(name, issue);
  }
  const actions = [];
  const audited = new Set();
  for (const domain of report.domains) {
    audited.add(domain.domain);
    const issue = ours.get(domain.domain);
    if (!alerting(domain, strict)) {
      if (issue) actions.push({ kind: "close", domain: domain.domain, number: issue.number, body: healedComment(domain, report), reason: "healed" });
      continue;
    }
    const body = issueBody(domain, report, { runUrl });
    if (!issue) {
      actions.push({ kind: "create", domain: domain.domain, title: title(domain), body, labels: [label] });
      continue;
    }
    const previous = readState(issue.body);
    const now = stateOf(domain);
    if (!previous || previous.evidence !== now.evidence) {
      actions.push({ kind: "update", domain: domain.domain, number: issue.number, body });
    }
    if (!previous || JSON.stringify(previous.findings) !== JSON.stringify(now.findings)) {
      actions.push({ kind: "comment", domain: domain.domain, number: issue.number, body: changeComment(previous, domain, report) });
    }
  }
  if (closeMissing) {
    for (const [name, issue] of ours) {
      if (!audited.has(name)) actions.push({ kind: "close", domain: name, number: issue.number, body: removedComment(name, report), reason: "removed" });
    }
  }
  return actions;
}

const SUMMARY_DOMAINS = 100; // a job summary holds at most 1 MiB

/** The job summary: the counts, and the evidence table of each domain that is not ok
 * (the first SUMMARY_DOMAINS of them; the report in the artifact has them all). */
function summary(report) {
  const s = report.summary || {};
  const n = (v) => (Number.isInteger(v) ? v : "?");
  const lines = [
    `## mailctl audit: ${n(s.failing)} failing, ${n(s.warning)} warning, ${n(s.ok)} ok`,
    "",
    `${count(report.domains.length, "domain")} (${n(s.endpoints)} endpoints) audited at ${code(report.audited_at)}.`,
  ];
  const shown = report.domains.filter((d) => d.verdict !== "ok");
  for (const domain of shown.slice(0, SUMMARY_DOMAINS)) {
    lines.push("", `### ${named(domain)}: ${domain.verdict}`, "", table(domain.findings));
  }
  if (shown.length > SUMMARY_DOMAINS) {
    lines.push("", `${count(shown.length - SUMMARY_DOMAINS, "more domain")} not ok: see audit.json in the artifact.`);
  }
  return lines.join("\n") + "\n";
}

module.exports = {
  LABEL, DEFAULT_AUTHOR, ReportError,
  escape, readReport, readState, oursFor, decide, summary, issueBody, title,
};

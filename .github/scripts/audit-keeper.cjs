"use strict";
// Keeps one GitHub issue per failing domain from the JSON report of `mailctl audit`, and
// writes the job summary. Runs in two ways with the same code, only the client differs:
//
//   - in action.yml, through actions/github-script, with its authenticated Octokit:
//       keeper.run({ client: keeper.fromOctokit(github, context.repo), env: process.env })
//   - under plain Node (node audit-keeper.cjs), with a fetch-based client on
//     GITHUB_API_URL and GITHUB_TOKEN: what the tests run against a stand-in API.
//
// The environment it reads:
//   MAILCTL_AUDIT_FILE    the report (required). Missing or not a report: nothing is
//                         done to any issue, and the run fails.
//   MAILCTL_AUDIT_ISSUES  "true" (default) to keep the issues, "false" for the summary only
//   MAILCTL_AUDIT_STRICT  "true": domains with warnings only get an issue too
//   MAILCTL_AUDIT_PARTIAL "true" when only some domains were audited (--domain): the
//                         issues of the others are left open
//   MAILCTL_AUDIT_LABEL   the label of our issues (default mailctl-audit)
//   MAILCTL_AUDIT_AUTHOR  the login that opens them (default github-actions[bot])
//   GITHUB_STEP_SUMMARY, GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID: set by
//   GitHub Actions; plain Node also needs GITHUB_API_URL and GITHUB_TOKEN.

const fs = require("node:fs");
const path = require("node:path");
const issues = require(path.join(__dirname, "audit-issues.cjs"));

const MAX_PAGES = 100; // 10,000 open issues: far more than any store has domains

/** The four calls the keeper makes, through actions/github-script's Octokit. */
function fromOctokit(github, { owner, repo }) {
  return {
    listOpen: (label) =>
      github.paginate(github.rest.issues.listForRepo, { owner, repo, state: "open", labels: label, per_page: 100 }),
    create: async (fields) => (await github.rest.issues.create({ owner, repo, ...fields })).data,
    update: async (number, fields) =>
      (await github.rest.issues.update({ owner, repo, issue_number: number, ...fields })).data,
    comment: async (number, body) =>
      (await github.rest.issues.createComment({ owner, repo, issue_number: number, body })).data,
  };
}

/**
 * The same four calls over fetch (Node 18+) against the REST API at `baseUrl`. Pages of
 * the issue list are followed through the Link header's rel="next", and only while it
 * points at the same origin: the token is never sent anywhere else.
 */
function fromFetch({ baseUrl, token, owner, repo, fetch = globalThis.fetch }) {
  const base = new URL(String(baseUrl).replace(/\/*$/, "/"));
  const repoPath = `repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/issues`;
  async function call(method, url, payload) {
    const response = await fetch(url, {
      method,
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "user-agent": "mailctl-audit",
        "x-github-api-version": "2022-11-28",
      },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    if (!response.ok) {
      const text = (await response.text()).slice(0, 300);
      throw new Error(`GitHub API: ${method} ${url.pathname} answered ${response.status}: ${text}`);
    }
    return { data: await response.json(), link: response.headers.get("link") || "" };
  }
  return {
    async listOpen(label) {
      const url = new URL(repoPath, base);
      url.search = new URLSearchParams({ state: "open", labels: label, per_page: "100" }).toString();
      const all = [];
      for (let next = url, pages = 0; next; pages += 1) {
        if (pages === MAX_PAGES) throw new Error(`GitHub API: more than ${MAX_PAGES} pages of open issues`);
        const { data, link } = await call("GET", next);
        all.push(...data);
        const found = /<([^>]+)>;\s*rel="next"/.exec(link);
        next = found ? new URL(found[1], base) : null;
        if (next && next.origin !== base.origin) throw new Error(`GitHub API: refusing to follow ${next.origin}`);
      }
      return all;
    },
    create: async (fields) => (await call("POST", new URL(repoPath, base), fields)).data,
    update: async (number, fields) => (await call("PATCH", new URL(`${repoPath}/${number}`, base), fields)).data,
    comment: async (number, body) => (await call("POST", new URL(`${repoPath}/${number}/comments`, base), { body })).data,
  };
}

function options(env) {
  const flag = (name, fallback) => String(env[name] || fallback).trim().toLowerCase() === "true";
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: run } = env;
  return {
    file: env.MAILCTL_AUDIT_FILE || "",
    keep: flag("MAILCTL_AUDIT_ISSUES", "true"),
    strict: flag("MAILCTL_AUDIT_STRICT", "false"),
    closeMissing: !flag("MAILCTL_AUDIT_PARTIAL", "false"),
    label: env.MAILCTL_AUDIT_LABEL || issues.LABEL,
    author: env.MAILCTL_AUDIT_AUTHOR || issues.DEFAULT_AUTHOR,
    runUrl: server && repository && run ? `${server}/${repository}/actions/runs/${run}` : "",
    summaryFile: env.GITHUB_STEP_SUMMARY || "",
  };
}

/** Carry out the actions of decide(), in order. Returns [{kind, domain, number}]. */
async function apply(client, actions, label) {
  const done = [];
  for (const action of actions) {
    let number = action.number;
    if (action.kind === "create") {
      const created = await client.create({ title: action.title, body: action.body, labels: action.labels });
      number = created.number;
      const names = (created.labels || []).map((l) => (typeof l === "string" ? l : l.name));
      if (!names.includes(label)) {
        // Without the label the next run would not find this issue and open another.
        throw new Error(
          `GitHub dropped the label ${label} from issue #${number}: create the label in the ` +
            "repository and give the token issues: write",
        );
      }
    } else if (action.kind === "update") {
      await client.update(number, { body: action.body });
    } else if (action.kind === "comment") {
      await client.comment(number, action.body);
    } else if (action.kind === "close") {
      await client.comment(number, action.body);
      await client.update(number, { state: "closed", state_reason: action.reason === "healed" ? "completed" : "not_planned" });
    }
    done.push({ kind: action.kind, domain: action.domain, number });
  }
  return done;
}

function outcome(done) {
  if (done.length === 0) return "Issues: nothing to change.\n";
  const verbs = { create: "opened", update: "updated", comment: "commented on", close: "closed" };
  const lines = done.map((d) => `- ${verbs[d.kind]} #${d.number} (<code>${issues.escape(d.domain)}</code>)`);
  return ["Issues:", "", ...lines, ""].join("\n");
}

/**
 * Read the report, write the job summary and keep the issues. Throws, having called
 * nothing, when the report is missing or not a report.
 */
async function run({ client, env, log = () => {} }) {
  const o = options(env);
  if (!o.file || !fs.existsSync(o.file)) {
    throw new issues.ReportError(`no audit report at ${JSON.stringify(o.file)}: the audit did not run to the end`);
  }
  const report = issues.readReport(fs.readFileSync(o.file, "utf8"));
  const write = (text) => o.summaryFile && fs.appendFileSync(o.summaryFile, text);
  write(issues.summary(report));
  if (!o.keep) return [];
  const open = await client.listOpen(o.label);
  const actions = issues.decide(report, open, o);
  const done = await apply(client, actions, o.label);
  for (const d of done) log(`mailctl audit: ${d.kind} #${d.number} ${d.domain}`);
  write("\n" + outcome(done));
  return done;
}

async function main() {
  const env = process.env;
  const [owner, repo] = String(env.GITHUB_REPOSITORY || "").split("/");
  const client = fromFetch({ baseUrl: env.GITHUB_API_URL || "https://api.github.com", token: env.GITHUB_TOKEN || "", owner, repo });
  const done = await run({ client, env });
  process.stdout.write(JSON.stringify(done) + "\n");
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`mailctl audit issues: ${error.message}\n`);
    process.exit(1);
  });
}

module.exports = { fromOctokit, fromFetch, options, apply, run };

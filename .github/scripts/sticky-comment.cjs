"use strict";
// One pull-request comment per pull request, updated on every push: run by
// actions/github-script in action.yml, which passes its authenticated Octokit client
// (`github`) and the event (`context`).
//
// Which comment is "ours" is decided by pick(), a pure function of the comments as the
// REST API lists them: the oldest one whose first line is the marker that mailctl's
// Markdown renderer writes, and whose author is the account that posts it
// (github-actions[bot] with the workflow's GITHUB_TOKEN). A person quoting the comment
// does not match: a quote starts with "> ".

const MARKER = "<!-- mailctl-plan -->";
const DEFAULT_AUTHOR = "github-actions[bot]";

function firstLine(text) {
  return String(text || "").replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0].trim();
}

/**
 * The comment to update, or null to create one.
 * @param {Array<{id: number, body?: string, user?: {login?: string}}>} comments
 *   oldest first, as GET /repos/{owner}/{repo}/issues/{number}/comments returns them
 * @param {{marker?: string, author?: string}} options
 */
function pick(comments, { marker = MARKER, author = DEFAULT_AUTHOR } = {}) {
  const ours = comments.filter(
    (c) => firstLine(c.body) === marker && (c.user && c.user.login) === author,
  );
  ours.sort((a, b) => a.id - b.id);
  return ours.length ? ours[0] : null;
}

/**
 * Update the pull request's mailctl comment to `body`, or create it.
 * Returns {id, action}, action being "created", "updated" or "unchanged".
 */
async function upsert({ github, context, body, marker = MARKER, author = DEFAULT_AUTHOR }) {
  if (firstLine(body) !== marker) {
    throw new Error(`the comment must start with ${marker}, or every run would add one`);
  }
  const pr = context.payload.pull_request;
  const issue_number = pr ? pr.number : context.issue.number;
  const { owner, repo } = context.repo;
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner,
    repo,
    issue_number,
    per_page: 100,
  });
  const found = pick(comments, { marker, author });
  if (found === null) {
    const { data } = await github.rest.issues.createComment({ owner, repo, issue_number, body });
    return { id: data.id, action: "created" };
  }
  if (found.body === body) {
    return { id: found.id, action: "unchanged" };
  }
  await github.rest.issues.updateComment({ owner, repo, comment_id: found.id, body });
  return { id: found.id, action: "updated" };
}

module.exports = { MARKER, DEFAULT_AUTHOR, pick, upsert };

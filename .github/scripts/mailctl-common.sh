# Shared by mailctl-plan and mailctl-apply (sourced, not run): reads their environment.
#
#   MAILCTL_STATE          the store URL. mailctl reads it from the environment itself, so
#                          it never appears on a command line or in any output. Required.
#   MAILCTL_PLAN_KEY       the key that signs plans (at least 32 bytes), the same secret
#                          for plan and apply; read by mailctl itself, never printed.
#                          Optional: without it apply checks the changed endpoints again
#   MAILCTL_PATH           the domains file or folder (default: domains.yaml)
#   MAILCTL_OUT            where plan.json, the logs and the comment or summary go
#                          (default: $RUNNER_TEMP/mailctl, else a new temporary folder)
#   MAILCTL_ALLOWLIST_DIR  where the allowlists go (plan: a preview from the desired
#                          state; apply: from the stored state after the apply). Default
#                          and in any case also: $MAILCTL_OUT/allowlists, for the artifact
#   MAILCTL_ARGS           more mailctl options, split on white space (no quoting), used
#                          by both plan and apply: e.g. --ca-file ca.pem --allow-downgrade
#   MAILCTL_ARTIFACT       the name of the artifact the workflow uploads (named in the text)
#   GITHUB_STEP_SUMMARY, GITHUB_OUTPUT: set by GitHub Actions; written when set.
# shellcheck shell=bash disable=SC2034  # the variables set here are used by the sourcing scripts

if ! command -v mailctl >/dev/null; then
    echo "::error title=mailctl::mailctl is not installed (pip install mailctl first)"
    exit 1
fi

path="${MAILCTL_PATH:-domains.yaml}"
out="${MAILCTL_OUT:-}"
if [ -z "$out" ]; then
    if [ -n "${RUNNER_TEMP:-}" ]; then out="$RUNNER_TEMP/mailctl"; else out="$(mktemp -d)"; fi
fi
mkdir -p "$out"
# Whatever an earlier run left here must not pass for this run's result.
rm -f "$out"/{plan.json,plan.log,annotations.txt,validate.json,comment.md,summary.md} \
    "$out"/{apply.out,apply.log,allowlist.log}
rm -rf "$out/allowlists"
read -r -a extra <<<"${MAILCTL_ARGS:-}"
# The allowlists: a preview (plan) or the written files (apply); default inside $out.
allowlists="${MAILCTL_ALLOWLIST_DIR:-$out/allowlists}"

# The store URL comes from a secret; an empty one would silently plan against an empty
# local store (every domain "to create"), so it is refused.
store_missing() {
    [ -n "${MAILCTL_STATE:-}" ] && return 1
    echo "mailctl: error: the store URL is empty: set the repository secret that the" \
        "workflow passes as MAILCTL_STATE (the action's 'state' input)" >"$1"
    return 0
}

# mailctl plan: annotations on standard output (shown by GitHub on the YAML lines, and
# kept in annotations.txt), standard error in plan.log. Sets plan_status.
run_plan() {
    plan_status=0
    if store_missing "$out/plan.log"; then
        plan_status=1
    else
        set +e
        mailctl plan "$path" --format github --out "$out/plan.json" --detailed-exitcode \
            "${extra[@]}" 2>"$out/plan.log" | tee "$out/annotations.txt"
        plan_status=${PIPESTATUS[0]}
        set -e
    fi
    cat "$out/plan.log" >&2
}

# The comment or summary and the step outputs, from what the run left in $out.
report() {
    mailctl report "$@"
}

# The allowlists also inside $out, so that one artifact of $out holds everything.
collect_allowlists() {
    local inside
    inside="$(cd "$out" && pwd)/allowlists"
    if [ -d "$allowlists" ] && [ "$(cd "$allowlists" && pwd)" != "$inside" ]; then
        cp -R "$allowlists" "$inside"
    fi
    echo "allowlist-dir=$allowlists" >>"${GITHUB_OUTPUT:-/dev/null}"
}

"""The commented starter ``domains.yaml`` that ``mailctl init`` writes. Pure.

It validates as written (a test keeps it so), names credentials only by the variable
names the default credential policy allows (``MAIL_LOGIN_*``), and points editors at
the schema file that ``mailctl schema`` prints, next to it.
"""

from __future__ import annotations

SCHEMA_FILE = "domains.schema.json"

MODELINE = f"# yaml-language-server: $schema={SCHEMA_FILE}\n"
"""The first line of every domains file mailctl writes (``init``, ``export``, ``import
autoconfig``): a path relative to the file, to the schema file that
:data:`WRITE_SCHEMA` says how to write beside it. A relative path, not a URL: the
schema's ``$id`` names it, but no server publishes it."""

WRITE_SCHEMA = f"# Editor completion: mailctl schema domains > {SCHEMA_FILE} (beside this file)\n"

STARTER = f"""\
{MODELINE.rstrip()}
# Editor completion: write the schema next to this file once with
#   mailctl schema domains > {SCHEMA_FILE}
#
# Connection settings of every email domain whose inboxes connect through mailctl.
# Every inbox of a domain inherits them. Check this file with `mailctl validate`,
# prove the servers work with `mailctl check`, review changes with `mailctl plan`.
version: 1

# The service's static egress ranges, for domains that allow connections only from
# them (use_static_ip_addresses: true); `mailctl allowlist` writes their firewall rules.
# connection_ips:
#   ranges:
#     - 192.0.2.0/28

# Inherited by every domain unless it sets its own port or security.
defaults:
  imap: {{port: 993, security: ssl}}
  smtp: {{port: 587, security: starttls}}

domains:
  # Replace with your domain and its mail servers (security: ssl or starttls).
  example.com:
    imap: {{host: imap.example.com}}
    smtp: {{host: smtp.example.com}}
    # Live checks may log in with a user name and password read from these
    # environment variables (never write a secret in this file):
    # credentials:
    #   username_env: MAIL_LOGIN_EXAMPLE_USER
    #   password_env: MAIL_LOGIN_EXAMPLE_PASSWORD
"""

"""``mailctl serve``: the applied settings over HTTP, for inboxes, mail clients and
firewall admins. Reads the store only, never writes it.

The pieces, one idea each:

* ``snapshot``: the applied state of one serial, every answer pre-rendered; immutable.
* ``poller``: asks the store for its serial every few seconds and swaps in a new
  snapshot when it moved (one reference assignment).
* ``api``, ``mozilla``, ``ops``: the routes (settings API under ``/v1``, Thunderbird
  autoconfig, health, metrics and the OpenAPI document).
* ``limits``, ``observe``, ``headers``: the ASGI middleware (body limit, access log and
  metrics, security headers).
* ``app``: puts them together (:func:`reconciler.serve.app.build_app`).

Every handler takes ``source.current`` once, at its start, and answers from that
snapshot alone, so no response mixes two serials. More routers (Autodiscover, Apple
profiles, the page for people, inbox endpoints) plug in through
:class:`reconciler.serve.app.Routers`: a router is a function from the
:class:`reconciler.serve.poller.SnapshotSource` to Starlette routes.
"""

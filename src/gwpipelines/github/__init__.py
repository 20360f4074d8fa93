"""Everything about GitHub: the Actions runner environment (the only reader of `GITHUB_*`), the REST client,
event payloads, the OIDC token and the composite action's main step."""

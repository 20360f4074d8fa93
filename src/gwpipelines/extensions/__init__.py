"""Extensions: the IaC tools (and custom steps) the executor runs, and the public SDK for writing one.

For extension authors: `base` (the interface: Extension, ExtensionConfig, Step, Outcome, ExtensionError),
`process` (the tool runner whose timeouts and cancellation the executor relies on), `plan` (reading a saved plan's
JSON), `tfrun` (the saved-plan sequence of OpenTofu/Terraform-based tools), `transient` (which failures are worth a
retry), `loader` (entry-point discovery) and `testing` (drive an extension through its lifecycle in a test).
Built-ins: `terragrunt`, `opentofu` (opentofu, terraform), `command`, `account_factory`."""
